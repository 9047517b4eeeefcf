"""The café seating rules (forum.cafes.seating), checked as properties over many cafés.

What is proven here, for 1..12 tables, 0..80 participants and up to 16 rounds, with
people joining before the first round and between rounds:

- everyone (hosts and participants) is seated exactly once, at a table of the café;
- hosts never move;
- nobody moves to a table they sat at while they have a table they never sat at, nor
  stays at their current table when there is another one; once every table is visited,
  they go to a least-visited table other than the current one;
- a newcomer joins a table with the fewest participants (lowest position on ties);
- the first round after the joins has sizes that differ by at most 1, and so has every
  round when everyone joined before the first one;
- the spread of sizes (largest - smallest) is the minimum over every seating allowed by
  the rules, compared with an exhaustive search on small cafés; hence whenever the
  history allows sizes within 1 of each other, the plan's sizes are within 1.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from forum.cafes.seating import (
    TableSlot,
    allowed_tables,
    allowed_with_presence,
    balanced_assignment,
    choose_table_for_join,
    plan_round,
    table_sizes,
)

HOST_BASE = 10_000


def make_tables(count: int) -> list[TableSlot]:
    # Ids deliberately not in position order, so the code cannot confuse the two.
    return [
        TableSlot(id=100 + (7 * i) % 13 + 13 * i, position=i, host_id=HOST_BASE + i) for i in range(count)
    ]


def spread(sizes: dict[int, int]) -> int:
    return max(sizes.values()) - min(sizes.values())


class Cafe:
    """A café played out in memory with the pure rules: seating and visit history."""

    def __init__(self, table_count: int):
        self.tables = make_tables(table_count)
        self.seating: dict[int, int] = {t.host_id: t.id for t in self.tables}
        self.visits: dict[int, Counter[int]] = defaultdict(Counter)
        for t in self.tables:
            self.visits[t.host_id][t.id] += 1

    def join(self, user_id: int) -> int:
        before = table_sizes(self.tables, self.seating)
        table_id = choose_table_for_join(self.tables, self.seating, user_id)
        if user_id not in self.seating:
            fewest = min(before.values())
            assert before[table_id] == fewest
            first = min((t for t in self.tables if before[t.id] == fewest), key=lambda t: t.position)
            assert table_id == first.id
            self.seating[user_id] = table_id
            self.visits[user_id][table_id] += 1
        assert self.seating[user_id] == table_id
        return table_id

    def next_round(self) -> dict[int, int]:
        plan = plan_round(self.tables, self.seating, self.visits)
        table_ids = {t.id for t in self.tables}
        # Everyone seated exactly once (a dict: once), nobody new, nobody lost.
        assert set(plan) == set(self.seating)
        assert set(plan.values()) <= table_ids
        for t in self.tables:
            assert plan[t.host_id] == t.id, "a host moved"
        for uid, table_id in plan.items():
            if uid >= HOST_BASE:
                continue
            current = self.seating[uid]
            unvisited = table_ids - set(self.visits[uid])
            if unvisited:
                assert table_id in unvisited, "went back while an unvisited table exists"
            elif len(table_ids) > 1:
                assert table_id != current
                least = min(self.visits[uid][t] for t in table_ids - {current})
                assert self.visits[uid][table_id] == least
            else:
                assert table_id == current
        self.seating = plan
        for uid, table_id in plan.items():
            self.visits[uid][table_id] += 1
        return plan


@settings(max_examples=150, deadline=None)
@given(
    table_count=st.integers(1, 12),
    arrivals=st.lists(st.integers(0, 80), min_size=1, max_size=17),
)
def test_rounds_keep_every_rule(table_count: int, arrivals: list[int]) -> None:
    """arrivals[r] people join before round r (arrivals[0] before the first round)."""
    cafe = Cafe(table_count)
    next_id = 1
    total = 0
    for r, count in enumerate(arrivals):
        count = min(count, 80 - total)
        for _ in range(count):
            cafe.join(next_id)
            # Joining twice keeps the seat.
            assert cafe.join(next_id) == cafe.seating[next_id]
            next_id += 1
        total += count
        sizes = table_sizes(cafe.tables, cafe.seating)
        if r == 0:
            assert spread(sizes) <= 1, "joins alone are balanced"
        plan = cafe.next_round()
        if r == 0 or total == arrivals[0]:
            # The first round; and every round while nobody joined after the first.
            assert spread(table_sizes(cafe.tables, plan)) <= 1, f"round {r + 1} is unbalanced"


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    table_count=st.integers(1, 4),
    people=st.integers(0, 6),
)
def test_balance_is_optimal(data: st.DataObject, table_count: int, people: int) -> None:
    """For any allowed sets, no seating has a smaller spread than the plan's."""
    table_ids = [t.id for t in make_tables(table_count)]
    choices = [
        data.draw(st.lists(st.sampled_from(table_ids), min_size=1, max_size=table_count, unique=True))
        for _ in range(people)
    ]
    found = balanced_assignment(choices, table_ids)
    assert len(found) == people
    assert all(tid in allowed for tid, allowed in zip(found, choices, strict=True))

    def spread_of(assignment: tuple[int, ...] | list[int]) -> int:
        counts = Counter(assignment)
        return max(counts.get(t, 0) for t in table_ids) - min(counts.get(t, 0) for t in table_ids)

    best = min((spread_of(a) for a in itertools.product(*choices)), default=0)
    assert spread_of(found) == best


