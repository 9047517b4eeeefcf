"""Mail: a real SMTP server on loopback (aiosmtpd) receives what the worker sends.

Each test starts its own server on a free port; the app queues mail in the notification's
transaction (mail_delay_seconds 0, so rows are due at once), and the test drives the
worker's passes itself (the app's own background worker is off: `mail_worker=False`).
"""

from __future__ import annotations

import asyncio
import email
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.lib.db import create_engine, make_sessionmaker
from forum.mail import digest
from forum.mail import outbox as mail_outbox
from forum.mail.models import MailOutbox, MailPreference
from forum.mail.worker import MailWorker
from forum.settings import Settings
from tests.conftest import Cast, People, Persona, make_space, make_thread
from tests.helpers import assert_problem, make_post
from tests.queries import count_app_queries

PUBLIC = "https://forum.example"


@dataclass
class Inbox:
    """What the SMTP server received; `refuse` makes it answer DATA with that reply."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: str | None = None

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        if self.refuse:
            return self.refuse
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))  # type: ignore[attr-defined]
        return "250 OK"

    def to(self, who: Persona) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"].addresses[0].addr_spec == who.email]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def settings(settings: Settings, smtp: tuple[Inbox, int]) -> Settings:
    return replace(
        settings,
        smtp_url=f"smtp://127.0.0.1:{smtp[1]}",
        mail_from="NMA forum <forum@nma.example>",
        public_url=PUBLIC,
        mail_delay_seconds=0,
        mail_max_attempts=3,
        mail_worker=False,
    )


@pytest.fixture(autouse=True)
def mail_off_afterwards() -> Iterator[None]:
    """The hooks read module state set by create_app; leave it as a mail-less app would."""
    yield
    mail_outbox.STATE.enabled = False


@pytest.fixture
def inbox(smtp: tuple[Inbox, int]) -> Inbox:
    return smtp[0]


@pytest.fixture
async def worker(settings: Settings) -> AsyncIterator[MailWorker]:
    engine = create_engine(settings)
    yield MailWorker(make_sessionmaker(engine), settings, name="test-worker", retry_base_seconds=0)
    await engine.dispose()


async def handle(db: AsyncSession, who: Persona) -> str:
    return (await db.scalar(select(User.handle).where(User.id == who.id))) or ""


async def set_mail(client: AsyncTestClient, who: Persona, **values: object) -> dict:
    resp = await client.put("/api/me/mail", json=values, headers=who.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def drain(worker: MailWorker) -> None:
    while await worker.run_once():
        pass


async def outbox(db: AsyncSession) -> list[MailOutbox]:
    return list(
        (
            await db.scalars(
                select(MailOutbox).order_by(MailOutbox.id).execution_options(populate_existing=True)
            )
        ).all()
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None and rich is not None
    return plain.get_content(), rich.get_content()


async def test_a_mention_mails_in_the_recipients_language_with_both_parts_and_unsubscribe(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, inbox: Inbox, worker: MailWorker
) -> None:
    await make_space(client, cast.admin, "agora")
    await set_mail(client, cast.observer, language="fr")
    thread = await make_thread(client, cast.focal_point, "agora", title="Cobenefits")
    await make_post(
        client, cast.focal_point, thread["id"], f"What do you think, @{await handle(db, cast.observer)}?"
    )
    [row] = await outbox(db)
    assert row.kind == "mention" and row.status == "queued"
    await drain(worker)
    [message] = inbox.to(cast.observer)
    assert message["Subject"] == f"{cast.focal_point.name} vous a mentionné dans « Cobenefits »"
    assert message["Content-Language"] == "fr"
    assert message["Message-ID"] == row.message_id
    plain, rich = parts(message)
    assert "What do you think" in plain and f"{PUBLIC}/#/thread/{thread['id']}" in plain
    assert "Ouvrir le fil" in rich and 'lang="fr"' in rich
    links = message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = links.split("<", 1)[1].split(">", 1)[0]
    assert url.startswith(f"{PUBLIC}/api/mail/unsubscribe?token=") and "mailto:forum@nma.example" in links
    assert (await outbox(db))[0].status == "sent"
    # Nobody else got mail, and a second pass sends nothing again.
    await drain(worker)
    assert len(inbox.messages) == 1


async def test_a_reply_mails_its_author_and_arabic_is_right_to_left(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, inbox: Inbox, worker: MailWorker
) -> None:
    await make_space(client, cast.admin, "agora")
    await set_mail(client, cast.observer, language="ar")
    thread = await make_thread(client, cast.observer, "agora", title="Adaptation")
    first = (await client.get(f"/api/threads/{thread['id']}/posts")).json()["items"][0]
    await make_post(client, cast.lcipp, thread["id"], "An answer", reply_to=first["id"])
    await drain(worker)
    [message] = inbox.to(cast.observer)
    assert "ردّ عليك" in message["Subject"]
    assert 'dir="rtl"' in parts(message)[1]
    assert inbox.to(cast.lcipp) == []


async def test_no_mail_for_what_was_seen_on_the_site_meanwhile(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, inbox: Inbox, worker: MailWorker
) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.lcipp, "agora")
    await make_post(client, cast.lcipp, thread["id"], f"@{await handle(db, cast.observer)} look")
    resp = await client.post("/api/notifications/read-all", headers=cast.observer.headers)
    assert resp.status_code == 204, resp.text
    await drain(worker)
    assert inbox.messages == []
    [row] = await outbox(db)
    assert row.status == "skipped" and row.last_error == "seen on the site"


async def test_no_mail_for_a_thread_the_recipient_may_no_longer_read(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, inbox: Inbox, worker: MailWorker
) -> None:
    await make_space(client, cast.admin, "agora")
    await make_space(client, cast.admin, "closed", visibility="restricted", allowed_roles=["lcipp"])
    thread = await make_thread(client, cast.lcipp, "agora")
    await make_post(client, cast.lcipp, thread["id"], f"@{await handle(db, cast.observer)} see")
    assert len(await outbox(db)) == 1
    # Between queueing and sending, the thread moves where the observer may not read.
    resp = await client.patch(
        f"/api/threads/{thread['id']}", json={"space": "closed"}, headers=cast.admin.headers
    )
    assert resp.status_code == 200, resp.text
    await drain(worker)
    assert inbox.messages == []
    [row] = await outbox(db)
    assert row.status == "skipped" and row.last_error == "the recipient may no longer read it"


async def test_temporary_refusals_are_retried_then_given_up_with_the_reason(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, inbox: Inbox, worker: MailWorker
) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.lcipp, "agora")
    await make_post(client, cast.lcipp, thread["id"], f"@{await handle(db, cast.observer)} one")
    inbox.refuse = "451 4.3.0 Try again later"
    await worker.run_once()
    [row] = await outbox(db)
    assert row.status == "queued" and row.attempts == 1 and row.last_error.startswith("451")
    assert row.claimed_by is None
    # The server comes back: the next pass delivers.
    inbox.refuse = None
    await drain(worker)
    [row] = await outbox(db)
    assert row.status == "sent" and row.attempts == 2 and len(inbox.to(cast.observer)) == 1
    # Another that keeps being refused is given up after mail_max_attempts (3), with why.
    await make_post(client, cast.lcipp, thread["id"], f"@{await handle(db, cast.observer)} two")
    inbox.refuse = "452 4.2.2 Mailbox full"
    for _ in range(5):
        await worker.run_once()
    row = (await outbox(db))[1]
    assert row.status == "failed" and row.attempts == 3 and row.last_error == "452 4.2.2 Mailbox full"


async def test_a_final_refusal_is_not_retried(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, inbox: Inbox, worker: MailWorker
) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.lcipp, "agora")
    await make_post(client, cast.lcipp, thread["id"], f"@{await handle(db, cast.observer)} one")
    inbox.refuse = "550 5.1.1 No such user"
    await worker.run_once()
    [row] = await outbox(db)
    assert row.status == "failed" and row.attempts == 1 and row.last_error.startswith("550")


async def test_two_workers_never_send_one_row_twice(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, inbox: Inbox, settings: Settings
) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.lcipp, "agora")
    who = await handle(db, cast.observer)
    for i in range(12):
        await make_post(client, cast.lcipp, thread["id"], f"@{who} number {i}")
    engines = [create_engine(settings) for _ in range(2)]
    try:
        workers = [
            MailWorker(make_sessionmaker(e), settings, name=f"w{i}", batch=2) for i, e in enumerate(engines)
        ]
        # Each loops until a pass finds nothing; both run at once against one database.
        await asyncio.gather(*(drain(w) for w in workers))
    finally:
        for e in engines:
            await e.dispose()
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(ids) == 12 and len(set(ids)) == 12
    assert {r.status for r in await outbox(db)} == {"sent"}


async def test_a_lapsed_lease_is_sent_again_with_the_same_message_id(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, inbox: Inbox, worker: MailWorker
) -> None:
    """A worker that sent and died before marking: the row is sent again, same Message-ID."""
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.lcipp, "agora")
    await make_post(client, cast.lcipp, thread["id"], f"@{await handle(db, cast.observer)} one")
    await drain(worker)
    [row] = await outbox(db)
    # As if the first worker crashed after the server accepted: still queued, lease expired.
    await db.execute(
        update(MailOutbox).values(status="queued", claimed_by="dead", claimed_until=row.created_at)
    )
    await drain(worker)
    first, second = inbox.to(cast.observer)
    assert first["Message-ID"] == second["Message-ID"] == row.message_id


async def test_one_click_unsubscribe_and_a_tampered_token(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, inbox: Inbox, worker: MailWorker
) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.lcipp, "agora")
    who = await handle(db, cast.observer)
    await make_post(client, cast.lcipp, thread["id"], f"@{who} one")
    await drain(worker)
    [message] = inbox.to(cast.observer)
    url = message["List-Unsubscribe"].split("<", 1)[1].split(">", 1)[0]
    token = parse_qs(urlsplit(url).query)["token"][0]
    # A GET (a mail scanner following the link) changes nothing.
    page = await client.get(f"/api/mail/unsubscribe?token={token}")
    assert page.status_code == 200 and "<form" in page.text
    assert (await client.get("/api/me/mail", headers=cast.observer.headers)).json()["immediate"] is True
    # A tampered token: 400 naming the field.
    body = assert_problem(await client.post(f"/api/mail/unsubscribe?token={token[:-2]}xx"), 400)
    assert body.get("field") == "token" or "token" in str(body)
    assert_problem(await client.get("/api/mail/unsubscribe?token=1.abc"), 400)
    # The one-click POST, as a mail client sends it: no sign-in, no CSRF token.
    resp = await client.post(
        f"/api/mail/unsubscribe?token={token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 200, resp.text
    prefs = (await client.get("/api/me/mail", headers=cast.observer.headers)).json()
    assert prefs["immediate"] is False and prefs["digest"] == "off"
    await make_post(client, cast.lcipp, thread["id"], f"@{who} two")
    await drain(worker)
    assert len(inbox.to(cast.observer)) == 1


async def test_mail_settings_are_validated_strictly(client: AsyncTestClient, cast: Cast) -> None:
    assert (await client.get("/api/me/mail", headers=cast.observer.headers)).json() == {
        "language": "en",
        "immediate": True,
        "digest": "off",
        "mail_enabled": True,
    }
    for bad, name in (
        ({"language": "de"}, "language"),
        ({"digest": "hourly"}, "digest"),
        ({"immediate": "yes"}, "immediate"),
        ({"colour": 1}, "colour"),
    ):
        assert_problem(
            await client.put("/api/me/mail", json=bad, headers=cast.observer.headers), (400, 422), names=name
        )
    assert_problem(await client.get("/api/me/mail"), 401)


async def test_the_digest_once_per_period_with_only_what_the_reader_may_read(
    client: AsyncTestClient,
    db: AsyncSession,
    cast: Cast,
    inbox: Inbox,
    worker: MailWorker,
    settings: Settings,
) -> None:
    await make_space(client, cast.admin, "agora")
    await make_space(client, cast.admin, "closed", visibility="restricted", allowed_roles=["lcipp"])
    for slug in ("agora", "closed"):
        resp = await client.put(
            f"/api/spaces/{slug}/watch", json={"level": "watching"}, headers=cast.observer.headers
        )
        assert resp.status_code in (200, 404), resp.text
    await set_mail(client, cast.observer, digest="daily", immediate=False, language="es")
    await make_thread(client, cast.lcipp, "agora", title="Open talk")
    await make_thread(client, cast.lcipp, "closed", title="Secret talk")
    other = MailWorker(worker.sessionmaker, settings, name="other", retry_base_seconds=0)
    await asyncio.gather(drain(worker), drain(other))
    await drain(worker)
    [message] = inbox.to(cast.observer)
    assert message["Subject"].startswith("Novedades en sus espacios: 1")
    plain, _ = parts(message)
    assert "Open talk" in plain and "Secret talk" not in plain
    digests = [r for r in await outbox(db) if r.kind == "digest"]
    assert len(digests) == 1 and digests[0].status == "sent"
    assert (
        await db.scalar(
            select(MailPreference.last_digest_at).where(MailPreference.user_id == cast.observer.id)
        )
    ) is not None


async def test_mail_off_without_an_smtp_url_queues_nothing(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, settings: Settings
) -> None:
    from forum.app import create_app

    off = create_app(replace(settings, smtp_url=None))
    async with AsyncTestClient(app=off, base_url="http://testserver.local") as plain:
        await make_space(plain, cast.admin, "agora")
        thread = await make_thread(plain, cast.lcipp, "agora")
        await make_post(plain, cast.lcipp, thread["id"], f"@{await handle(db, cast.observer)} one")
        prefs = (await plain.get("/api/me/mail", headers=cast.observer.headers)).json()
    assert prefs["mail_enabled"] is False
    assert await outbox(db) == []


async def test_mail_costs_a_plain_post_nothing_and_a_mention_one_insert_for_any_number(
    client: AsyncTestClient, app: Litestar, db: AsyncSession, cast: Cast, people: People
) -> None:
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.lcipp, "agora")

    async def counted(body: str) -> list[str]:
        with count_app_queries(app) as queries:
            resp = await client.post(
                f"/api/threads/{thread['id']}/posts", json={"body": body}, headers=cast.lcipp.headers
            )
        assert resp.status_code == 201, resp.text
        # The writer engine's only: the hub's background readers (a café's or a round
        # table's clock) may run meanwhile on a slow machine.
        return queries.labels("writer")

    plain = await counted("nothing for anyone")
    assert "insert mail_outbox" not in plain and await outbox(db) == []
    logs = []
    for n in (1, 10):
        crowd = [await people.make("observer") for _ in range(n)]
        handles = (await db.scalars(select(User.handle).where(User.id.in_([p.id for p in crowd])))).all()
        logs.append(await counted(" ".join(f"@{h}" for h in handles)))
    assert logs[0] == logs[1] and logs[0].count("insert mail_outbox") == 1, logs[0]
    assert len(await outbox(db)) == 11


async def test_a_digest_row_per_user_and_period_however_often_it_is_looked_for(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, worker: MailWorker, settings: Settings
) -> None:
    await set_mail(client, cast.observer, digest="daily")
    await set_mail(client, cast.lcipp, digest="weekly")
    monday = datetime(2026, 11, 30, 8, tzinfo=UTC)
    for now in (monday, monday + timedelta(hours=3), monday + timedelta(days=1), monday + timedelta(days=2)):
        for _ in range(2):
            async with worker.sessionmaker() as session, session.begin():
                await digest.queue_due(session, settings, now)
    keys = sorted(r.dedupe_key for r in await outbox(db))
    assert keys == [
        f"digest:{cast.lcipp.id}:2026-W49",
        f"digest:{cast.observer.id}:2026-11-30",
        f"digest:{cast.observer.id}:2026-12-01",
        f"digest:{cast.observer.id}:2026-12-02",
    ]
