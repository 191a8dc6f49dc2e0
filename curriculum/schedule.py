"""Schedule stage: place each person's chosen modules in weeks. One person
alone is the same scheduler with no group sessions, so a solo syllabus and a
team plan cannot drift apart.

Placing one person (`_Person.place`). Time goes week by week. In each week the
person starts the group sessions they attend that week, continues the
modules already started, then starts the next modules whose prerequisites are
finished until the week's hours are used: first what a coming session needs
(earliest session first), then in their order. Alone, the order is the
learning order and this is exactly the hour-by-hour plan: a module starts in
the week its predecessor ends.

A team (`_Team`). A module at least `min_size` members have on their paths is
shareable and may be taught in group sessions: the attendees start it in the
session's week, each having finished its prerequisites in an earlier week. In
the team order, shared modules come when the team typically reaches them, so
slower learners keep pace on what is shared and catch up on the rest. Then,
module by module, sessions go in the weeks where the most people can come
without breaking the rules: everyone still starts each of their sessions in
its week, nobody spends more than `max_wait_weeks` weeks with hours unused
while a module waits for its session, and nobody finishes more than
`max_delay_weeks` later than alone. Hours are counted exactly (in integer
units of a fraction of an hour), so weeks never shift by float noise.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from .errors import CurriculumError
from .limits import MAX_WEEKS


@dataclass(frozen=True)
class CohortSettings:
    """How group sessions are formed (the `cohorts` section of a team file)."""

    min_size: int = 3
    max_size: int = 12
    max_wait_weeks: int = 2
    max_delay_weeks: int = 3  # how much later than alone anyone may finish because of sessions
    session_hours: float = 2.0  # contact hours of one session, at most the module's hours


@dataclass(frozen=True)
class Learner:
    name: str
    order: tuple[str, ...]  # module ids in learning order
    hours_per_week: float


@dataclass(frozen=True, slots=True)
class Placement:
    """One module of one learner on the calendar."""

    module: str
    hours_by_week: tuple[tuple[int, float], ...]  # (week, hours), weeks ascending
    session: int | None = None  # index into Schedule.sessions

    @property
    def week(self) -> int:
        return self.hours_by_week[0][0]

    @property
    def end_week(self) -> int:
        return self.hours_by_week[-1][0]


@dataclass(frozen=True)
class Session:
    module: str
    week: int
    attendees: tuple[str, ...]  # learner names, in the order they reached the module


@dataclass(frozen=True)
class Schedule:
    placements: dict[str, tuple[Placement, ...]]  # learner name -> placements in learning order
    sessions: tuple[Session, ...]
    # (learner, module) -> why a shareable module was studied alone
    alone: dict[tuple[str, str], str]
    solver: str = "greedy"  # what chose the sessions: "greedy" or "cp-sat"
    optimal: bool = False  # proven best under the solver's objective
    gap: float | None = None  # how far below the best possible the objective may be (0..1), where known


def schedule(
    learners: Sequence[Learner],
    hours: Mapping[str, float],
    prerequisites: Mapping[str, Sequence[str]],
    settings: CohortSettings | None = None,
    solo: Mapping[str, Sequence[Placement]] | None = None,
    solver: str = "auto",
    deterministic_time: float | None = None,
) -> Schedule:
    """Place every learner's modules in weeks; with `settings`, teach
    shareable modules in group sessions (`solo`, each learner's schedule
    alone, if already known). `hours` and `prerequisites` cover every module
    of every path (prerequisites off a learner's path are known to them and
    ignored).

    Sessions are chosen by the greedy heuristic (`_Team`), and for a team
    small enough to solve in about two seconds (`exact.Problem.small`) also
    by CP-SAT, starting from the heuristic's choice; the better one is kept,
    so CP-SAT never does worse. A team of up to `exact.MAX_IMPROVE_CLASSES`
    classes gets the heuristic's sessions chosen again module by module
    (`exact.improve`). `solver` forces "greedy" or "cp-sat"; the
    benchmark gives CP-SAT more `deterministic_time`."""
    exact = {module: _exact(value) for module, value in hours.items()}
    capacities = {learner.name: _exact(learner.hours_per_week) for learner in learners}
    # One unit that divides every hour count: weeks are filled with integers.
    unit = math.lcm(*(value.denominator for value in [*exact.values(), *capacities.values()]))
    units = {module: int(value * unit) for module, value in exact.items()}
    people = [_Person(learner, units, int(capacities[learner.name] * unit), unit, prerequisites)
              for learner in learners]
    memo: dict[int, tuple] = {}
    if solo is None:
        # People with one path and pace have one solo schedule: placed once, shared.
        alone: dict[tuple, tuple[Placement, ...]] = {}
        solo = {}
        for person in people:
            key = (person.order, person.capacity)
            if key not in alone:
                alone[key] = _hours(person.place(person.order, {}).placements, unit, memo)
            solo[person.name] = alone[key]
    if settings is None:
        return Schedule(solo, (), {})
    from . import exact as cpsat  # here: exact.py builds on this module, and a solo plan needs neither

    team = _Team(people, settings, solo).run()
    problem = cpsat.problem(people, settings, solo, unit)
    if solver == "cp-sat" or (solver == "auto" and problem.small()):
        team = cpsat.solve(problem, team, deterministic_time or cpsat.DETERMINISTIC_TIME)
    elif solver == "auto" and problem.improvable():
        team = cpsat.improve(problem, team)
    placements = team.placements
    for name in placements:  # in place: a department's placements are not held twice
        placements[name] = _hours(placements[name], unit, memo)
    return Schedule(placements, team.sessions, team.alone, team.solver, team.optimal, team.gap)


def _hours(placements: Sequence[Placement], unit: int, memo: dict[int, tuple]) -> tuple[Placement, ...]:
    """Placements counted in units of 1/`unit` hour, in hours. People of one
    class share their hours-by-week: each is converted once (`memo`, by
    object) and the result shared, which keeps a 10,000-person team small."""
    converted = []
    for p in placements:
        hours = memo.get(id(p.hours_by_week))
        if hours is None:
            hours = memo[id(p.hours_by_week)] = (
                p.hours_by_week, tuple((week, amount / unit) for week, amount in p.hours_by_week))
        converted.append(Placement(p.module, hours[1], p.session))
    return tuple(converted)


def _exact(value: float) -> Fraction:
    # Through the decimal text, so 0.1 h is a tenth, not the nearest binary float.
    return Fraction(repr(float(value)))


_NEVER = 1 << 30  # a week later than any


def _ceil_div(value: int, by: int) -> int:
    return -(-value // by)


def _weeks(count: int) -> str:
    return f"{count} week{'s' if count != 1 else ''}"


class _Person:
    """One learner's path: what `_place` needs to put it in weeks."""

    def __init__(self, learner: Learner, hours: Mapping[str, int], capacity: int, unit: int, prerequisites):
        """`hours` and `capacity` are in units of 1/`unit` hour."""
        self.name = learner.name
        self.capacity = capacity
        self.unit = unit
        self.order = learner.order
        on_path = set(learner.order)
        self.prerequisites = {m: tuple(p for p in prerequisites.get(m, ()) if p in on_path) for m in learner.order}
        self.hours = {m: hours[m] for m in learner.order}
        self.needed_by: dict[str, list[str]] = {}
        for module in learner.order:
            for prerequisite in self.prerequisites[module]:
                self.needed_by.setdefault(prerequisite, []).append(module)
        # The same, by number (position in learning order), for `place`.
        self.index = {m: i for i, m in enumerate(learner.order)}
        self.units = [self.hours[m] for m in learner.order]
        self.prerequisite_numbers = [tuple(self.index[p] for p in self.prerequisites[m]) for m in learner.order]
        self.needed_numbers = [tuple(self.index[d] for d in self.needed_by.get(m, ())) for m in learner.order]
        self.waiting = [len(p) for p in self.prerequisite_numbers]
        self.roots = [i for i, n in enumerate(self.waiting) if not n]
        self._ancestors: dict[int, tuple[int, ...]] = {}
        self._ranked: tuple | None = None

    def ancestors(self, module: str) -> set[str]:
        return self._reachable(module, self.prerequisites)

    def descendants(self, module: str) -> set[str]:
        return self._reachable(module, self.needed_by)

    @staticmethod
    def _reachable(module: str, edges: Mapping[str, Sequence[str]]) -> set[str]:
        found, stack = set(), [module]
        while stack:
            for other in edges.get(stack.pop(), ()):
                if other not in found:
                    found.add(other)
                    stack.append(other)
        return found

    def place(self, sequence: Sequence[str], pins: Mapping[str, int],
              last_week: int | None = None, max_wait: int | None = None) -> _Placed | None:
        """The person's modules in weeks, starting modules in `sequence`
        order, each pinned module (-> week) in exactly its week; see
        `_Placed` for what comes back. With `last_week` and `max_wait`,
        None as soon as a rule breaks: a pinned module misses its week, one
        waits more than `max_wait` weeks, or the hours left cannot be done by
        `last_week` (most placements tried for a team break one; stopping
        there halves their cost). (Called thousands of times for a large
        team: modules are numbered, the loop kept tight.)"""
        strict = last_week is not None
        index, count = self.index, len(self.order)
        rank = self._rank(sequence)
        # A module needed by a pinned one must be done before that week: earliest such week first.
        due = [_NEVER] * count
        pin = [0] * count
        pinned_at: dict[int, list[int]] = {}
        for module, week in pins.items():
            i = index[module]
            pin[i] = week
            pinned_at.setdefault(week, []).append(i)
            for a in self._ancestor_numbers(i):
                if week < due[a]:
                    due[a] = week
        remaining = list(self.units)
        left = sum(remaining)
        allocations: list[list[tuple[int, int]]] = [[] for _ in range(count)]
        end = [0] * count  # week finished, 0 while not
        finished = 0
        waiting = list(self.waiting)
        startable = [(due[i], rank[i], i) for i in self.roots]
        heapq.heapify(startable)
        active: list[int] = []
        started = [False] * count
        parked: list[int] = []  # startable, but pinned to a later week
        missed: set[int] = set()
        waits: dict[int, int] = {}
        needed_by, prerequisites, capacity = self.needed_numbers, self.prerequisite_numbers, self.capacity
        heappush, heappop = heapq.heappush, heapq.heappop

        def study(i: int, week: int, cap: int) -> int:
            """Study module `i` this week with the hours left; what is left after."""
            nonlocal finished, left
            take = remaining[i] if remaining[i] < cap else cap
            allocations[i].append((week, take))
            remaining[i] -= take
            left -= take
            if remaining[i] == 0:
                end[i] = week
                finished += 1
                for d in needed_by[i]:
                    waiting[d] -= 1
                    if not waiting[d]:
                        heappush(startable, (due[d], rank[d], d))
            return cap - take

        week = 0
        while finished < count:
            week += 1
            if week > 2 * MAX_WEEKS:  # paths fit MAX_WEEKS alone; sessions add little, never this much
                raise CurriculumError(f"the team schedule takes over {2 * MAX_WEEKS} weeks")
            cap = capacity
            sessions = pinned_at.get(week)
            if sessions:
                now = []
                for i in sorted(sessions, key=rank.__getitem__):
                    # A session starts only with its prerequisites finished before, and hours left for it.
                    if cap <= sum(remaining[j] for j in now) or any(end[p] == 0 or end[p] >= week
                                                                    for p in prerequisites[i]):
                        if strict:
                            return None
                        missed.add(i)  # placed as any other module from now on
                        if i in parked:
                            parked.remove(i)
                            heappush(startable, (due[i], rank[i], i))
                        continue
                    if i in parked:
                        parked.remove(i)
                    started[i] = True  # if still in `startable`, skipped there
                    now.append(i)
                active = now + active  # this week's sessions first
            # What was started (this week's sessions first), then new modules.
            for i in active:
                if cap <= 0:
                    break
                cap = study(i, week, cap)
            active = [i for i in active if remaining[i]]
            while cap > 0 and startable:
                _, _, i = heappop(startable)
                if started[i]:
                    continue
                if pin[i] > week and i not in missed:
                    parked.append(i)
                    continue
                started[i] = True
                cap = study(i, week, cap)
                if remaining[i]:
                    active.append(i)
            if cap > 0:  # hours unused: everyone with a session to come was waiting for it
                for i in parked:
                    waits[i] = waits.get(i, 0) + 1
                    if strict and waits[i] > max_wait:
                        return None
            if strict and left > capacity * (last_week - week):
                return None
        order = self.order
        # Hours stay in units until `_hours`.
        return _Placed(order, allocations, {order[i] for i in missed}, {order[i]: n for i, n in waits.items()},
                       max(end, default=0))

    def _rank(self, sequence: Sequence[str]) -> list[int]:
        """Each module's place in `sequence`, by number (the last one asked is kept)."""
        if self._ranked is None or self._ranked[0] is not sequence:
            rank = [0] * len(self.order)
            for position, module in enumerate(sequence):
                rank[self.index[module]] = position
            self._ranked = (sequence, rank)
        return self._ranked[1]

    def _ancestor_numbers(self, i: int) -> tuple[int, ...]:
        found = self._ancestors.get(i)
        if found is None:
            found = self._ancestors[i] = tuple(sorted(self.index[a] for a in self.ancestors(self.order[i])))
        return found