@settings(max_examples=100, deadline=None)
@given(table_count=st.integers(1, 6), people=st.integers(0, 12), rounds=st.integers(1, 14))
def test_small_cafes_are_as_balanced_as_the_history_allows(
    table_count: int, people: int, rounds: int
) -> None:
    """Round after round, the plan's spread equals the exhaustive optimum for that history."""
    cafe = Cafe(table_count)
    for uid in range(1, people + 1):
        cafe.join(uid)
    for _ in range(rounds):
        participants = sorted(u for u in cafe.seating if u < HOST_BASE)
        choices = [allowed_tables(cafe.tables, cafe.seating[u], cafe.visits[u]) for u in participants]
        table_ids = [t.id for t in cafe.tables]
        if people <= 7:
            options = [Counter(a) for a in itertools.product(*choices)] or [Counter()]
            best = min(
                max(c.get(t, 0) for t in table_ids) - min(c.get(t, 0) for t in table_ids) for c in options
            )
        else:
            best = None
        plan = cafe.next_round()
        achieved = spread(table_sizes(cafe.tables, plan))
        if best is not None:
            assert achieved == best


def test_host_joins_their_own_table_even_when_it_is_the_fullest() -> None:
    tables = make_tables(3)
    seating = {t.host_id: t.id for t in tables} | {1: tables[0].id, 2: tables[0].id}
    assert choose_table_for_join(tables, seating, tables[0].host_id) == tables[0].id
    assert choose_table_for_join(tables, seating, 3) == tables[1].id


def test_one_table_everyone_stays() -> None:
    tables = make_tables(1)
    seating = {tables[0].host_id: tables[0].id, 1: tables[0].id, 2: tables[0].id}
    assert plan_round(tables, seating, {1: {tables[0].id: 3}}) == seating


def test_after_every_table_the_least_visited_other_table() -> None:
    tables = make_tables(3)
    a, b, c = (t.id for t in tables)
    # Sat at a twice, b once, now at c: all visited; a and b are not current; b is least visited.
    assert allowed_tables(tables, c, {a: 2, b: 1, c: 1}) == [b]
    plan = plan_round(tables, {1: c} | {t.host_id: t.id for t in tables}, {1: {a: 2, b: 1, c: 1}})
    assert plan[1] == b


def test_two_tables_swap_even_when_unbalanced() -> None:
    """With two tables everyone must cross: the history, not the plan, sets the sizes."""
    tables = make_tables(2)
    a, b = tables[0].id, tables[1].id
    seating = {1: a, 2: a, 3: a, 4: b} | {t.host_id: t.id for t in tables}
    plan = plan_round(tables, seating, {})
    assert [plan[u] for u in (1, 2, 3, 4)] == [b, b, b, a]


