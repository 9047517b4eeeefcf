"""Who sits where in a world café: the seating rules, pure (no database, no clock).

Vocabulary: a *host* stays at their own table for the whole café; a *participant* is
everyone else who joined. A table's *size* is the number of participants seated at it
(every table has exactly one host, so counting hosts too would change nothing).

The rules:

1. **A host always sits at their own table**, when they join and in every round.
2. **Joining**: a participant who is already seated keeps their seat; a newcomer goes to
   the table with the fewest participants, ties broken by the lowest position.
3. **A new round** moves every participant. Each one may go only to their *allowed
   tables*: among the tables other than the one they sit at in the current round, those
   they have sat at the fewest times. While a participant still has a table they have
   never sat at, the allowed tables are exactly their unvisited tables (count 0), so
   nobody returns to a table while an unvisited one exists. Once they have sat at every
   table (more rounds than tables), they go to the least-visited table they did not sit
   at in the current round. With a single table there is nowhere else to go: everyone
   stays.
4. Among all seatings that respect rule 3, the plan takes one that minimises the spread
   of table sizes (largest size minus smallest size). It is exact, not a heuristic: the
   choice is a bipartite assignment with bounds on every table's size, solved as a flow
   problem with lower bounds for each candidate pair (smallest, largest).
5. Among those, it prefers the *rotation*: everyone moves to the first allowed table
   after their current one in position order. When everyone joined before the first
   round, the rotation is a Latin-square schedule: each table's group moves on together,
   everyone meets every table before any table twice, and the sizes stay within 1 of
   each other in every round, not only the next one.
6. **Presence** (when the caller knows who is connected): the tables in play are those
   whose host is there, so a participant is not sent to sit alone at a table whose host
   never came while a hosted table is free. Rule 3 comes first, as the public contract
   says (a participant moves to a table they have not sat at): among a participant's
   unvisited tables, the hosted ones are allowed, and only when none of them is hosted
   are the unvisited ones without a host allowed. Once a participant has sat at every
   table, rule 3's least-visited choice is made among the hosted tables. The balance of
   rule 4 counts only who is connected. Someone not connected still moves, to the
   rotation's table among those allowed (rule 5), and finds a host there on coming back.
   When no host is there at all, every table is in play.

What this guarantees, and what the tests check (tests/unit/test_seating.py):

- every participant and every host gets exactly one table, and hosts never move;
- nobody goes to a table they have sat at while they have an unvisited table;
- the spread is the smallest any seating obeying rule 3 can reach (compared with an
  exhaustive search on small cafés). In particular, when the history allows sizes that
  differ by at most 1, the plan's sizes differ by at most 1; and the first round after
  joins (which are balanced by rule 2) is always balanced within 1, since moving every
  table's participants together to the next table is such a seating;
- when everyone joined before the first round, every round's sizes differ by at most 1.

The history can make perfect balance impossible (two tables of which one was visited by
everybody, say); the plan is then as balanced as the history allows, never less.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TableSlot:
    """What the rules need to know of a table."""

    id: int
    position: int
    host_id: int


def _ordered(tables: Sequence[TableSlot]) -> list[TableSlot]:
    return sorted(tables, key=lambda t: (t.position, t.id))


def table_sizes(tables: Sequence[TableSlot], seating: Mapping[int, int]) -> dict[int, int]:
    """Participants (hosts not counted) per table id."""
    hosts = {t.host_id for t in tables}
    counts = Counter(tid for uid, tid in seating.items() if uid not in hosts)
    return {t.id: counts.get(t.id, 0) for t in tables}


def choose_table_for_join(tables: Sequence[TableSlot], seating: Mapping[int, int], user_id: int) -> int:
    """The table where `user_id` sits after joining (rules 1 and 2).

    `seating` maps every user seated now to their table id.
    """
    if not tables:
        raise ValueError("a café has at least one table")
    for table in tables:
        if table.host_id == user_id:
            return table.id
    if user_id in seating:
        return seating[user_id]
    sizes = table_sizes(tables, seating)
    return min(_ordered(tables), key=lambda t: (sizes[t.id], t.position, t.id)).id


def allowed_with_presence(
    tables: Sequence[TableSlot], in_play: Collection[int], current: int, visits: Mapping[int, int]
) -> list[int]:
    """Rules 3 and 6: the tables a participant at `current` may move to when only the
    tables `in_play` (whose host is connected) should receive people.

    Never a table already sat at while an unvisited one exists (rule 3, the contract):
    the unvisited tables in play if there are any, else every unvisited table. A
    participant who has sat at every table moves among the tables in play by rule 3."""
    unvisited = [tid for tid in allowed_tables(tables, current, visits) if visits.get(tid, 0) == 0]
    if unvisited:
        return [tid for tid in unvisited if tid in in_play] or unvisited
    playing = [t for t in tables if t.id in in_play or t.id == current]
    return allowed_tables(playing, current, visits)


def allowed_tables(
    tables: Sequence[TableSlot], current: int, visits: Mapping[int, int] | None = None
) -> list[int]:
    """Rule 3: the tables a participant sitting at `current` may move to, by position.

    `visits` counts how many rounds the participant sat at each table (the current round
    included); a missing count is 0, except the current table, which counts at least 1.
    """
    visits = visits or {}
    others = [t.id for t in _ordered(tables) if t.id != current]
    if not others:
        return [current]
    fewest = min(visits.get(tid, 0) for tid in others)
    return [tid for tid in others if visits.get(tid, 0) == fewest]


class _Flow:
    """A small max-flow network (augmenting paths); sizes here are at most a few hundred."""

    def __init__(self, nodes: int):
        self.graph: list[list[int]] = [[] for _ in range(nodes)]
        self.to: list[int] = []
        self.cap: list[int] = []

    def add(self, u: int, v: int, cap: int) -> int:
        self.graph[u].append(len(self.to))
        self.to.append(v)
        self.cap.append(cap)
        self.graph[v].append(len(self.to))
        self.to.append(u)
        self.cap.append(0)
        return len(self.to) - 2

    def max_flow(self, source: int, sink: int) -> int:
        total = 0
        while True:
            # Breadth-first search for a shortest augmenting path.
            parent_edge = [-1] * len(self.graph)
            parent_edge[source] = -2
            queue = [source]
            for u in queue:
                if u == sink:
                    break
                for e in self.graph[u]:
                    v = self.to[e]
                    if self.cap[e] > 0 and parent_edge[v] == -1:
                        parent_edge[v] = e
                        queue.append(v)
            if parent_edge[sink] == -1:
                return total
            push = None
            v = sink
            while v != source:
                e = parent_edge[v]
                push = self.cap[e] if push is None else min(push, self.cap[e])
                v = self.to[e ^ 1]
            assert push is not None
            v = sink
            while v != source:
                e = parent_edge[v]
                self.cap[e] -= push
                self.cap[e ^ 1] += push
                v = self.to[e ^ 1]
            total += push


def _assign(choices: list[list[int]], table_ids: list[int], low: int, high: int) -> list[int] | None:
    """Give each participant one of their choices so that every table gets between `low`
    and `high` participants; None when impossible.

    A circulation with lower bounds: source -> participant (exactly 1), participant ->
    table (0..1), table -> sink (low..high), sink -> source (unbounded). The lower bounds
    become demands met from a super source and sink.
    """
    n, k = len(choices), len(table_ids)
    source, sink, super_source, super_sink = 0, 1, 2, 3
    first_p, first_t = 4, 4 + n
    flow = _Flow(4 + n + k)
    index = {tid: i for i, tid in enumerate(table_ids)}
    excess = [0] * (4 + n + k)
    pick_edges: list[list[tuple[int, int]]] = []
    for p, allowed in enumerate(choices):
        # source -> p with bounds (1, 1): no residual capacity, only the demand.
        excess[first_p + p] += 1
        excess[source] -= 1
        pick_edges.append([(flow.add(first_p + p, first_t + index[tid], 1), tid) for tid in allowed])
    for i in range(k):
        flow.add(first_t + i, sink, high - low)
        excess[sink] += low
        excess[first_t + i] -= low
    flow.add(sink, source, n + k * high + 1)
    needed = 0
    for node, amount in enumerate(excess):
        if amount > 0:
            flow.add(super_source, node, amount)
            needed += amount
        elif amount < 0:
            flow.add(node, super_sink, -amount)
    if flow.max_flow(super_source, super_sink) != needed:
        return None
    result: list[int] = []
    for edges in pick_edges:
        chosen = [tid for edge, tid in edges if flow.cap[edge] == 0]
        assert len(chosen) == 1
        result.append(chosen[0])
    return result


def _spread(assignment: list[int], table_ids: list[int]) -> int:
    counts = Counter(assignment)
    return max(counts.get(t, 0) for t in table_ids) - min(counts.get(t, 0) for t in table_ids)


def balanced_assignment(
    choices: list[list[int]], table_ids: list[int], preferred: list[int] | None = None
) -> list[int]:
    """One choice per participant, minimising (largest table size - smallest table size).

    Every participant must have at least one choice. Exact: it searches the smallest
    spread for which some (low, high = low + spread) bound pair is feasible. When
    `preferred` (one allowed choice per participant) reaches that smallest spread, it is
    the answer.
    """
    n, k = len(choices), len(table_ids)
    if n == 0:
        return []
    if any(not c for c in choices):
        raise ValueError("every participant needs at least one allowed table")
    floor_share, ceil_share = n // k, -(-n // k)
    if preferred is not None:
        if len(preferred) != n or any(p not in c for p, c in zip(preferred, choices, strict=True)):
            raise ValueError("a preferred table must be one of the participant's choices")
        if _spread(preferred, table_ids) <= ceil_share - floor_share:
            return list(preferred)  # no seating can do better

    # The smallest reachable maximum, and the largest reachable minimum, each alone.
    lo_h, hi_h = ceil_share, n
    while lo_h < hi_h:
        mid = (lo_h + hi_h) // 2
        if _assign(choices, table_ids, 0, mid) is not None:
            hi_h = mid
        else:
            lo_h = mid + 1
    best_high = lo_h
    lo_l, hi_l = 0, floor_share
    while lo_l < hi_l:
        mid = (lo_l + hi_l + 1) // 2
        if _assign(choices, table_ids, mid, n) is not None:
            lo_l = mid
        else:
            hi_l = mid - 1
    best_low = lo_l

    # No seating has a spread below best_high - best_low. The first candidate is
    # feasible in every case we know of (the linking property of flows); the loop only
    # keeps the search exact without relying on it.
    for spread in range(best_high - best_low, n + 1):
        for low in range(best_low, max(best_high - spread, 0) - 1, -1):
            found = _assign(choices, table_ids, low, low + spread)
            if found is not None:
                if preferred is not None and _spread(preferred, table_ids) <= _spread(found, table_ids):
                    return list(preferred)
                return found
    raise AssertionError("a seating with spread n always exists")  # pragma: no cover


def plan_round(
    tables: Sequence[TableSlot],
    seating: Mapping[int, int],
    visits: Mapping[int, Mapping[int, int]],
    present: Collection[int] | None = None,
) -> dict[int, int]:
    """The seating of the next round (rules 1, 3, 4 and 6): {user_id: table_id} for everyone.

    `seating` maps every user seated now (hosts included or not) to their table;
    `visits[user][table]` counts the rounds the user sat at that table, the current
    round included. Hosts are always at their own table. `present` (who is connected,
    None: everyone) applies rule 6: everyone moves among the tables whose host is present
    (all tables when no host is), balanced over who is connected, so nobody is sent to
    sit alone at an empty table while a hosted one is free.
    """
    if not tables:
        raise ValueError("a café has at least one table")
    ordered = _ordered(tables)
    # The rotation walks every table in position order, those out of play included.
    circle = [t.id for t in ordered]
    host_table = {t.host_id: t.id for t in ordered}
    participants = sorted(uid for uid in seating if uid not in host_table)
    absent: list[int] = []
    in_play = set(circle)
    if present is not None:
        # Rule 6: everyone moves, to tables whose host is there where rule 3 allows one;
        # only who is connected counts for the balance.
        absent = [uid for uid in participants if uid not in present]
        participants = [uid for uid in participants if uid in present]
        in_play = {t.id for t in ordered if t.host_id in present} or in_play
    choices: list[list[int]] = []
    preferred: list[int] = []
    for uid in participants + absent:
        current = seating[uid]
        counts = dict(visits.get(uid, {}))
        counts[current] = max(counts.get(current, 0), 1)
        allowed = allowed_with_presence(ordered, in_play, current, counts)
        choices.append(allowed)
        # The rotation: the first allowed table after the current one, in position order.
        start = circle.index(current)
        preferred.append(
            next(
                circle[(start + step) % len(circle)]
                for step in range(1, len(circle) + 1)
                if circle[(start + step) % len(circle)] in allowed
            )
        )
    moving = len(participants)
    # The tables balanced: those in play, and any other that rule 3 leaves someone.
    chosen = {tid for allowed in choices[:moving] for tid in allowed}
    ring = [tid for tid in circle if tid in in_play or tid in chosen]
    assignment = balanced_assignment(choices[:moving], ring, preferred[:moving])
    plan = dict(host_table)
    plan.update(zip(participants, assignment, strict=True))
    # Someone away takes the rotation's table: they find a host there when they come back.
    plan.update(zip(absent, preferred[moving:], strict=True))
    return plan
