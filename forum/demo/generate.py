"""`forum generate`: fill a database with a large, consistent forum in minutes.

Long because it is one plan, read top to bottom: the people (roles, Parties, LCIPP,
observers, moderators), the spaces (some pre-moderated, some restricted), the threads with
a skewed size distribution (a few of thousands of posts, many short ones), and for each
post everything the services would have written beside it, so that the service behaves
on the generated data exactly as on data written through it:

- the post with its number, status and times; `threads.post_count`, `restricted_count`
  (pending and hidden posts) and `last_post_at` (the latest public activity);
- a revision for an edited post; flags, open (in the queue) or resolved;
- the events of `thread:{id}` (`post.created`, `post.updated` for an approval or an edit,
  `post.hidden`, `post.deleted`), in time order, numbered 1, 2, 3... with the topic's
  counter equal to the last, restricted and redacted as the services leave them;
- the events of `moderation` (`moderation.item` when a post starts waiting,
  `moderation.resolved` when a moderator dealt with it);
- the audit log: spaces created and their moderators set, pins, approvals, hides, flags
  dismissed, deletions by moderators, numbered in time order.

Rows are written through `forum.demo.bulk` (COPY on PostgreSQL, executemany on SQLite)
in chunks, never through the ORM. Post texts come from `forum.demo.texts`, a pool of
distinct bodies rendered once. The database must be migrated; it may be empty or hold the
demo (ids continue after the rows there). The same seed gives the same data.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from forum.accounts.parties import PARTY_CODES
from forum.accounts.passwords import _hasher
from forum.demo.bulk import Sink, open_sink
from forum.demo.content import DEMO_PASSWORD
from forum.demo.texts import LANGUAGE_WEIGHTS, LANGUAGES, Body, body_pool, title

USER_COLUMNS = (
    "id", "email", "password_hash", "display_name", "role", "party", "organisation", "created_at",
    "silenced_until", "silence_reason", "suspended_until", "suspend_reason", "handle",
)  # fmt: skip
SPACE_COLUMNS = (
    "id", "slug", "title", "description", "kind", "moderation", "visibility", "allowed_roles", "created_at",
)  # fmt: skip
MODERATOR_COLUMNS = ("id", "space_id", "user_id")
THREAD_COLUMNS = (
    "id", "space_id", "title", "author_id", "status", "pinned", "locked", "slow_mode_seconds",
    "post_count", "restricted_count", "last_post_at", "created_at",
)  # fmt: skip
POST_COLUMNS = (
    "id", "thread_id", "number", "author_id", "body", "html", "status", "reply_to", "client_id",
    "moderation_reason", "created_at", "edited_at", "archive", "rejected",
)  # fmt: skip
REVISION_COLUMNS = ("id", "post_id", "body", "edited_at", "editor_id", "status")
FLAG_COLUMNS = ("id", "post_id", "user_id", "reason", "note", "created_at", "resolved_at", "resolved_by")
EVENT_COLUMNS = (
    "id", "topic", "seq", "type", "data", "restricted", "owner_id", "space_id", "public_type",
    "public_data", "created_at",
)  # fmt: skip
COUNTER_COLUMNS = ("id", "topic", "seq")
# What waits for a moderator (forum.threads.models.QueueEntry): pending posts, open flags.
QUEUE_COLUMNS = ("id", "post_id", "space_id", "kind", "since")
AUDIT_COLUMNS = (
    "id", "actor_id", "action", "target_type", "target_id", "space_id", "reason", "before", "after", "at",
)  # fmt: skip

TABLES = (
    "users", "spaces", "space_moderators", "threads", "posts", "post_revisions", "flags", "events",
    "topic_counters", "audit_log", "queue_entries",
)  # fmt: skip

# Shares, per post, of what happens to it (realistic orders of magnitude for a moderated forum).
EDITED = 0.03
DELETED = 0.004
HIDDEN = 0.003
FLAGGED = 0.004
REPLY = 0.2
# Observers' posts in a pre-moderated space written in this last share of the timeline
# still wait (moderators approved the older ones); flags that recent are still open.
PENDING_WINDOW = 0.15
PENDING_IN_WINDOW = 0.5
OPEN_FLAG_WINDOW = 0.03
# Posts per chunk written at once (with their events, revisions and flags).
CHUNK_POSTS = 50_000
# Distinct post texts, each rendered once.
BODY_POOL = 20_000
TIMELINE_DAYS = 3 * 365

HIDE_REASONS = ("off topic for this space", "personal attack", "advertising", "duplicate of an earlier post")
FLAG_REASONS = ("spam", "off_topic", "abusive", "safeguards")
FIRST_NAMES = (
    "Ana", "Kenji", "Aisha", "Pierre", "Olga", "Wei", "Lucía", "Omar", "Amina", "Tomás", "Mei", "Ivan",
    "Fatima", "Jean", "Carmen", "Yuki", "Nadia", "Samuel", "Layla", "Dmitri", "Ling", "Sofía", "Kofi", "Aroha",
)  # fmt: skip
LAST_NAMES = (
    "Tanaka", "Rahman", "Dubois", "Ivanova", "Chen", "Quispe", "Haddad", "Mensah", "García", "Nakamura",
    "Okafor", "Petrov", "Zhang", "Mamani", "Benali", "Silva", "Kariuki", "Moreau", "Ortiz", "Wang",
)  # fmt: skip
ORGANISATIONS = (
    "CGIAR", "African Development Bank", "an NGO network on forests", "a university climate institute",
    "a women's cooperative", "a youth climate network", "a regional development bank", "UNDP",
)  # fmt: skip
NMA_NAMES = (
    "SUBARU", "Forest Conservation Certificates", "Adaptation Benefits Mechanism",
    "Joint mitigation and adaptation", "Community forests", "Mangrove restoration", "Water stewardship",
    "Climate-resilient agriculture", "Coastal livelihoods", "Peatland protection",
)  # fmt: skip


@dataclass(frozen=True)
class Person:
    id: int
    role: str
    display_name: str
    party: str | None

    def author(self) -> dict[str, Any]:
        return {"id": self.id, "display_name": self.display_name, "role": self.role, "party": self.party}


@dataclass
class SpacePlan:
    id: int
    slug: str
    kind: str
    moderation: str
    visibility: str
    allowed_roles: list[str]
    moderators: list[int]  # who moderates it: its own and the global ones
    authors: list[Person] = field(default_factory=list)
    author_weights: list[float] = field(default_factory=list)
    title: str = ""  # for the queue's items (space_title)


@dataclass
class GenerateSummary:
    users: int = 0
    spaces: int = 0
    threads: int = 0
    posts: int = 0
    pending: int = 0
    hidden: int = 0
    events: int = 0
    audit: int = 0
    seconds: float = 0.0
    largest_threads: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"generated {self.posts:,} posts in {self.threads:,} threads across {self.spaces} spaces by "
            f"{self.users:,} users ({self.pending:,} pending, {self.hidden:,} hidden), {self.events:,} events, "
            f"{self.audit:,} audit entries in {self.seconds:.0f} s; the longest threads have "
            f"{', '.join(f'{n:,}' for n in self.largest_threads)} posts"
        )


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def thread_sizes(rng: random.Random, posts: int, threads: int) -> list[int]:
    """A skewed distribution: sizes fall with rank (a few threads of thousands of posts),
    with noise beyond the first ten so that many threads are short; they sum to `posts`."""
    weights = [1 / (i + 1) ** 0.9 * (1 if i < 10 else math.exp(rng.gauss(-0.5, 1.2))) for i in range(threads)]
    total = sum(weights)
    sizes = [max(1, int(posts * w / total)) for w in weights]
    diff = posts - sum(sizes)
    i = 0
    while diff != 0:
        j = i % threads
        if diff > 0:
            sizes[j] += 1
            diff -= 1
        elif sizes[j] > 1:
            sizes[j] -= 1
            diff += 1
        i += 1
    return sizes


class GenerateRefused(Exception):
    """The database cannot take this run (its seed was generated there already)."""


class Generator:
    """One run of `forum generate` against one sink."""

    def __init__(
        self,
        sink: Sink,
        *,
        posts: int,
        threads: int,
        spaces: int,
        users: int,
        seed: int,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        if threads < 1 or posts < threads:
            raise ValueError("need at least one thread and at least one post per thread")
        self.sink = sink
        self.posts, self.threads, self.spaces, self.users = posts, threads, max(spaces, 3), max(users, 20)
        self.seed = seed
        self.rng = random.Random(seed)
        self.progress = progress or (lambda _msg: None)
        self.end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        self.start = self.end - timedelta(days=TIMELINE_DAYS)
        self.summary = GenerateSummary()
        self.people: list[Person] = []
        self.space_plans: list[SpacePlan] = []
        self.global_moderators: list[int] = []
        self.moderation_events: list[tuple[datetime, int, dict[str, Any]]] = []
        self.audit: list[tuple[datetime, int, dict[str, Any]]] = []
        self.buffers: dict[str, list[tuple]] = {t: [] for t in TABLES}
        self.order = 0

    # --- ids and buffers -------------------------------------------------------------------

    def _next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def _tick(self) -> int:
        self.order += 1
        return self.order

    async def _flush(self) -> None:
        for table, columns in (
            ("users", USER_COLUMNS),
            ("spaces", SPACE_COLUMNS),
            ("space_moderators", MODERATOR_COLUMNS),
            ("threads", THREAD_COLUMNS),
            ("posts", POST_COLUMNS),
            ("post_revisions", REVISION_COLUMNS),
            ("flags", FLAG_COLUMNS),
            ("queue_entries", QUEUE_COLUMNS),
            ("events", EVENT_COLUMNS),
            ("topic_counters", COUNTER_COLUMNS),
        ):
            rows = self.buffers[table]
            if rows:
                await self.sink.write(table, columns, rows)
                self.buffers[table] = []

    # --- the run ----------------------------------------------------------------------------

    async def run(self) -> GenerateSummary:
        began = time.monotonic()
        self.ids = await self.sink.max_ids(TABLES)
        taken = await self.sink.scalar(
            f"SELECT count(*) FROM users WHERE email LIKE 'gen{self.seed}.%@generated.example'"
        )
        if taken:
            raise GenerateRefused(
                f"this database already holds the data of seed {self.seed}: use another --seed"
            )
        self.moderation_seq = int(
            await self.sink.scalar(
                "SELECT coalesce(max(seq), 0) FROM topic_counters WHERE topic = 'moderation'"
            )
            or 0
        )
        self.moderation_counter_exists = bool(
            await self.sink.scalar("SELECT count(*) FROM topic_counters WHERE topic = 'moderation'")
        )
        self.progress("rendering the post texts")
        pool = body_pool(self.rng, min(BODY_POOL, max(200, self.posts // 20)))
        self.bodies: dict[str, list[Body]] = {
            lang: [b for b in pool if b.language == lang] for lang in LANGUAGES
        }
        self._make_people()
        self._make_spaces()
        await self._flush()
        await self._make_threads()
        await self._flush()
        await self._write_moderation_topic()
        await self._write_audit()
        await self._flush()
        self.progress("finishing (sequences, statistics)")
        await self.sink.finish(TABLES)
        self.summary.seconds = time.monotonic() - began
        return self.summary

    # --- people and spaces ------------------------------------------------------------------

    def _make_people(self) -> None:
        # One hash for everyone: argon2 per user would take hours.
        password_hash = _hasher.hash(DEMO_PASSWORD)
        parties = list(PARTY_CODES)
        for i in range(self.users):
            if i == 0:
                role = "admin"
            elif i < 1 + max(2, self.users // 400):
                role = "moderator"
            else:
                role = self.rng.choices(("focal_point", "lcipp", "observer"), (0.4, 0.1, 0.5))[0]
            party = self.rng.choice(parties) if role == "focal_point" else None
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
            organisation = (
                "UNFCCC secretariat"
                if role in ("admin", "moderator")
                else "Local Communities and Indigenous Peoples Platform"
                if role == "lcipp"
                else self.rng.choice(ORGANISATIONS)
                if role == "observer"
                else None
            )
            uid = self._next_id("users")
            created = self.start - timedelta(days=self.rng.uniform(1, 60))
            self.buffers["users"].append(
                (
                    uid,
                    f"gen{self.seed}.{i}@generated.example",
                    password_hash,
                    name,
                    role,
                    party,
                    organisation,
                    created,
                    None,
                    None,
                    None,
                    None,
                    f"gen{self.seed}.{i}",  # unique, and of the shape forum.accounts.handles takes
                )
            )
            self.people.append(Person(uid, role, name, party))
        self.global_moderators = [p.id for p in self.people if p.role in ("admin", "moderator")]
        self.admin_id = self.people[0].id
        self.summary.users = len(self.people)

    def _make_spaces(self) -> None:
        focal = [p for p in self.people if p.role == "focal_point"]
        # Some people write far more than others.
        activity = {
            p.id: 1 / (i + 1) ** 0.8 for i, p in enumerate(self.rng.sample(self.people, len(self.people)))
        }
        for i in range(self.spaces):
            kind = ("nma", "nma", "workshop", "general")[i % 4]
            moderation = "pre" if kind == "workshop" else "post"
            restricted = i % 8 == 7
            allowed = ["focal_point", "lcipp"] if restricted else []
            sid = self._next_id("spaces")
            slug = f"gen{self.seed}-{kind}-{i}"
            name = NMA_NAMES[i % len(NMA_NAMES)]
            space_title = {
                "nma": f"{name} ({i})",
                "workshop": f"Workshop {2022 + i % 4}: {name}",
                "general": f"General discussion {i}",
            }[kind]
            created = self.start - timedelta(hours=i)
            own = (
                [p.id for p in self.rng.sample(focal, min(2, len(focal)))] if kind == "nma" and focal else []
            )
            self.buffers["spaces"].append(
                (
                    sid,
                    slug,
                    space_title,
                    f"Generated space {i} about {name}.",
                    kind,
                    moderation,
                    "restricted" if restricted else "public",
                    allowed,
                    created,
                )
            )
            for uid in own:
                self.buffers["space_moderators"].append((self._next_id("space_moderators"), sid, uid))
            self._audit(
                created,
                self.admin_id,
                "space.create",
                "space",
                sid,
                sid,
                after={
                    "slug": slug,
                    "visibility": "restricted" if restricted else "public",
                    "moderation": moderation,
                },
            )
            if own:
                self._audit(
                    created + timedelta(minutes=1),
                    self.admin_id,
                    "space.moderators",
                    "space",
                    sid,
                    sid,
                    before={"moderator_ids": []},
                    after={"moderator_ids": sorted(own)},
                )
            plan = SpacePlan(
                sid, slug, kind, moderation, "restricted" if restricted else "public", allowed,
                own + self.global_moderators,
            )  # fmt: skip
            plan.title = space_title
            plan.authors = [
                p
                for p in self.people
                if not restricted or p.role in allowed or p.role in ("admin", "moderator")
            ]
            plan.author_weights = list(accumulate(activity[p.id] for p in plan.authors))
            self.space_plans.append(plan)
        self.summary.spaces = len(self.space_plans)

    def _audit(
        self,
        at: datetime,
        actor: int | None,
        action: str,
        target_type: str,
        target_id: int,
        space_id: int | None,
        *,
        reason: str | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        self.audit.append(
            (
                at,
                self._tick(),
                {
                    "actor_id": actor,
                    "action": action,
                    "target_type": target_type,
                    "target_id": target_id,
                    "space_id": space_id,
                    "reason": reason,
                    "before": before,
                    "after": after,
                },
            )
        )

    # --- threads and posts ------------------------------------------------------------------

    async def _make_threads(self) -> None:
        sizes = thread_sizes(self.rng, self.posts, self.threads)
        public = [s for s in self.space_plans if s.visibility == "public" and s.moderation == "post"]
        # Spaces differ in size too; the longest threads are in public spaces, where the
        # benchmark reads them as anyone.
        space_weights = list(accumulate(1 / (i + 1) ** 0.5 for i in range(len(self.space_plans))))
        written = 0
        pinned_spaces: set[int] = set()
        for rank, size in enumerate(sizes):
            space = (
                public[rank % len(public)]
                if rank < 10 and public
                else self.rng.choices(self.space_plans, cum_weights=space_weights)[0]
            )
            pin = space.id not in pinned_spaces
            pinned_spaces.add(space.id)
            self._make_thread(space, size, pin)
            written += size
            if len(self.buffers["posts"]) >= CHUNK_POSTS:
                await self._flush()
                self.progress(f"{written:,} of {self.posts:,} posts")
        self.summary.threads = len(sizes)
        self.summary.largest_threads = sorted(sizes, reverse=True)[:5]

    def _author(self, space: SpacePlan) -> Person:
        return self.rng.choices(space.authors, cum_weights=space.author_weights)[0]

    def _make_thread(self, space: SpacePlan, size: int, pin: bool) -> None:
        rng = self.rng
        tid = self._next_id("threads")
        span_total = (self.end - self.start).total_seconds()
        begin = rng.uniform(0, span_total * 0.98)
        # Long threads stay active long; a short one is over in days.
        length = min(span_total - begin, max(3600.0, size * rng.uniform(600, 7200)))
        created = self.start + timedelta(seconds=begin)
        offsets = sorted(rng.uniform(0, length) for _ in range(size - 1))
        times = [created] + [created + timedelta(seconds=o) for o in offsets]
        language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
        starter = self._author(space)
        thread_title = title(rng, language)
        events: list[tuple[datetime, int, str, dict[str, Any]]] = []
        restricted_count = 0
        last_public = created
        thread_status = "published"
        post_ids: list[int] = []
        pending_after = self.end - timedelta(seconds=span_total * PENDING_WINDOW)
        open_flags_after = self.end - timedelta(seconds=span_total * OPEN_FLAG_WINDOW)
        for number, at in enumerate(times, start=1):
            author = starter if number == 1 or rng.random() < 0.15 else self._author(space)
            lang = language if rng.random() < 0.8 else rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
            body = rng.choice(self.bodies[lang] or self.bodies["en"])
            pid = self._next_id("posts")
            reply_to = rng.choice(post_ids) if post_ids and rng.random() < REPLY else None
            post_ids.append(pid)
            waits = space.moderation == "pre" and author.role == "observer"
            pending = waits and at > pending_after and rng.random() < PENDING_IN_WINDOW
            approved_at = (
                None if not waits or pending else min(self.end, at + timedelta(minutes=rng.uniform(5, 1440)))
            )
            fate = rng.random() if number > 1 and not pending else 1.0
            deleted = fate < DELETED
            hidden = DELETED <= fate < DELETED + HIDDEN
            edited = not deleted and not pending and rng.random() < EDITED
            flagged = (
                not deleted and not pending and ((hidden and rng.random() < 0.7) or rng.random() < FLAGGED)
            )
            status = "pending" if pending else "deleted" if deleted else "hidden" if hidden else "published"
            if pending and number == 1:
                thread_status = "pending"
            original = rng.choice(self.bodies[lang] or self.bodies["en"]) if edited else body
            edited_at = (approved_at or at) + timedelta(minutes=rng.uniform(1, 90)) if edited else None
            moderator = rng.choice(space.moderators)
            acted_at = (edited_at or approved_at or at) + timedelta(minutes=rng.uniform(10, 2880))
            acted_at = min(acted_at, self.end)
            reason = rng.choice(HIDE_REASONS) if hidden else None
            self.buffers["posts"].append(
                (
                    pid,
                    tid,
                    number,
                    author.id,
                    "" if deleted else body.text,
                    "" if deleted else body.html,
                    status,
                    reply_to,
                    None,
                    reason,
                    at,
                    edited_at,
                    None,  # archive: generated posts are people's, with no record
                    False,  # the generator hides published posts; it rejects none
                )
            )
            if status in ("pending", "hidden"):
                restricted_count += 1
            else:
                last_public = max(last_public, approved_at or at)
            if edited:
                self.buffers["post_revisions"].append(
                    (self._next_id("post_revisions"), pid, original.text, edited_at, author.id, "published")
                )

            base = {
                "id": pid,
                "thread_id": tid,
                "number": number,
                "author": author.author(),
                "reply_to": reply_to,
                "client_id": None,
                "created_at": iso(at),
            }

            def data(
                state: str, text: Body | None, edited_when: datetime | None, why: str | None = None, base=base
            ) -> dict[str, Any]:
                # The post as forum.threads.schemas.post_data gives it, in one of its states.
                return base | {
                    "body": text.text if text else "",
                    "html": text.html if text else "",
                    "status": state,
                    "edited_at": iso(edited_when) if edited_when else None,
                    "moderation_reason": why,
                    "rejected": False,
                }

            stub = {"id": pid, "thread_id": tid, "number": number, "status": "hidden"}
            # Earlier events follow the post's final state: restricted once hidden, redacted once deleted.
            restricted_later = hidden
            gone = data("deleted", None, None) if deleted else None
            events.append(
                (
                    at,
                    self._tick(),
                    "post.created",
                    {
                        "data": gone
                        or data(
                            "pending" if waits and (pending or approved_at) else "published", original, None
                        ),
                        "restricted": pending or bool(approved_at) or restricted_later,
                        "owner": author.id,
                    },
                )
            )
            if approved_at is not None:
                events.append(
                    (
                        approved_at,
                        self._tick(),
                        "post.updated",
                        {
                            "data": gone or data("published", original, None),
                            "restricted": restricted_later,
                            "owner": author.id,
                        },
                    )
                )
                self._audit(
                    approved_at,
                    moderator,
                    "post.approve",
                    "post",
                    pid,
                    space.id,
                    before={"status": "pending", "moderation_reason": None},
                    after={
                        "status": "published",
                        "moderation_reason": None,
                        "flags_resolved": 0,
                        "corrected": False,
                    },
                )
            if waits:
                self._queue_item(at, pid, tid, thread_title, space, data("pending", original, None), at, [])
                if approved_at is not None:
                    self._resolved(approved_at, pid, space, "approve", "published", moderator)
            if edited:
                events.append(
                    (
                        edited_at,
                        self._tick(),
                        "post.updated",
                        {
                            "data": data("published", body, edited_at),
                            "restricted": restricted_later,
                            "owner": author.id,
                        },
                    )
                )
            flag_count = 0
            if flagged:
                flag_count = self._flags(pid, tid, thread_title, space, author, at, data("published", body, edited_at),
                                         hidden=hidden, moderator=moderator, acted_at=acted_at,
                                         still_open=not hidden and at > open_flags_after)  # fmt: skip
            if hidden:
                events.append(
                    (
                        acted_at,
                        self._tick(),
                        "post.hidden",
                        {
                            "data": data("hidden", body, edited_at, reason),
                            "restricted": True,
                            "owner": author.id,
                        },
                    )
                )
                self._audit(
                    acted_at,
                    moderator,
                    "post.hide",
                    "post",
                    pid,
                    space.id,
                    reason=reason,
                    before={"status": "published", "moderation_reason": None},
                    after={"status": "hidden", "moderation_reason": reason, "flags_resolved": flag_count},
                )
                self.summary.hidden += 1
            if deleted:
                by_moderator = rng.random() < 0.2
                events.append(
                    (acted_at, self._tick(), "post.deleted", {"data": stub | {"status": "deleted"}, "restricted": False, "owner": author.id})
                )  # fmt: skip
                if by_moderator:
                    self._audit(
                        acted_at, moderator, "post.delete", "post", pid, space.id,
                        before={"status": "published"}, after={"status": "deleted"},
                    )  # fmt: skip
            if pending:
                self.summary.pending += 1
                self.buffers["queue_entries"].append(
                    (self._next_id("queue_entries"), pid, space.id, "pending", at)
                )
        if pin:
            self._audit(
                created + timedelta(minutes=5), rng.choice(space.moderators), "thread.pin", "thread", tid, space.id,
                before={"pinned": False}, after={"pinned": True},
            )  # fmt: skip
        self.buffers["threads"].append(
            (
                tid,
                space.id,
                thread_title,
                starter.id,
                thread_status,
                pin,
                False,
                0,
                size,
                restricted_count,
                last_public,
                created,
            )
        )
        events.sort(key=lambda e: (e[0], e[1]))
        topic = f"thread:{tid}"
        for seq, (at, _order, type_, ev) in enumerate(events, start=1):
            restricted = ev["restricted"]
            self.buffers["events"].append(
                (
                    self._next_id("events"),
                    topic,
                    seq,
                    type_,
                    ev["data"],
                    restricted,
                    ev["owner"],
                    space.id,
                    "post.hidden" if restricted else None,
                    {k: ev["data"][k] for k in ("id", "thread_id", "number")} | {"status": "hidden"}
                    if restricted
                    else None,
                    at,
                )
            )
        self.buffers["topic_counters"].append((self._next_id("topic_counters"), topic, len(events)))
        self.summary.events += len(events)
        self.summary.posts += size

    def _flags(
        self,
        pid: int,
        tid: int,
        thread_title: str,
        space: SpacePlan,
        author: Person,
        at: datetime,
        post: dict[str, Any],
        *,
        hidden: bool,
        moderator: int,
        acted_at: datetime,
        still_open: bool,
    ) -> int:
        """Flags on a post by others: open, or resolved by `moderator` at `acted_at` (the
        flags come between the post and that moment). The number of flags."""
        rng = self.rng
        flaggers = {self._author(space).id for _ in range(rng.randint(1, 3))} - {author.id}
        if not flaggers:
            return 0
        if still_open:
            first = min(self.end, at + timedelta(minutes=rng.uniform(1, 600)))
            step = timedelta(minutes=rng.uniform(1, 60))
        else:
            first = at + (acted_at - at) * rng.uniform(0.1, 0.5)
            step = (acted_at - first) / (len(flaggers) + 1)
        flags_out = []
        for n, uid in enumerate(sorted(flaggers)):
            fid = self._next_id("flags")
            when = min(self.end, first + step * n)
            reason = rng.choice(FLAG_REASONS)
            resolved = None if still_open else acted_at
            self.buffers["flags"].append(
                (fid, pid, uid, reason, None, when, resolved, None if still_open else moderator)
            )
            flags_out.append(
                {"id": fid, "post_id": pid, "reason": reason, "note": None, "created_at": iso(when)}
            )
        self._queue_item(first, pid, tid, thread_title, space, post, first, flags_out[:1])
        if still_open:
            # Still waiting, since its first flag (the earliest of the open ones).
            self.buffers["queue_entries"].append(
                (self._next_id("queue_entries"), pid, space.id, "flagged", first)
            )
            return len(flaggers)
        action = "hide" if hidden else "dismiss_flags"
        self._resolved(acted_at, pid, space, action, "hidden" if hidden else "published", moderator)
        if not hidden:
            self._audit(
                acted_at, moderator, "post.dismiss_flags", "post", pid, space.id,
                before={"status": "published", "moderation_reason": None},
                after={"status": "published", "moderation_reason": None, "flags_resolved": len(flaggers)},
            )  # fmt: skip
        return len(flaggers)

    def _queue_item(
        self,
        at: datetime,
        pid: int,
        tid: int,
        thread_title: str,
        space: SpacePlan,
        post: dict[str, Any],
        since: datetime,
        flags: list[dict[str, Any]],
    ) -> None:
        item = {
            "kind": "pending" if post["status"] == "pending" else "flagged",
            "post": post,
            "thread": {"id": tid, "title": thread_title},
            "space": space.slug,
            "space_title": space.title,
            "since": iso(since),
            "flag_count": len(flags),
            "reasons": {f["reason"]: 1 for f in flags},
            "flags": flags,
        }
        self.moderation_events.append(
            (at, self._tick(), {"type": "moderation.item", "data": item, "space": space.id})
        )

    def _resolved(self, at: datetime, pid: int, space: SpacePlan, action: str, status: str, by: int) -> None:
        data = {"post_id": pid, "space": space.slug, "action": action, "status": status, "by": by}
        self.moderation_events.append(
            (at, self._tick(), {"type": "moderation.resolved", "data": data, "space": space.id})
        )

    # --- the global logs --------------------------------------------------------------------

    async def _write_moderation_topic(self) -> None:
        self.moderation_events.sort(key=lambda e: (e[0], e[1]))
        seq = self.moderation_seq
        for at, _order, ev in self.moderation_events:
            seq += 1
            self.buffers["events"].append(
                (
                    self._next_id("events"),
                    "moderation",
                    seq,
                    ev["type"],
                    ev["data"],
                    True,
                    None,
                    ev["space"],
                    "moderation.elsewhere",
                    {},
                    at,
                )
            )
            if len(self.buffers["events"]) >= CHUNK_POSTS:
                await self._flush()
        self.summary.events += len(self.moderation_events)
        if self.moderation_counter_exists:
            await self._flush()
            await self.sink.execute(f"UPDATE topic_counters SET seq = {int(seq)} WHERE topic = 'moderation'")
        elif self.moderation_events:
            self.buffers["topic_counters"].append((self._next_id("topic_counters"), "moderation", seq))
        self.moderation_events = []

    async def _write_audit(self) -> None:
        self.audit.sort(key=lambda e: (e[0], e[1]))
        rows = [
            (
                self._next_id("audit_log"),
                entry["actor_id"],
                entry["action"],
                entry["target_type"],
                entry["target_id"],
                entry["space_id"],
                entry["reason"],
                entry["before"],
                entry["after"],
                at,
            )
            for at, _order, entry in self.audit
        ]
        for start in range(0, len(rows), CHUNK_POSTS):
            await self.sink.write("audit_log", AUDIT_COLUMNS, rows[start : start + CHUNK_POSTS])
        self.summary.audit = len(rows)
        self.audit = []


async def generate(
    database_url: str,
    *,
    posts: int,
    threads: int,
    spaces: int = 24,
    users: int | None = None,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
) -> GenerateSummary:
    """Fill the (migrated) database at `database_url`; see the module's docstring."""
    sink = await open_sink(database_url)
    try:
        generator = Generator(
            sink,
            posts=posts,
            threads=threads,
            spaces=spaces,
            users=users if users is not None else max(200, posts // 500),
            seed=seed,
            progress=progress,
        )
        return await generator.run()
    finally:
        await sink.close()


__all__ = ["GenerateRefused", "GenerateSummary", "generate", "thread_sizes"]
