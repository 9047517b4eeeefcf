"""How a capacity and an attribution read, as the secretariat's reports write them (pure).

The round table's own screens and events use English (`attributed_as(..., "en")`, the
default); the workshop report asks for the phrase in the language it is drafted in, one
of the six UN languages. Party names come from the CLDR territory names that Babel ships
(keyed by ISO 3166-1 alpha-2, which `iso3166` gives for our alpha-3 codes).

French and Russian place the Party's name in apposition ('le représentant de la Partie
(Malaisie)', 'представитель Стороны (Малайзия)'): CLDR gives the bare nominative name,
and writing it after 'de' or in the genitive would need the article or the declined form
of every country, which no maintained source offers."""

from __future__ import annotations

from functools import cache

from babel import Locale
from iso3166 import countries_by_alpha3

from forum.accounts.parties import EUROPEAN_UNION
from forum.roundtables.models import Attribution, CapacityKind

LANGUAGES = ("en", "fr", "es", "ar", "ru", "zh")

LCIPP = "the Local Communities and Indigenous Peoples Platform"
FWG = "the Facilitative Working Group"

# The European Union is no ISO 3166-1 country; CLDR's "EU" is the union itself. Spanish
# names it with its article ('el representante de la Unión Europea').
_EU_ALPHA2 = "EU"
_EU_NAMES = {"en": "the European Union", "es": "la Unión Europea"}

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "party": "the representative of {party}",
        "lcipp": "a representative of the Local Communities and Indigenous Peoples Platform",
        "fwg": "a representative of the Facilitative Working Group",
        "secretariat": "a representative of the secretariat",
        "observer": "a representative of {organisation}",
        "observer_unnamed": "an observer",
        "anonymous": "a participant",
        "a_party": "a Party",
    },
    "fr": {
        "party": "le représentant de la Partie ({party})",
        "lcipp": "un représentant de la Plateforme des communautés locales et des peuples autochtones",
        "fwg": "un représentant du Groupe de travail de facilitation",
        "secretariat": "un représentant du secrétariat",
        "observer": "un représentant de {organisation}",
        "observer_unnamed": "un observateur",
        "anonymous": "un participant",
        "a_party": "une Partie",
    },
    "es": {
        "party": "el representante de {party}",
        "lcipp": "un representante de la Plataforma de las Comunidades Locales y los Pueblos Indígenas",
        "fwg": "un representante del Grupo de Trabajo de Facilitación",
        "secretariat": "un representante de la secretaría",
        "observer": "un representante de {organisation}",
        "observer_unnamed": "un observador",
        "anonymous": "un participante",
        "a_party": "una Parte",
    },
    "ar": {
        "party": "ممثل {party}",
        "lcipp": "أحد ممثلي منصة المجتمعات المحلية والشعوب الأصلية",
        "fwg": "أحد ممثلي فريق العمل التيسيري",
        "secretariat": "أحد ممثلي الأمانة",
        "observer": "أحد ممثلي {organisation}",
        "observer_unnamed": "أحد المراقبين",
        "anonymous": "أحد المشاركين",
        "a_party": "أحد الأطراف",
    },
    "ru": {
        "party": "представитель Стороны ({party})",
        "lcipp": "представитель Платформы местных общин и коренных народов",
        "fwg": "представитель Рабочей группы по содействию",
        "secretariat": "представитель секретариата",
        "observer": "представитель организации {organisation}",
        "observer_unnamed": "наблюдатель",
        "anonymous": "один из участников",
        "a_party": "одна из Сторон",
    },
    "zh": {
        "party": "{party}代表",
        "lcipp": "地方社区和土著人民平台的一位代表",
        "fwg": "促进工作组的一位代表",
        "secretariat": "秘书处的一位代表",
        "observer": "{organisation}的一位代表",
        "observer_unnamed": "一位观察员",
        "anonymous": "一位与会者",
        "a_party": "一个缔约方",
    },
}


