"""What a mail says, in the six UN languages: subjects, lines and link labels.

Every language has every key (tests/unit checks it); `{actor}`, `{title}`, `{space}` and
`{count}` are filled by forum.mail.render. Arabic mails are marked right-to-left there.
"""

from __future__ import annotations

LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
DEFAULT_LANGUAGE = "en"

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "subject.mention": "{actor} mentioned you in “{title}”",
        "subject.reply": "{actor} replied to you in “{title}”",
        "subject.digest": "What is new in your spaces: {count} threads",
        "line.mention": "{actor} mentioned you in “{title}” ({space}):",
        "line.reply": "{actor} replied to you in “{title}” ({space}):",
        "line.digest": "New posts in the spaces you watch:",
        "open": "Open the thread",
        "why": "You get this mail because of your mail settings on the forum.",
        "unsubscribe": "Stop these mails",
        "settings": "Mail settings",
    },
    "fr": {
        "subject.mention": "{actor} vous a mentionné dans « {title} »",
        "subject.reply": "{actor} vous a répondu dans « {title} »",
        "subject.digest": "Du nouveau dans vos espaces : {count} fils",
        "line.mention": "{actor} vous a mentionné dans « {title} » ({space}) :",
        "line.reply": "{actor} vous a répondu dans « {title} » ({space}) :",
        "line.digest": "Nouveaux messages dans les espaces que vous suivez :",
        "open": "Ouvrir le fil",
        "why": "Vous recevez ce courriel selon vos réglages de courriel du forum.",
        "unsubscribe": "Ne plus recevoir ces courriels",
        "settings": "Réglages de courriel",
    },
    "es": {
        "subject.mention": "{actor} le mencionó en «{title}»",
        "subject.reply": "{actor} le respondió en «{title}»",
        "subject.digest": "Novedades en sus espacios: {count} hilos",
        "line.mention": "{actor} le mencionó en «{title}» ({space}):",
        "line.reply": "{actor} le respondió en «{title}» ({space}):",
        "line.digest": "Mensajes nuevos en los espacios que sigue:",
        "open": "Abrir el hilo",
        "why": "Recibe este correo según su configuración de correo del foro.",
        "unsubscribe": "Dejar de recibir estos correos",
        "settings": "Configuración de correo",
    },
    "ru": {
        "subject.mention": "{actor} упомянул(а) вас в «{title}»",
        "subject.reply": "{actor} ответил(а) вам в «{title}»",
        "subject.digest": "Новое в ваших разделах: тем — {count}",
        "line.mention": "{actor} упомянул(а) вас в «{title}» ({space}):",
        "line.reply": "{actor} ответил(а) вам в «{title}» ({space}):",
        "line.digest": "Новые сообщения в разделах, за которыми вы следите:",
        "open": "Открыть тему",
        "why": "Вы получили это письмо согласно настройкам почты на форуме.",
        "unsubscribe": "Отписаться от этих писем",
        "settings": "Настройки почты",
    },
    "zh": {
        "subject.mention": "{actor} 在“{title}”中提到了您",
        "subject.reply": "{actor} 在“{title}”中回复了您",
        "subject.digest": "您关注的空间有新内容：{count} 个主题",
        "line.mention": "{actor} 在“{title}”（{space}）中提到了您：",
        "line.reply": "{actor} 在“{title}”（{space}）中回复了您：",
        "line.digest": "您关注的空间中的新帖子：",
        "open": "打开主题",
        "why": "您收到此邮件是因为您在论坛上的邮件设置。",
        "unsubscribe": "不再接收此类邮件",
        "settings": "邮件设置",
    },
    "ar": {
        "subject.mention": "أشار إليك {actor} في «{title}»",
        "subject.reply": "ردّ عليك {actor} في «{title}»",
        "subject.digest": "جديد في مساحاتك: {count} من المواضيع",
        "line.mention": "أشار إليك {actor} في «{title}» ({space}):",
        "line.reply": "ردّ عليك {actor} في «{title}» ({space}):",
        "line.digest": "مشاركات جديدة في المساحات التي تتابعها:",
        "open": "افتح الموضوع",
        "why": "تصلك هذه الرسالة وفق إعدادات البريد الخاصة بك في المنتدى.",
        "unsubscribe": "إيقاف هذه الرسائل",
        "settings": "إعدادات البريد",
    },
}


def text(language: str, key: str, **values: object) -> str:
    table = TEXTS.get(language) or TEXTS[DEFAULT_LANGUAGE]
    return table[key].format(**values)