class _Placed:
    """One person placed: their placements (in learning order), the pinned
    modules that could not start in their week (a prerequisite not finished
    in an earlier week, or no hours left), the weeks spent with hours unused
    while each pinned module waited for its week, and the last week.
    Placement objects are made only when asked for: most placements are
    tried and dropped."""

    __slots__ = ("order", "allocations", "missed", "waits", "weeks", "_placements")

    def __init__(self, order, allocations, missed: set[str], waits: dict[str, int], weeks: int):
        self.order, self.allocations, self.missed, self.waits, self.weeks = order, allocations, missed, waits, weeks
        self._placements = None

    @property
    def placements(self) -> tuple[Placement, ...]:
        if self._placements is None:
            self._placements = tuple(Placement(m, tuple(a)) for m, a in zip(self.order, self.allocations))
        return self._placements

    def week_of(self, number: int) -> int:
        """The first week of the module numbered `number` (its place in learning order)."""
        return self.allocations[number][0][0]


class _Team:
    """Group sessions for a team (see the module's docstring).

    People with the same path and hours a week would have the same schedule:
    they form one class, placed once, so a department of a thousand costs
    about as much as its few dozen distinct paths. Shareable modules are taken
    in the order the team typically reaches them; for each, every class tries
    the weeks around where it has the module now, and a week is possible for
    it if, placed with that session, it still starts every session it has in
    its week, waits at most `max_wait_weeks` for each, and finishes at most
    `max_delay_weeks` later than alone. Sessions go where the most people can
    come (then where they lose least time, then nearest where they have the
    module now), while at least `min_size` can; looking a week or two from
    where each class has the module first, so that in a large team most are
    settled cheaply, then further. Greedy choices like these depend on what
    is decided first, so a team of few classes is scheduled several ways
    (`STRATEGIES`) and the best kept: most learner-hours in groups, less a
    week of study hours for each week anyone finishes later."""

    # Ways to search: how far from where a class has a module now it looks
    # for a session, nearest first (weeks earlier, weeks later), and whether
    # modules come in the order the team reaches them or longest first among
    # those reached about together.
    STRATEGIES = (
        (((0, 0), (1, 1), (16, 8)), "pace"),  # first: the one for large teams
        (((0, 0), (1, 1), (4, 4), (16, 8)), "pace"),
        (((0, 0), (2, 2), (16, 8)), "pace"),
        (((16, 8),), "pace"),
        (((0, 0), (1, 1), (16, 8)), "long-first"),
        (((0, 0), (4, 4), (16, 8)), "long-first"),
    )
    MANY_CLASSES = 40  # beyond this, one strategy: large teams group easily, and time counts
    TRADE_ROUNDS = 3
    TRADE_REACH = 6  # weeks between a session given up and the one joined instead

    def __init__(self, people: list[_Person], settings: CohortSettings, solo: Mapping[str, Sequence[Placement]]):
        self.settings = settings
        solo_weeks = {(p.name, placement.module): placement.week for p in people for placement in solo[p.name]}
        takers: dict[str, list[str]] = {}
        for person in people:
            for module in person.order:
                takers.setdefault(module, []).append(person.name)
        self.shareable = {m for m, names in takers.items() if len(names) >= settings.min_size}
        starts: dict[str, list[int]] = {}
        for (_, module), week in solo_weeks.items():
            if module in self.shareable:
                starts.setdefault(module, []).append(week)
        pace = {m: sorted(weeks)[len(weeks) // 2] for m, weeks in starts.items()}
        longest = {m: max(p.hours.get(m, 0) for p in people) for m in self.shareable}
        self.orders = {
            "pace": sorted(self.shareable, key=lambda m: (pace[m], m)),
            # A module worth a lot of hours goes before others reached within a few weeks of it.
            "long-first": sorted(self.shareable, key=lambda m: (pace[m] - longest[m] / (4 * min(
                p.capacity for p in people)), m)),
        }
        classes: dict[tuple, _Class] = {}
        for person in people:
            key = (person.order, person.capacity, tuple(sorted(person.prerequisites.items())))
            if key not in classes:
                sequence = _team_sequence(person, pace, solo[person.name])
                solo_end = max((p.end_week for p in solo[person.name]), default=0)
                classes[key] = _Class(person, sequence, solo_end,
                                      {p.module: p.week for p in solo[person.name]})
            classes[key].members.append(person.name)
        self.classes = sorted(classes.values(), key=lambda c: c.members[0])

    def run(self) -> Schedule:
        strategies = self.STRATEGIES if len(self.classes) <= self.MANY_CLASSES else self.STRATEGIES[:1]
        best = None
        for reaches, order in strategies:
            result, score = self._search(reaches, self.orders[order])
            if best is None or score > best[1]:
                best = (result, score)
        return best[0]

    def _search(self, reaches, modules: list[str]) -> tuple[Schedule, int]:
        """One way of grouping, from scratch, and its score."""
        self.reaches, self.modules = reaches, modules
        for group in self.classes:
            group.pins, group.tried = {}, {}
            group.placed = group.person.place(group.sequence, {})
        sessions: dict[tuple[str, int], list[_Class]] = {}  # (module, week) -> classes attending
        self.why: dict[tuple[_Class, str], str] = {}  # why a class studies a shareable module alone
        # First only sessions that cost nobody a later finish, then longer
        # delays up to `max_delay_weeks` (`_delays`), where that still brings
        # people together; then trades of short sessions for long ones.
        for self.delay in self._delays():
            for module in self.modules:
                self._group(module, sessions)
        # A large team groups nearly all shared hours without trading (98% of
        # them in a 1,000-person department); its time is better kept.
        for _ in range(self.TRADE_ROUNDS if len(self.classes) <= self.MANY_CLASSES else 0):
            if not self._trade(sessions):
                break
            for module in self.modules:
                self._group(module, sessions)
        alone = {(group, module): why for (group, module), why in self.why.items() if module not in group.pins}
        result = self._result(sessions, alone)
        # In hour units: hours taught in groups, less each late week's study hours.
        grouped = sum(len(group.members) * group.person.hours[m] for group in self.classes for m in group.pins)
        late = sum(len(g.members) * (g.placed.weeks - g.solo_end) * g.person.capacity for g in self.classes)
        return result, grouped - late

    def _delays(self) -> list[int]:
        """The delays allowed in turn: a week more at a time in a small team;
        in a large one (which groups easily, and where time counts) none,
        then the most."""
        most = self.settings.max_delay_weeks
        return list(range(most + 1)) if len(self.classes) <= self.MANY_CLASSES else sorted({0, most})

    def _group(self, module: str, sessions: dict) -> None:
        """Sessions for the classes that take `module` alone so far, looking
        ever further from where each has it now (the strategy's reaches, so that in a
        large team most are settled by trying a week or two): join a week
        that already has a session, else new sessions where most can come."""
        left = [c for c in self.classes if module in c.person.hours and module not in c.pins]
        for reach in self.reaches:
            weeks = sorted(week for m, week in sessions if m == module)
            for group in list(left):
                possible = self._weeks_possible(group, module, reach)
                now = self._week_of(group, module)
                joinable = [w for w in weeks if w in possible]
                if joinable:
                    week = min(joinable, key=lambda w: (abs(w - now), w))
                    self._pin(group, module, week, possible[week])
                    sessions[module, week].append(group)
                    left.remove(group)
            # A class's possible weeks depend only on its own sessions: looked up once.
            options = {c: self._weeks_possible(c, module, reach) for c in left}
            while left:
                week, joining = self._best_week(module, options)
                if sum(len(c.members) for c in joining) < self.settings.min_size:
                    break
                for group in joining:
                    self._pin(group, module, week, options.pop(group)[week])
                    left.remove(group)
                sessions[module, week] = joining
        # Last, a session of the module further away than any reach, if the
        # class can still join it (working on other modules until then): in
        # a small team, where people are few and far between (a large one
        # groups easily, and time counts).
        weeks = sorted(week for m, week in sessions if m == module)
        for group in list(left) if len(self.classes) <= self.MANY_CLASSES else ():
            now = self._week_of(group, module)
            for week in sorted(weeks, key=lambda w: (abs(w - now), w)):
                placed = self._try_week(group, module, week)
                if placed is not None:
                    self._pin(group, module, week, placed)
                    sessions[module, week].append(group)
                    left.remove(group)
                    break
        # Those still alone, and why (from the widest look, just taken).
        for group in left:
            self.why[group, module] = self._why_alone(group, options)
        # What was tried for this module is not needed again this pass: memory stays flat.
        for group in self.classes:
            group.tried.pop((module, self.delay), None)

    def _trade(self, sessions: dict) -> None:
        """Where a class studies a long module alone, let it join a session
        of that module by giving up a session of a shorter one it attends
        (when that session keeps enough people): more hours in groups."""
        hours = {m: max(c.person.hours.get(m, 0) for c in self.classes) for m in self.modules}
        traded = False
        for module in sorted(self.modules, key=lambda m: (-hours[m], m)):
            weeks = sorted(w for m, w in sessions if m == module)
            for group in self.classes:
                if module not in group.person.hours or module in group.pins:
                    continue
                best = None
                now = self._week_of(group, module)
                # Only nearby sessions, and giving up a session near enough to free hours for it.
                for week in sorted((w for w in weeks if abs(w - now) <= self.TRADE_REACH),
                                   key=lambda w: (abs(w - now), w)):
                    for given_up in sorted(group.pins, key=lambda m: (group.person.hours[m], m)):
                        if group.person.hours[given_up] >= group.person.hours[module]:
                            break
                        if abs(group.pins[given_up] - week) > self.TRADE_REACH:
                            continue
                        others = sessions[given_up, group.pins[given_up]]
                        if sum(len(c.members) for c in others if c is not group) < self.settings.min_size:
                            continue
                        pins = {m: w for m, w in group.pins.items() if m != given_up}
                        placed = self._check(group, {**pins, module: week})
                        if placed is not None:
                            best = (given_up, week, placed)
                            break
                    if best:
                        break
                if best:
                    given_up, week, placed = best
                    sessions[given_up, group.pins[given_up]].remove(group)
                    del group.pins[given_up]
                    self._pin(group, module, week, placed)
                    sessions[module, week].append(group)
                    traded = True
        return traded

    def _check(self, group: _Class, pins: dict[str, int]) -> _Placed | None:
        """The class placed with these sessions, if that keeps the rules."""
        return group.person.place(group.sequence, pins, group.solo_end + self.delay, self.settings.max_wait_weeks)

    @staticmethod
    def _pin(group: _Class, module: str, week: int, placed: _Placed) -> None:
        group.pins[module] = week
        group.placed = placed
        group.tried.clear()

    @staticmethod
    def _week_of(group: _Class, module: str) -> int:
        return group.placed.week_of(group.person.index[module])

    def _weeks_possible(self, group: _Class, module: str, reach: tuple[int, int]) -> dict[int, _Placed]:
        """The weeks within `reach` (weeks earlier, weeks later) of where the
        class has `module` now, or of where it has it alone, in which it could
        take it in a session, each with how the class would then be placed.
        (Sessions pinned before may have moved a module far from its own
        week, into hours left while waiting for them.) Each week is tried
        once until the class's sessions change."""
        person = group.person
        now = self._week_of(group, module)
        # No week before its prerequisites could all be done is worth trying.
        soonest = group.soonest.get(module)
        if soonest is None:
            before = sum(person.hours[a] for a in person.ancestors(module))
            soonest = group.soonest[module] = 1 + _ceil_div(before, person.capacity)
        # Nor a week after which the module and all that builds on it could not be done in time.
        latest = group.latest.get(module)
        if latest is None:
            rest = person.hours[module] + sum(person.hours[d] for d in person.descendants(module))
            latest = group.latest[module] = group.solo_end + 1 - _ceil_div(rest, person.capacity)
        weeks: set[int] = set()
        for middle in {now, group.solo_weeks[module]}:
            weeks.update(range(max(1, middle - reach[0], soonest), min(middle + reach[1], latest + self.delay) + 1))
        possible = {}
        for week in sorted(weeks):
            placed = self._try_week(group, module, week)
            if placed is not None:
                possible[week] = placed
        return possible

    def _try_week(self, group: _Class, module: str, week: int) -> _Placed | None:
        """The class placed with a session of `module` in `week`, if that
        keeps the rules (tried once until the class's sessions change)."""
        tried = group.tried.setdefault((module, self.delay), {})
        if week not in tried:
            pins = {**group.pins, module: week}
            tried[week] = None if self._crowded(group, pins, week) else self._check(group, pins)
        return tried[week]

    @staticmethod
    def _crowded(group: _Class, pins: dict[str, int], week: int) -> bool:
        """Do the class's sessions in `week` need more hours than it has, so
        that one could not start (a rule `_Person.place` keeps; checked here
        first because it is cheap)? Sessions start in learning-order rank,
        each only while hours are left after those before it."""
        person = group.person
        same = [m for m, w in pins.items() if w == week]
        if len(same) < 2:
            return False
        rank, index = person._rank(group.sequence), person.index
        same.sort(key=lambda m: rank[index[m]])
        return sum(person.hours[m] for m in same[:-1]) >= person.capacity

    def _best_week(self, module: str, options: dict) -> tuple[int, list[_Class]]:
        """The week the most people can come to, then the one nearest where
        they have the module now (the earlier of two)."""
        people: dict[int, int] = {}
        later: dict[int, int] = {}  # weeks of delay the week adds, over everyone coming
        for group, weeks in options.items():
            for week, placed in weeks.items():
                people[week] = people.get(week, 0) + len(group.members)
                later[week] = later.get(week, 0) + len(group.members) * (placed.weeks - group.placed.weeks)
        if not people:
            return 0, []
        now = sorted(self._week_of(g, module) for g in options)
        middle = now[len(now) // 2]
        week = min(people, key=lambda w: (-people[w], later[w], abs(w - middle), w))
        return week, [g for g, weeks in options.items() if week in weeks]

    def _why_alone(self, group: _Class, options: dict) -> str:
        """Why the class studies a module alone: how many people at most it
        could have met in one week (`options`: each class's possible weeks)."""
        wait = _weeks(self.settings.max_wait_weeks)
        best = max((sum(len(c.members) for c, weeks in options.items() if week in weeks)
                    for week in options[group]), default=len(group.members))
        people = "person reaches" if best == 1 else "people reach"
        return f"only {best} {people} it in the same week without waiting more than {wait}"

    def _result(self, sessions: dict, alone: dict) -> Schedule:
        """Sessions of at most `max_size` from each week's classes, in the
        order they run."""
        settings = self.settings
        numbered: list[tuple[str, int, list[str]]] = []
        why = {(name, module): text for (group, module), text in alone.items() for name in group.members}
        for (module, week), joining in sorted(sessions.items(), key=lambda item: (item[0][1], item[0][0])):
            names = [name for group in joining for name in group.members]
            taken, count = _split(len(names), settings.min_size, settings.max_size)
            for name in names[taken:]:
                why[name, module] = f"the sessions in week {week} were full"
            for index in range(count):
                numbered.append((module, week, names[index * taken // count:(index + 1) * taken // count]))
        session_of = {(name, module): i for i, (module, _, names) in enumerate(numbered) for name in names}
        placements = {}
        for group in self.classes:
            for name in group.members:
                placements[name] = tuple(
                    Placement(p.module, p.hours_by_week, session_of.get((name, p.module)))
                    for p in group.placed.placements)
        return Schedule(placements, tuple(Session(m, w, tuple(n)) for m, w, n in numbered), why)


@dataclass(eq=False)
class _Class:
    """People with one path and the same hours a week, scheduled as one."""

    person: _Person
    sequence: tuple[str, ...]
    solo_end: int
    solo_weeks: dict[str, int]  # module -> the week it starts in the class's solo plan
    members: list[str] = field(default_factory=list)
    pins: dict[str, int] = field(default_factory=dict)
    placed: _Placed | None = None
    # (module, delay) -> week -> how the class is placed with a session then, or None if it cannot
    tried: dict[tuple, dict[int, _Placed | None]] = field(default_factory=dict)
    soonest: dict[str, int] = field(default_factory=dict)  # module -> first week its prerequisites could be done
    latest: dict[str, int] = field(default_factory=dict)  # module -> last week it could start with no delay


def _split(people: int, smallest: int, largest: int) -> tuple[int, int]:
    """How many of `people` can be seated in sessions of `smallest` to
    `largest`, and in how many sessions (as few as possible); the rest, if
    any, are left over."""
    for taken in range(people, smallest - 1, -1):
        count = -(-taken // largest)
        if count * smallest <= taken:
            return taken, count
    return 0, 0


def _team_sequence(person: _Person, pace: Mapping[str, int], solo: Sequence[Placement]) -> tuple[str, ...]:
    """The person's modules in the order to start them in a team: a shared
    module, and what leads to it, when the team typically reaches it; their
    own modules when they would reach them alone; each module after its
    prerequisites. A slower learner keeps pace on what the team shares and
    catches up on the rest later."""
    own_week = {p.module: p.week for p in solo}
    position = {m: i for i, m in enumerate(person.order)}
    due: dict[str, float] = {}
    for module in reversed(person.order):  # dependants first
        weeks = [due[m] for m in person.needed_by.get(module, ())]
        if module in pace:
            weeks.append(pace[module])
        due[module] = min(weeks, default=float("inf"))
    rank = {m: (due[m] if due[m] != float("inf") else own_week[m], position[m]) for m in person.order}
    waiting = {m: len(person.prerequisites[m]) for m in person.order}
    ready = [(rank[m], m) for m in person.order if not waiting[m]]
    heapq.heapify(ready)
    sequence = []
    while ready:
        _, module = heapq.heappop(ready)
        sequence.append(module)
        for dependant in person.needed_by.get(module, ()):
            waiting[dependant] -= 1
            if not waiting[dependant]:
                heapq.heappush(ready, (rank[dependant], dependant))
    return tuple(sequence)


def _dependants(person: _Person, module: str) -> set[str]:
    """`module` and everything on the person's path that builds on it."""
    found, stack = {module}, [module]
    while stack:
        for dependant in person.needed_by.get(stack.pop(), ()):
            if dependant not in found:
                found.add(dependant)
                stack.append(dependant)
    return found