# UN English names a few Parties with the article: 'the representative of the Philippines'.
_WITH_THE = (
    "Bahamas",
    "Central African Republic",
    "Comoros",
    "Congo",
    "Cook Islands",
    "Dominican Republic",
    "Gambia",
    "Lao People's Democratic Republic",
    "Maldives",
    "Marshall Islands",
    "Netherlands",
    "Niger",
    "Philippines",
    "Russian Federation",
    "Solomon Islands",
    "Sudan",
    "Syrian Arab Republic",
    "United Arab Emirates",
    "United Kingdom of Great Britain and Northern Ireland",
    "United States of America",
)


def _uninverted(name: str) -> str:
    """ISO 3166's inverted names in the UN's order: 'Bolivia, Plurinational State of' is
    'Plurinational State of Bolivia', 'Congo, Democratic Republic of the' 'Democratic
    Republic of the Congo'; other names are left as they are."""
    head, sep, tail = name.partition(", ")
    if sep and (tail.endswith(" of") or tail.endswith(" of the")):
        return f"{tail} {head}"
    return name


# The opening words of the names that came from inverted ones, which take the article too.
_STATE_FORMS = (
    "Plurinational ",
    "Bolivarian ",
    "Islamic ",
    "Republic of ",
    "Democratic ",
    "United Republic ",
    "Federated ",
    "State of ",
    "Kingdom of ",
)


def _english_with_article(name: str) -> str:
    """'the Philippines', 'the Republic of Korea', 'Japan'."""
    if name.startswith("the ") or not (name in _WITH_THE or name.startswith(_STATE_FORMS)):
        return name
    return f"the {name}"


@cache
def _territories(language: str) -> dict[str, str]:
    return dict(Locale.parse(language).territories)


def party_name(code: str | None, language: str = "en") -> str:
    """The Party's short name in `language` ('Malaysia', 'Malaisie', '马来西亚'); English
    keeps the ISO 3166-1 name the round table has always shown, and 'the European Union'."""
    if code == EUROPEAN_UNION and language in _EU_NAMES:
        return _EU_NAMES[language]
    if language == "en":
        country = countries_by_alpha3.get(code or "")
        return _uninverted(country.name) if country is not None else (code or PHRASES["en"]["a_party"])
    if code == EUROPEAN_UNION:
        alpha2: str | None = _EU_ALPHA2
    else:
        country = countries_by_alpha3.get(code or "")
        alpha2 = country.alpha2 if country is not None else None
    if alpha2 is None:
        return code or PHRASES[language]["a_party"]
    return _territories(language).get(alpha2) or party_name(code, "en")


def capacity_label(kind: str, code: str | None) -> str:
    """The capacity itself, shown in the queue: 'Malaysia', 'LCIPP', 'CGIAR'."""
    if kind == CapacityKind.party.value:
        return party_name(code)
    if kind == CapacityKind.lcipp.value:
        return "LCIPP"
    if kind == CapacityKind.fwg.value:
        return "LCIPP Facilitative Working Group"
    if kind == CapacityKind.secretariat.value:
        return "Secretariat"
    return code or "Observer"


def attributed_as(kind: str, code: str | None, attribution: str, language: str = "en") -> str:
    """'the representative of Malaysia', 'a representative of the Facilitative Working
    Group', or 'a participant' when the speaker chose to stay anonymous; in `language`."""
    p = PHRASES[language]
    if attribution == Attribution.anonymous.value:
        return p["anonymous"]
    if kind == CapacityKind.party.value:
        name = party_name(code, language)
        return p["party"].format(party=_english_with_article(name) if language == "en" else name)
    if kind == CapacityKind.lcipp.value:
        return p["lcipp"]
    if kind == CapacityKind.fwg.value:
        return p["fwg"]
    if kind == CapacityKind.secretariat.value:
        return p["secretariat"]
    return p["observer"].format(organisation=code) if code else p["observer_unnamed"]
