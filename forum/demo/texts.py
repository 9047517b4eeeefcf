"""The words of generated discussions: sentence templates about NMAs in the six UN languages.

`forum generate` (forum.demo.generate) writes posts from these. Each language has
sentences about the themes the NMA community discusses (adaptation, forests, finance,
capacity-building, technology, the platform and its workshops) with slots filled from
small vocabularies, so that a word or phrase query hits a realistic share of posts in its
language. A body is one to four sentences, sometimes with Markdown emphasis or a list;
`body_pool` makes a fixed number of distinct bodies once, each rendered to HTML once, and
the generator picks from it: rendering a million posts one by one would take longer than
writing them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from forum.lib import markdown

LANGUAGES = ("en", "fr", "es", "ru", "ar", "zh")

# How often a post is in each language: English most, then the others, as at the sessions.
LANGUAGE_WEIGHTS = (0.45, 0.14, 0.14, 0.09, 0.09, 0.09)

NMAS = {
    "en": ["SUBARU", "the Forest Conservation Certificates", "the Adaptation Benefits Mechanism",
           "the joint mitigation and adaptation approach", "the community forest programme"],
    "fr": ["SUBARU", "les certificats de conservation des forêts", "le mécanisme des bénéfices d'adaptation",
           "l'approche conjointe d'atténuation et d'adaptation", "le programme de forêts communautaires"],
    "es": ["SUBARU", "los certificados de conservación de bosques", "el mecanismo de beneficios de adaptación",
           "el enfoque conjunto de mitigación y adaptación", "el programa de bosques comunitarios"],
    "ru": ["SUBARU", "сертификаты сохранения лесов", "механизм выгод от адаптации",
           "совместный подход к смягчению и адаптации", "программа общинных лесов"],
    "ar": ["سُوبَارُو", "شَهَادَاتُ حِفْظِ الغَابَاتِ", "آلِيَّةُ فَوَائِدِ التَّكَيُّفِ",
           "النَّهْجُ المُشْتَرَكُ لِلتَّخْفِيفِ وَالتَّكَيُّفِ", "بَرْنَامَجُ الغَابَاتِ المُجْتَمَعِيَّةِ"],
    "zh": ["SUBARU", "森林保护证书", "适应效益机制", "减缓与适应联合方法", "社区森林计划"],
}  # fmt: skip

THEMES = {
    "en": ["adaptation", "forest conservation", "climate finance", "capacity-building",
           "technology transfer", "water management", "food security", "sustainable livelihoods"],
    "fr": ["l'adaptation", "la conservation des forêts", "le financement climatique", "le renforcement des capacités",
           "le transfert de technologies", "la gestion de l'eau", "la sécurité alimentaire", "les moyens de subsistance durables"],
    "es": ["la adaptación", "la conservación de bosques", "la financiación climática", "el fomento de la capacidad",
           "la transferencia de tecnología", "la gestión del agua", "la seguridad alimentaria", "los medios de vida sostenibles"],
    "ru": ["адаптация", "сохранение лесов", "климатическое финансирование", "укрепление потенциала",
           "передача технологий", "управление водными ресурсами", "продовольственная безопасность", "устойчивые средства к существованию"],
    "ar": ["التَّكَيُّفُ", "حِفْظُ الغَابَاتِ", "تَمْوِيلُ المُنَاخِ", "بِنَاءُ القُدُرَاتِ",
           "نَقْلُ التِّكْنُولُوجِيَا", "إِدَارَةُ المِيَاهِ", "الأَمْنُ الغِذَائِيُّ", "سُبُلُ العَيْشِ المُسْتَدَامَةُ"],
    "zh": ["适应", "森林保护", "气候资金", "能力建设", "技术转让", "水资源管理", "粮食安全", "可持续生计"],
}  # fmt: skip

PLACES = {
    "en": ["Japan", "Malaysia", "Bolivia", "Kenya", "Bangladesh", "Fiji", "Colombia", "Senegal"],
    "fr": ["le Japon", "la Malaisie", "la Bolivie", "le Kenya", "le Bangladesh", "les Fidji", "la Colombie", "le Sénégal"],
    "es": ["Japón", "Malasia", "Bolivia", "Kenia", "Bangladés", "Fiyi", "Colombia", "Senegal"],
    "ru": ["Япония", "Малайзия", "Боливия", "Кения", "Бангладеш", "Фиджи", "Колумбия", "Сенегал"],
    "ar": ["اليَابَانُ", "مَالِيزِيَا", "بُولِيفِيَا", "كِينِيَا", "بَنْغْلَادِيش", "فِيجِي", "كُولُومْبِيَا", "السِّنِغَال"],
    "zh": ["日本", "马来西亚", "玻利维亚", "肯尼亚", "孟加拉国", "斐济", "哥伦比亚", "塞内加尔"],
}  # fmt: skip

SENTENCES = {
    "en": [
        "How does {nma} measure its results for {theme}?",
        "In {place} we started with a national guidance on non-market approaches and {theme}.",
        "The web-based platform should list the support providers working on {theme}.",
        "Our focal point shared lessons from {nma} at the workshop in {year}.",
        "Could the secretariat summarise the submissions on {theme} before the next session?",
        "Local communities in {place} lead the work on {theme}, and their knowledge must be recognised.",
        "We see {nma} as a way to combine mitigation, adaptation and {theme} without markets.",
        "The Glasgow Committee could identify {number} new opportunities for {theme}.",
        "Indigenous Peoples in {place} asked for safeguards before {nma} is scaled up.",
        "Finance for {theme} remains the main barrier for small island developing States.",
        "A pilot in {place} showed that {theme} works best when the whole community owns it.",
        "Thank you for the summary; the part on {theme} answers our question.",
    ],
    "fr": [
        "Comment {nma} mesure-t-il ses résultats pour {theme} ?",
        "Au départ, {place} a préparé une orientation nationale sur les approches non fondées sur le marché et {theme}.",
        "La plateforme en ligne devrait recenser les fournisseurs d'appui qui travaillent sur {theme}.",
        "Notre correspondant national a présenté les enseignements de {nma} lors de l'atelier de {year}.",
        "Le secrétariat pourrait-il résumer les communications sur {theme} avant la prochaine session ?",
        "Les communautés locales mènent le travail sur {theme}, et leurs savoirs doivent être reconnus.",
        "Nous voyons {nma} comme un moyen d'allier atténuation, adaptation et {theme} sans marché.",
        "Le Comité de Glasgow pourrait repérer {number} nouvelles possibilités pour {theme}.",
        "Le financement de {theme} reste le principal obstacle pour les petits États insulaires en développement.",
        "Merci pour ce résumé : la partie sur {theme} répond à notre question.",
    ],
    "es": [
        "¿Cómo mide {nma} sus resultados en {theme}?",
        "En {place} empezamos con una guía nacional sobre enfoques no relacionados con el mercado y {theme}.",
        "La plataforma web debería enumerar a los proveedores de apoyo que trabajan en {theme}.",
        "Nuestro punto focal compartió las lecciones de {nma} en el taller de {year}.",
        "¿Podría la secretaría resumir las comunicaciones sobre {theme} antes del próximo período de sesiones?",
        "Las comunidades locales de {place} lideran el trabajo en {theme}, y su conocimiento debe reconocerse.",
        "Vemos {nma} como una forma de combinar mitigación, adaptación y {theme} sin mercados.",
        "El Comité de Glasgow podría identificar {number} nuevas oportunidades para {theme}.",
        "La financiación para {theme} sigue siendo la principal barrera para los pequeños Estados insulares.",
        "Gracias por el resumen; la parte sobre {theme} responde a nuestra pregunta.",
    ],
    "ru": [
        "Как {nma} измеряет свои результаты в области «{theme}»?",
        "{place} начала с национального руководства по нерыночным подходам; тема: {theme}.",
        "Веб-платформа должна перечислять поставщиков поддержки, работающих по теме «{theme}».",
        "Наш национальный координатор рассказал об опыте {nma} на семинаре {year} года.",
        "Не мог бы секретариат обобщить представления по теме «{theme}» до следующей сессии?",
        "Местные общины ведут работу по теме «{theme}», и их знания должны быть признаны.",
        "Мы видим в {nma} способ сочетать смягчение, адаптацию и тему «{theme}» без рынков.",
        "Комитет Глазго мог бы определить {number} новых возможностей по теме «{theme}».",
        "Спасибо за резюме: часть о теме «{theme}» отвечает на наш вопрос.",
    ],
    "ar": [
        "كَيْفَ تَقِيسُ {nma} نَتَائِجَهَا فِي مَجَالِ {theme}؟",
        "بَدَأْنَا فِي {place} بِإِرْشَادَاتٍ وَطَنِيَّةٍ بِشَأْنِ النُّهُجِ غَيْرِ السُّوقِيَّةِ وَ{theme}.",
        "يَنْبَغِي أَنْ تُدْرِجَ المِنَصَّةُ الشَّبَكِيَّةُ مُقَدِّمِي الدَّعْمِ العَامِلِينَ فِي {theme}.",
        "عَرَضَ مُنَسِّقُنَا الوَطَنِيُّ دُرُوسَ {nma} فِي حَلْقَةِ عَمَلِ عَامِ {year}.",
        "هَلْ يُمْكِنُ لِلأَمَانَةِ تَلْخِيصُ المُقْتَرَحَاتِ بِشَأْنِ {theme} قَبْلَ الدَّوْرَةِ القَادِمَةِ؟",
        "تَقُودُ المُجْتَمَعَاتُ المَحَلِّيَّةُ فِي {place} العَمَلَ فِي {theme}، وَيَجِبُ الاعْتِرَافُ بِمَعَارِفِهَا.",
        "يُمْكِنُ لِلَجْنَةِ غْلَاسْكُو تَحْدِيدُ {number} فُرْصَةً جَدِيدَةً فِي {theme}.",
        "شُكْرًا عَلَى المُلَخَّصِ؛ الجُزْءُ المُتَعَلِّقُ بِـ{theme} يُجِيبُ عَنْ سُؤَالِنَا.",
    ],
    "zh": [
        "{nma}如何衡量其在{theme}方面的成果？",
        "{place}首先制定了关于非市场方法和{theme}的国家指南。",
        "网络平台应列出从事{theme}工作的支持提供方。",
        "我们的国家联络人在{year}年的研讨会上分享了{nma}的经验。",
        "秘书处能否在下届会议之前汇总关于{theme}的提交材料？",
        "{place}的地方社区在{theme}方面发挥主导作用，他们的知识应当得到承认。",
        "我们认为{nma}是在不依赖市场的情况下结合减缓、适应和{theme}的途径。",
        "格拉斯哥委员会可以确定{number}个关于{theme}的新机会。",
        "感谢总结，关于{theme}的部分回答了我们的问题。",
    ],
}

TITLES = {
    "en": ["Experiences with {nma}", "Question on {theme}", "{theme}: lessons from {place}", "Finance for {theme}"],
    "fr": ["Expériences avec {nma}", "Question sur {theme}", "{theme} : leçons de {place}", "Financer {theme}"],
    "es": ["Experiencias con {nma}", "Pregunta sobre {theme}", "{theme}: lecciones de {place}", "Financiar {theme}"],
    "ru": ["Опыт {nma}", "Вопрос: {theme}", "{theme}: уроки, {place}", "Финансирование: {theme}"],
    "ar": ["تَجَارِبُ مَعَ {nma}", "سُؤَالٌ حَوْلَ {theme}", "{theme}: دُرُوسٌ مِنْ {place}", "تَمْوِيلُ {theme}"],
    "zh": ["{nma}的经验", "关于{theme}的问题", "{theme}：来自{place}的经验", "{theme}的资金"],
}  # fmt: skip


@dataclass(frozen=True)
class Body:
    """One distinct post text and its HTML, rendered once."""

    language: str
    text: str
    html: str


def _fill(rng: random.Random, template: str, language: str) -> str:
    return template.format(
        nma=rng.choice(NMAS[language]),
        theme=rng.choice(THEMES[language]),
        place=rng.choice(PLACES[language]),
        year=rng.choice((2022, 2023, 2024, 2025)),
        number=rng.randint(2, 40),
    )


def sentence(rng: random.Random, language: str) -> str:
    return _fill(rng, rng.choice(SENTENCES[language]), language)


def title(rng: random.Random, language: str) -> str:
    text = _fill(rng, rng.choice(TITLES[language]), language)
    return text[0].upper() + text[1:]


def body_text(rng: random.Random, language: str) -> str:
    """One to four sentences; now and then a bold phrase or a short list, as people write."""
    count = rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
    parts = [sentence(rng, language) for _ in range(count)]
    shape = rng.random()
    if shape < 0.1 and count > 1:
        return parts[0] + "\n\n" + "\n".join(f"- {p}" for p in parts[1:])
    if shape < 0.25:
        words = parts[0].split(" ")
        if len(words) > 3:
            words[1] = f"**{words[1]}**"
            parts[0] = " ".join(words)
    return " ".join(parts)


def body_pool(rng: random.Random, size: int) -> list[Body]:
    """`size` distinct bodies over the six languages by their weights, each rendered once."""
    seen: set[str] = set()
    pool: list[Body] = []
    attempts = 0
    while len(pool) < size and attempts < size * 20:
        attempts += 1
        language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
        text = body_text(rng, language)
        if text in seen:
            continue
        seen.add(text)
        pool.append(Body(language, text, markdown.render(text)))
    return pool
