"""The demo's content: people, spaces and threads drawn from the secretariat's report on the
in-session workshop on non-market approaches held at SBSTA 63 (11 November 2025).

The English texts are brief, faithful renderings of the report (which is in Chinese); the
Chinese posts quote it verbatim. Where the report says "a participant", so do the posts:
the demo does not put words in the mouth of a named Party that the report does not.
Only data lives here; `loader.py` writes it through the services. Long because it is the
demo's whole text, kept in one place to be read and corrected beside the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Every demo user signs in with this password (the README lists the accounts).
DEMO_PASSWORD = "nma-demo-2025"

PRESENTATIONS_URL = (
    "https://unfccc.int/event/in-session-workshop-including-plenary-presentations-and-"
    "round-table-discussions-on-non-market-0"
)
PLATFORM_URL = "https://unfccc.int/nma-platform"


@dataclass(frozen=True)
class DemoUser:
    key: str
    email: str
    name: str
    role: str
    party: str | None = None
    organisation: str | None = None


@dataclass(frozen=True)
class DemoSpace:
    slug: str
    title: str
    kind: str
    moderation: str
    visibility: str
    description: str
    allowed_roles: tuple[str, ...] = ()
    # Keys of DEMO_USERS named in the space's moderator_ids.
    moderators: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoPost:
    author: str
    body: str


@dataclass(frozen=True)
class DemoThread:
    key: str
    space: str
    title: str
    author: str
    body: str
    replies: tuple[DemoPost, ...] = ()
    pinned: bool = False


@dataclass(frozen=True)
class DemoTable:
    topic: str
    host: str


@dataclass(frozen=True)
class DemoCafe:
    space: str
    title: str
    round_seconds: int
    tables: tuple[DemoTable, ...] = field(default_factory=tuple)


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "admin@forum.example", "Secretariat", "admin", organisation="UNFCCC secretariat"),
    DemoUser(
        "moderator",
        "moderator@forum.example",
        "Workshop facilitator",
        "moderator",
        organisation="UNFCCC secretariat",
    ),
    DemoUser("focal_jpn", "focal.jpn@forum.example", "Focal point, Japan", "focal_point", party="JPN"),
    DemoUser("focal_mys", "focal.mys@forum.example", "Focal point, Malaysia", "focal_point", party="MYS"),
    DemoUser("focal_bol", "focal.bol@forum.example", "Focal point, Bolivia", "focal_point", party="BOL"),
    DemoUser(
        "lcipp",
        "lcipp@forum.example",
        "LCIPP FWG representative",
        "lcipp",
        organisation="Local Communities and Indigenous Peoples Platform, Facilitative Working Group",
    ),
    DemoUser(
        "afdb",
        "abm@forum.example",
        "ABM team, African Development Bank",
        "observer",
        organisation="African Development Bank",
    ),
    DemoUser(
        "support",
        "support@forum.example",
        "Support provider (CGIAR)",
        "observer",
        organisation="CGIAR",
    ),
    DemoUser(
        "ngo",
        "ngo@forum.example",
        "PBFCC (civil society, Bolivia)",
        "observer",
        organisation="Plataforma Boliviana Frente al Cambio Climático",
    ),
)

WORKSHOP = "workshop-sbsta63"

DEMO_SPACES: tuple[DemoSpace, ...] = (
    DemoSpace(
        slug="subaru",
        title="SUBARU: adaptation technology matching between Asian cities and companies (Japan)",
        kind="nma",
        moderation="post",
        visibility="public",
        description=(
            "Japan's SUBARU initiative, registered on the NMA platform: matching Asian cities "
            "with companies that offer adaptation technologies, capacity building, feasibility "
            "studies, and ISO standards for adaptation and disaster-risk-reduction finance."
        ),
        moderators=("focal_jpn",),
    ),
    DemoSpace(
        slug="forest-conservation-certificates",
        title="Forest Conservation Certificates (Malaysia)",
        kind="nma",
        moderation="post",
        visibility="public",
        description=(
            "A domestic non-market mechanism that mobilises resources for forest conservation, "
            "with governance arrangements, MRV requirements and tax incentives."
        ),
        moderators=("focal_mys",),
    ),
    DemoSpace(
        slug="adaptation-benefits-mechanism",
        title="Adaptation Benefits Mechanism (African Development Bank)",
        kind="nma",
        moderation="post",
        visibility="public",
        description=(
            "Certified adaptation benefits as a way to mobilise adaptation finance: ex-ante and "
            "ex-post finance, an adaptation 'supermarket', and the move from pilot to global mechanism."
        ),
        moderators=("afdb",),
    ),
    DemoSpace(
        slug="bolivia-joint-mitigation-adaptation",
        title="Joint mitigation and adaptation: the nut-growing region pilot (Bolivia)",
        kind="nma",
        moderation="post",
        visibility="public",
        description=(
            "A proposal of a Bolivian civil-society alliance: climate ambition partnerships that "
            "join mitigation and adaptation, piloted in the northern nut-growing region."
        ),
        moderators=("focal_bol",),
    ),
    DemoSpace(
        slug=WORKSHOP,
        title="In-session workshop on NMAs, SBSTA 63 (11 November 2025)",
        kind="workshop",
        moderation="pre",
        visibility="public",
        description=(
            "Presentations, world café and round table of the in-session workshop held with the "
            "eighth meeting of the Glasgow Committee on NMAs. Posts by observers are reviewed "
            "by a moderator before they appear."
        ),
        moderators=("moderator",),
    ),
    DemoSpace(
        slug="lcipp",
        title="Local communities and indigenous peoples (LCIPP)",
        kind="general",
        moderation="post",
        visibility="restricted",
        description=(
            "For LCIPP representatives and national focal points: links between the LCIPP Baku "
            "workplan and the NMA work programme, safeguards, free, prior and informed consent."
        ),
        allowed_roles=("lcipp", "focal_point"),
        moderators=("lcipp",),
    ),
    DemoSpace(
        slug="capacity-building",
        title="Capacity building: how do we write national guidance?",
        kind="general",
        moderation="post",
        visibility="public",
        description=(
            "Focal points and support providers share cases, guidance and lessons learned on "
            "identifying, developing, registering and implementing NMAs."
        ),
    ),
)

DEMO_THREADS: tuple[DemoThread, ...] = (
    # ---- The workshop itself -------------------------------------------------------------
    DemoThread(
        key="welcome",
        space=WORKSHOP,
        title="Welcome: the in-session workshop on NMAs at SBSTA 63",
        author="admin",
        pinned=True,
        body=(
            "The in-session workshop under the framework for non-market approaches referred to in "
            "Article 6, paragraph 8, of the Paris Agreement was held on **11 November 2025** during "
            "SBSTA 63. It was opened by the SBSTA Vice-Chair, Carol Franco (Dominican Republic), and "
            "moderated by the co-chairs of the Glasgow Committee, El Hadji Mbaye Diagne (Senegal) "
            "and Jacqui Ruesga (New Zealand).\n\n"
            "Its purpose: bring Parties and non-Party stakeholders together to exchange information "
            "on NMAs and on the support available for them.\n\n"
            "How it ran:\n\n"
            "1. **Presentations** by Japan, Malaysia, the African Development Bank (with Uganda), "
            "CGIAR, LACLIMA, the NDC Partnership and the Bolivian Platform against Climate Change "
            "(PBFCC).\n"
            "2. A **world café**: small tables where participants met the presenters informally.\n"
            "3. A **round table**, opened by a representative of the LCIPP Facilitative Working "
            "Group.\n\n"
            f"The presentations are available on the [event page]({PRESENTATIONS_URL}). "
            "Each NMA presented has its own space in this forum; continue the conversation there."
        ),
    ),
    DemoThread(
        key="support-providers",
        space=WORKSHOP,
        title="Presentations of support providers: CGIAR, LACLIMA and the NDC Partnership",
        author="admin",
        body=(
            "**CGIAR** shared its experience as a support provider for NMAs, and noted that the "
            "number of support providers listed on the NMA platform is growing fast. Lessons from "
            "supporting Colombia and the Plurinational State of Bolivia: use the offline submission "
            "form to prepare an NMA for registration, engage the national authorities, and draw on "
            "the secretariat's guidance on potential NMAs. Awareness and a common understanding of "
            "Article 6.8 are needed: what an NMA is in practice, and how NMAs support NDC "
            "implementation."
        ),
        replies=(
            DemoPost(
                "admin",
                "**LACLIMA** (two representatives) described how it raises awareness of the NMA "
                "platform and of the submission process, and helps stakeholders identify NMAs. "
                "Examples of potential NMAs in Brazil: ecotourism and environmental awareness "
                "programmes, education and training, just transition programmes, a non-market "
                "payment-for-ecosystem-services scheme, and private-sector work on the circular "
                "economy.",
            ),
            DemoPost(
                "admin",
                "The **NDC Partnership**, a global coalition of more than 250 members, mobilises "
                "support for action aligned with NDCs through a country-driven model that brings "
                "together technical assistance and finance for planning and implementing NDCs. "
                "Parties most often ask for support in energy, then agriculture. Most of the "
                "technical and project support it provides is in line with the principles and "
                "objectives of Article 6.8.",
            ),
        ),
    ),
    DemoThread(
        key="world-cafe",
        space=WORKSHOP,
        title="World café: the tables and what they harvested",
        author="moderator",
        body=(
            "After the presentations, participants met the presenters at small tables for "
            "informal, more detailed discussion. A representative of the LCIPP Facilitative "
            "Working Group joined to discuss the **LCIPP Baku workplan (2025–2027)** and its "
            "possible links with the NMA work programme; a representative of the secretariat "
            "answered questions on the NMA platform and the other activities of the work "
            "programme.\n\n"
            "Questions the tables worked on:\n\n"
            "- What does 'non-market approach' mean in practice?\n"
            "- How can NMAs that offer little commercial return attract private finance?\n"
            "- How could the Baku workplan and the NMA work programme reinforce each other?\n\n"
            "Hosts: please post your table's harvest below."
        ),
        replies=(
            DemoPost(
                "moderator",
                "From the **ABM** table, as a participant reported at the round table:\n\n"
                "- A letter of approval from the host country matters: it shows that an NMA under "
                "the ABM is seen as genuine adaptation, and can help unlock adaptation finance. "
                "Its procedure can differ from the approvals under the market-based parts of "
                "Article 6, since an NMA is a voluntary contribution to adaptation.\n"
                "- We keep exploring what 'non-market' means in practice. The ABM is developing "
                "indicators to assess progress of adaptation activities, using criteria such as "
                "contribution to biodiversity, use of indigenous technical knowledge and job "
                "creation, to inform their cost-effectiveness.\n"
                "- Parties are invited to express interest in hosting the ABM after its pilot phase.",
            ),
            DemoPost(
                "focal_jpn",
                "Harvest of the **SUBARU** table: thank you for the strong interest. Concerns were "
                "raised about the finance challenge, since many projects struggle to earn a "
                "commercial return. A key question: how to involve private financial institutions "
                "with large capital more effectively. The ISO 37116 standard on financing "
                "adaptation and disaster risk reduction, now being developed, may help.",
            ),
            DemoPost(
                "moderator",
                "Thank you all. The informal format encouraged lively exchange, and a better "
                "mutual understanding of the issues and sense of cooperation. In their reflections, "
                "Parties appreciated the continued use of the world café.",
            ),
        ),
    ),
    DemoThread(
        key="round-table",
        space=WORKSHOP,
        title="Round table: points made by participants",
        author="moderator",
        body=(
            "The round table was opened by a representative of the **LCIPP Facilitative Working "
            "Group**, who stressed:\n\n"
            "- Article 6.8 matters to indigenous peoples and local communities, because decisions "
            "and initiatives affect their territories and living spaces; their collective and "
            "territorial rights must be recognised, with social and environmental safeguards.\n"
            "- Their full and effective participation in decision-making at every level, with "
            "free, prior and informed consent, before any action affecting their lands and "
            "resources.\n"
            "- NMAs are still the least developed of the Article 6 mechanisms: an opening for "
            "synergies between the NMA work programme and the work of the FWG.\n"
            "- The value of indigenous, traditional and local knowledge for climate action."
        ),
        replies=(
            DemoPost(
                "admin",
                "A participant reflected on several presentations and:\n\n"
                "- asked whether the progress of SUBARU in Cambodia, the Lao People's Democratic "
                "Republic and Nepal could be reflected on the NMA platform;\n"
                "- praised Malaysia's Forest Conservation Certificates as innovative, noting the "
                "ambition to raise funds;\n"
                "- noted CGIAR's examples from Colombia and Bolivia, and suggested that Parties "
                "consider allowing single-Party NMAs to be registered on the platform;\n"
                "- proposed a tiered system to grade the quality of certified adaptation benefits "
                "under the ABM, and to identify direct and indirect benefits of adaptation;\n"
                "- asked which mechanisms the NDC Partnership has to work with governments on NDC "
                "priorities, and stressed that support for forest stewardship must be kept apart "
                "from market approaches.",
            ),
            DemoPost(
                "admin",
                "A participant called Article 6.8 an indispensable part of implementing the Paris "
                "Agreement: NMAs complement market-based approaches and enable cooperation where "
                "markets face limits. They stressed the great potential of NMAs for NDCs in "
                "sustainable agriculture and forestry, water management, ecosystem restoration "
                "and conservation, and an inclusive energy transition; the NMA platform as a "
                "growing hub for knowledge sharing and mutual learning; strong safeguards so that "
                "NMAs bring social and environmental benefits and respect human rights; and "
                "thanked the secretariat for the intersessional capacity-building workshops and "
                "the technical guidance on NMAs.",
            ),
            DemoPost(
                "admin",
                "A participant valued the joint mitigation and adaptation approach proposed by "
                "PBFCC as a holistic response to climate change, welcomed Japan's presentation on "
                "technology for adaptation, and stressed that without both mitigation and "
                "adaptation the goals of the Paris Agreement cannot be met. They supported "
                "registration of proposed NMAs on the platform by Article 6.8 focal points, called "
                "for more capacity building for them, said market and non-market approaches are "
                "equally important for NDCs, and congratulated Canada and Chile on their recently "
                "registered NMAs.",
            ),
            DemoPost(
                "focal_bol",
                "Gracias a la PBFCC por presentar la propuesta de la sociedad civil boliviana. "
                "Invitamos a continuar el diálogo entre Partes y observadores en el espacio del "
                "piloto de la región productora de castaña.",
            ),
        ),
    ),
    DemoThread(
        key="reflections",
        space=WORKSHOP,
        title="Reflections of Parties on the workshop",
        author="admin",
        body=(
            "Parties welcomed the chance to engage with the presenters and the Facilitative "
            "Working Group and to take part in the discussions. They found the workshop "
            "informative, a valuable opportunity to learn about work on NMAs.\n\n"
            "Parties appreciated the continued use of the world café, an informal space for "
            "interaction and for sharing experience."
        ),
        replies=(
            DemoPost(
                "admin",
                "报告原文（第 27–28 段）：\n\n"
                "> 缔约方对有机会与专题发言者和促进工作组接触并参与研讨会的讨论表示欢迎。"
                "他们认为，这次研讨会信息丰富，为了解与非市场方法相关的工作提供了宝贵机会。\n>\n"
                "> 缔约方对继续使用世界咖啡馆的形式表示赞赏，指出世界咖啡馆为互动和交流经验"
                "提供了一个非正式空间。",
            ),
        ),
    ),
    # ---- SUBARU (Japan) ----------------------------------------------------------------------
    DemoThread(
        key="subaru-overview",
        space="subaru",
        title="SUBARU: what was presented at SBSTA 63",
        author="focal_jpn",
        body=(
            "Japan presented NMAs focused on adaptation: its international cooperation and "
            "financing initiatives for the adaptation challenges of developing countries, "
            "including deploying Japanese technologies abroad, with case studies from the "
            "'Good practices of adaptation' publications of the Ministry of Economy, Trade and "
            "Industry.\n\n"
            f"Under the **SUBARU** initiative (registered on the [NMA platform]({PLATFORM_URL})):\n\n"
            "- adaptation technology matching between Asian private companies and cities;\n"
            "- capacity building for the use of the technologies deployed;\n"
            "- feasibility studies for deploying advanced adaptation technologies in other Asian "
            "countries;\n"
            "- leading the development of ISO standards to help scale up finance for adaptation "
            "and disaster risk reduction."
        ),
        replies=(
            DemoPost(
                "admin",
                "From the round table: a participant asked whether SUBARU's progress in Cambodia, "
                "the Lao People's Democratic Republic and Nepal could be reflected on the NMA "
                "platform.",
            ),
            DemoPost(
                "focal_jpn",
                "Thank you for the question. We will share updates on these activities in this "
                "space as they progress.",
            ),
        ),
    ),
    DemoThread(
        key="subaru-finance",
        space="subaru",
        title="Bringing private finance to adaptation: ISO 37116",
        author="focal_jpn",
        body=(
            "At the world café many asked how to finance adaptation projects that struggle to "
            "earn a commercial return, and how to involve private financial institutions with "
            "large capital. The ISO 37116 standard on financing adaptation and disaster risk "
            "reduction, under development, may help. Which questions should it answer for your "
            "cities?"
        ),
    ),
    # ---- Forest Conservation Certificates (Malaysia) -------------------------------------------
    DemoThread(
        key="fcc-overview",
        space="forest-conservation-certificates",
        title="Forest Conservation Certificates: overview and support sought",
        author="focal_mys",
        body=(
            "The **Forest Conservation Certificates** are a domestic non-market mechanism to "
            "mobilise resources for forest conservation. The presentation at SBSTA 63 covered "
            "approved projects, the governance arrangements, the measurement, reporting and "
            "verification requirements, and the tax incentives under the mechanism.\n\n"
            "Malaysia intends to register the certificates as a non-market mechanism under "
            "Article 6.8, and seeks support for capacity building, for reporting, and for "
            "cooperation with other Parties on operationalising them."
        ),
        replies=(
            DemoPost(
                "admin",
                "From the round table: a participant praised the certificates as an innovative "
                "approach and noted the ambition to raise funds. Another stressed that support "
                "for forest stewardship must be kept apart from market approaches.",
            ),
            DemoPost(
                "support",
                "Support providers listed on the NMA platform can help with the registration "
                "materials; the offline submission form is a good first step.",
            ),
        ),
    ),
    # ---- Adaptation Benefits Mechanism (AfDB) --------------------------------------------------
    DemoThread(
        key="abm-overview",
        space="adaptation-benefits-mechanism",
        title="The ABM: certified adaptation benefits, from pilot to global mechanism",
        author="afdb",
        body=(
            "The **Adaptation Benefits Mechanism** produces certified adaptation benefits as a "
            "way to mobilise adaptation finance. It offers ex-post and ex-ante project finance, "
            "including an adaptation **'supermarket'** where projects are listed and adaptation "
            "benefits can be bought.\n\n"
            "The pilot phase ends in 2025. As the ABM Executive Committee explained, the next, "
            "transitional phase is to identify a host country or an international organisation "
            "to provide the legal and operational framework for the ABM as a global mechanism."
        ),
        replies=(
            DemoPost(
                "admin",
                "Uganda noted that certified adaptation benefits can support national adaptation "
                "priorities, help with the persistent difficulty of accessing adaptation finance, "
                "and scale up resources for adaptation in agriculture, water and other priority "
                "sectors; and stressed the ABM's potential to mobilise climate finance "
                "internationally and domestically.",
            ),
            DemoPost(
                "admin",
                "From the round table: a participant proposed a tiered system to grade the quality "
                "of certified adaptation benefits, and to identify the direct and indirect "
                "benefits of adaptation activities.",
            ),
            DemoPost(
                "afdb",
                "Appel aux Parties : la phase pilote du Mécanisme des bénéfices de l'adaptation "
                "s'achève en 2025. Les Parties intéressées à accueillir le mécanisme sont invitées "
                "à exprimer leur intérêt ; le cadre juridique et opérationnel d'un mécanisme "
                "mondial reste à définir.",
            ),
        ),
    ),
    # ---- Bolivia: joint mitigation and adaptation ----------------------------------------------
    DemoThread(
        key="bolivia-pilot",
        space="bolivia-joint-mitigation-adaptation",
        title="Climate ambition partnerships: the nut-growing region pilot",
        author="ngo",
        body=(
            "A Bolivian civil-society alliance proposes to implement Article 6.8 through "
            "**climate ambition partnerships** that follow four principles:\n\n"
            "1. non-commodification (no markets);\n"
            "2. mitigation and adaptation together;\n"
            "3. full participation of indigenous peoples, women and local communities;\n"
            "4. technological sovereignty and direct local finance, so that the resources and "
            "knowledge produced stay with those who implement.\n\n"
            "A pilot case in the **northern nut-growing region** of the Plurinational State of "
            "Bolivia: communities combine forest conservation with sustainable production. To "
            "scale it up we need more international cooperation, financial support, and dialogue "
            "between Parties and observers."
        ),
        replies=(
            DemoPost(
                "ngo",
                "Resumen en español: la propuesta de la alianza de la sociedad civil boliviana "
                "aplica el artículo 6.8 mediante alianzas de ambición climática, con cuatro "
                "principios: no mercantilización; mitigación y adaptación conjuntas; participación "
                "plena de pueblos indígenas, mujeres y comunidades locales; y soberanía "
                "tecnológica con financiamiento local directo. El piloto en la región productora de "
                "castaña del norte de Bolivia une la conservación del bosque con "
                "la producción sostenible.",
            ),
            DemoPost(
                "admin",
                "From the round table: a participant valued this joint mitigation and adaptation "
                "approach as a holistic response to climate change, and stressed that the goals "
                "of the Paris Agreement cannot be met without both.",
            ),
            DemoPost(
                "focal_bol",
                "Gracias. CGIAR acompañó a Bolivia en la preparación de materiales para el "
                "registro en la plataforma; seguiremos compartiendo aquí los avances del piloto.",
            ),
        ),
    ),
    # ---- LCIPP (restricted) --------------------------------------------------------------------
    DemoThread(
        key="lcipp-baku",
        space="lcipp",
        title="The Baku workplan (2025–2027) and the NMA work programme: possible links",
        author="lcipp",
        body=(
            "At the world café the Facilitative Working Group explored links between the LCIPP "
            "Baku workplan (2025–2027) and the NMA work programme. NMAs are still the least "
            "developed of the Article 6 mechanisms, which is an opening for synergies.\n\n"
            "Any NMA that touches the lands, knowledge or resources of indigenous peoples and "
            "local communities needs their full and effective participation at every level of "
            "decision-making, with **free, prior and informed consent**, and social and "
            "environmental safeguards that recognise their collective and territorial rights.\n\n"
            "Focal points: how are these safeguards written into your national guidance?"
        ),
        replies=(
            DemoPost(
                "focal_bol",
                "In the nut-growing region pilot, the full participation of indigenous peoples, "
                "women and local communities is one of the four principles of the proposal. We "
                "would welcome the FWG's view on how to document consent.",
            ),
        ),
    ),
    # ---- Capacity building -------------------------------------------------------------------
    DemoThread(
        key="national-guidance",
        space="capacity-building",
        title="How do we write national guidance for NMAs?",
        author="moderator",
        body=(
            "At the round table a participant said their country is at an early stage of "
            "engaging with the NMA platform and has submitted the first NMA of its region, but "
            "is still unsure how to develop and write **national guidance** for NMAs. They asked "
            "for more capacity building for Article 6.8 focal points, including shared case "
            "studies, and for more use of the online discussion forum.\n\n"
            "Focal points and support providers: share your drafts, templates and lessons here."
        ),
        replies=(
            DemoPost(
                "support",
                "Lessons from supporting Colombia and Bolivia: (1) start from the offline "
                "submission form; (2) engage the national authorities early; (3) use the "
                "secretariat's guidance on potential NMAs. Much of the work is building a common "
                "understanding of what an NMA is in practice and how it supports the NDC.",
            ),
            DemoPost(
                "focal_mys",
                "Malaysia is looking for the same kind of support: capacity building and reporting "
                "for our Forest Conservation Certificates. We would be glad to compare notes.",
            ),
            DemoPost(
                "admin",
                "报告原文（第 23 段）：\n\n"
                "> 该与会者强调，需要加强对第六条第八款国家协调人的能力建设，包括分享案例研究，"
                "并鼓励更多地利用非市场方法平台上的在线讨论论坛来交流信息。",
            ),
        ),
    ),
)

# One post that waits for a moderator: an observer's reply in the pre-moderated workshop
# space, so the moderation queue of the demo is not empty.
PENDING_POST = (
    "round-table",
    DemoPost(
        "ngo",
        "Could a future workshop hold a world-café table on safeguards and free, prior and "
        "informed consent, hosted with the LCIPP Facilitative Working Group?",
    ),
)

DEMO_CAFE = DemoCafe(
    space=WORKSHOP,
    title="Demo world café: the NMAs of SBSTA 63",
    round_seconds=15 * 60,
    tables=(
        DemoTable("SUBARU: adaptation technology matching", "focal_jpn"),
        DemoTable("Forest Conservation Certificates", "focal_mys"),
        DemoTable("Adaptation Benefits Mechanism", "afdb"),
        DemoTable("Joint mitigation and adaptation: the nut-growing region pilot", "focal_bol"),
    ),
)


# --- The round table (chapter V of the report) --------------------------------------------


@dataclass(frozen=True)
class DemoIntervention:
    speaker: str
    capacity: str
    # 'capacity' names the speaker by it; 'anonymous' is 'a participant', as the report writes.
    attribution: str
    minutes: int
    summary: str


@dataclass(frozen=True)
class DemoRoundTable:
    space: str
    question: str
    turn_seconds: int
    policy: str
    interventions: tuple[DemoIntervention, ...]


# A finished round table: the interventions of chapter V, attributed as the report does.
DEMO_ROUNDTABLE = DemoRoundTable(
    space=WORKSHOP,
    question=(
        "What insights from the presentations and the world café would you share on non-market approaches?"
    ),
    turn_seconds=5 * 60,
    policy="request_order",
    interventions=(
        DemoIntervention(
            "lcipp",
            "fwg",
            "capacity",
            5,
            "Implementing Article 6.8 matters to Indigenous Peoples and local communities, whose "
            "territories and ways of life these decisions touch: their collective and territorial "
            "rights call for social and environmental safeguards, and for their full and effective "
            "participation with free, prior and informed consent before any action on their lands. "
            "NMAs, the least mature of the Article 6 mechanisms, offer room for synergies with the "
            "Facilitative Working Group; Indigenous, traditional and local knowledge has value for "
            "climate action.",
        ),
        DemoIntervention(
            "ngo",
            "observer",
            "anonymous",
            4,
            "Asked whether progress of SUBARU in Cambodia, the Lao People's Democratic Republic and "
            "Nepal could be shown on the NMA platform; praised the Forest Conservation Certificates; "
            "suggested that single-Party NMAs could be registered; proposed a grading of certified "
            "adaptation benefits; asked how the NDC Partnership works with governments, keeping "
            "support for forest stewardship apart from market approaches.",
        ),
        DemoIntervention(
            "support",
            "observer",
            "anonymous",
            4,
            "Article 6.8 is integral to the Paris Agreement and complements market-based approaches. "
            "NMAs hold great potential for NDCs in agriculture, forestry, water, ecosystems and the "
            "energy transition; the NMA platform is a hub of knowledge-sharing; strong safeguards, "
            "human rights included, are needed. Thanked the secretariat for the intersessional "
            "capacity-building workshops and the technical guidance.",
        ),
        DemoIntervention(
            "focal_mys",
            "party",
            "anonymous",
            3,
            "The workshop showed good ideas that other countries can take up. Early in engaging with "
            "the platform, with a first NMA of the region submitted, there is uncertainty about "
            "national guidelines for NMAs: focal points need capacity-building, case studies and more "
            "use of the platform's online forum.",
        ),
        DemoIntervention(
            "afdb",
            "observer",
            "anonymous",
            4,
            "From the world café: letters of approval from host countries of the Adaptation Benefits "
            "Mechanism show that its NMAs are genuine adaptation and can open adaptation finance, "
            "with a process distinct from that of market approaches; the meaning of 'non-market' in "
            "practice needs further work, with indicators of adaptation progress; Parties are invited "
            "to host the mechanism after its pilot phase.",
        ),
        DemoIntervention(
            "focal_bol",
            "party",
            "anonymous",
            4,
            "Valued the joint mitigation and adaptation approach presented by PBFCC as holistic and "
            "welcomed Japan's presentation on technology for adaptation: without both mitigation and "
            "adaptation the Paris goals cannot be met. Supported registration of NMAs by Article 6.8 "
            "focal points, with more capacity-building for them, and congratulated Canada and Chile "
            "on their recently registered NMAs.",
        ),
        DemoIntervention(
            "focal_jpn",
            "party",
            "anonymous",
            3,
            "Thanked participants for their interest in SUBARU at the world café. Financing is the "
            "challenge, since many projects struggle to earn commercial returns; the question is how "
            "to bring well-capitalized private financial institutions in. ISO 37116, now being "
            "developed on financing adaptation and disaster risk reduction, could help.",
        ),
    ),
)