@settings(max_examples=150, deadline=None)
@given(
    table_count=st.integers(1, 8),
    people=st.integers(0, 30),
    rounds=st.integers(1, 8),
    data=st.data(),
)
def test_presence_rounds_keep_the_no_repeat_rule_and_prefer_hosted_tables(
    table_count: int, people: int, rounds: int, data: st.DataObject
) -> None:
    """Rule 6, with who is connected drawn afresh each round. The contract's no-repeat
    rule comes first: nobody returns to a table while an unvisited one exists. Among the
    unvisited tables a participant goes to one whose host is there whenever there is one;
    someone who has sat everywhere moves among the hosted tables; and the sizes, counting
    who is connected, are as balanced as those rules allow."""
    cafe = Cafe(table_count)
    for uid in range(1, people + 1):
        cafe.join(uid)
    hosts = {t.host_id: t.id for t in cafe.tables}
    everyone = sorted(cafe.seating)
    for _ in range(rounds):
        present = set(data.draw(st.lists(st.sampled_from(everyone), unique=True)))
        before = dict(cafe.seating)
        plan = plan_round(cafe.tables, before, cafe.visits, present)
        assert sorted(plan) == everyone
        hosted = [t.id for t in cafe.tables if t.host_id in present] or [t.id for t in cafe.tables]
        for uid, tid in plan.items():
            if uid in hosts:
                assert tid == hosts[uid]
                continue
            others = [t.id for t in cafe.tables if t.id != before[uid]]
            unvisited = [t for t in others if cafe.visits[uid][t] == 0]
            if unvisited:
                assert tid in unvisited  # the contract: a table not sat at yet
                if any(t in hosted for t in unvisited):
                    assert tid in hosted  # and one with its host there, if any is
            else:
                assert tid in hosted or tid == before[uid]
                if [t for t in hosted if t != before[uid]]:
                    assert tid != before[uid]
        moving = [uid for uid in plan if uid in present and uid not in hosts]
        choices = []
        for uid in moving:
            counts = dict(cafe.visits[uid])
            counts[before[uid]] = max(counts.get(before[uid], 0), 1)
            choices.append(allowed_with_presence(cafe.tables, set(hosted), before[uid], counts))
        if moving:
            ring = [t.id for t in cafe.tables if t.id in hosted or any(t.id in c for c in choices)]
            best = balanced_assignment(choices, ring)
            got, optimal = Counter(plan[uid] for uid in moving), Counter(best)
            assert spread({t: got[t] for t in ring}) <= spread({t: optimal[t] for t in ring})
        cafe.seating = plan
        # As the server does: every seat is a visit of the round, kept seats included.
        for uid, tid in plan.items():
            cafe.visits[uid][tid] += 1


def test_presence_sends_nobody_to_a_table_whose_host_never_came() -> None:
    """The case issue 13 saw: three tables, the third host absent; two participants
    present at table 1 go to table 2 (hosted), not one of them alone at table 3."""
    tables = make_tables(3)
    a, b, c = (t.id for t in tables)
    seating = {t.host_id: t.id for t in tables} | {1: a, 2: a}
    visits = {1: Counter({a: 1}), 2: Counter({a: 1})}
    present = {HOST_BASE, HOST_BASE + 1, 1, 2}
    plan = plan_round(tables, seating, visits, present)
    assert plan[1] == b and plan[2] == b
    # Without presence the rotation would split them (one alone at the unhosted table).
    everyone = plan_round(tables, seating, visits)
    assert sorted((everyone[1], everyone[2])) == sorted([b, c])


def test_presence_never_breaks_the_no_repeat_rule() -> None:
    """The public contract: a round moves every participant to a table they have not sat
    at. When a participant's only unvisited table has no host connected, they go there
    rather than back to a hosted table they have sat at."""
    tables = make_tables(3)
    a, b, c = (t.id for t in tables)
    seating = {t.host_id: t.id for t in tables} | {1: a}
    visits = {1: Counter({a: 1, b: 1})}  # sat at a and b; c's host is not connected
    present = {HOST_BASE, HOST_BASE + 1, 1}
    plan = plan_round(tables, seating, visits, present)
    assert plan[1] == c
