"""The best group sessions for a small team, found with CP-SAT (OR-Tools),
and how far a schedule may be from the best possible.

What is chosen. As in the heuristic (`schedule._Team`), people with the same
path and hours a week form one class and are scheduled alike. For each class
and each shareable module on its path the model chooses a session week, or
alone.

The objective, maximised, in units of 1/`unit` hour:

    100 x (learner-hours taught in sessions) - (person-weeks of delay)

so a person-week of delay (finishing later than alone) costs 0.01
learner-hours: of two schedules that group the same hours, the one that
delays people less wins. `max_delay_weeks` bounds the delay.

The rules follow `_Person.place` (with the modules in learning order) closely
enough that it honours almost every solution, and loosely enough that every
schedule it gives is a solution. Per class and week t:
- hours: at most `hours_per_week` a week, the whole path by the last week
  allowed (alone plus `max_delay_weeks`), and no hours left unused while
  anything that can have started is unfinished;
- a module whose session, or a session of one of its prerequisites, is after
  week t has not started; everything a session in week t+1 needs is done;
- session modules take the hours first from their week on, the latest
  session first (so one is done only once the backlog of session hours is
  back to what was there before it), and a week's sessions start in path
  order, each only with hours left after the ones before it;
- a week with hours unused while a module with its prerequisites done waits
  for its later session is a week waited, at most `max_wait_weeks` each;
- a week's attendees of a module form k sessions of `min_size`..`max_size`
  people (k >= 0), split into balanced groups.
The solver's bound therefore bounds every schedule `place` gives in learning
order. A solution is placed with `place` and checked against the rules: a
session it cannot honour is dropped, then a session left too small; so every
schedule comes from the one placement function.

Solving. The heuristic's sessions, placed so, are the start. First, for up to
half the time, module by module: that module's sessions are chosen again with
every class's other sessions kept, each class placed by `place` alone on it
and in each week it could be in a session, and a small CP-SAT model picks the
best legal combination (exact for that choice, and `place` itself judges);
rounds go on while one improves. Then CP-SAT gets the rest on the whole
model, starting from the best so far, for better sessions or the proof that
there are none, and the bound. Last, a class still alone on a module joins a
session of it, or several form one, wherever `place` and the rules allow,
and those still alone are told why. The heuristic's schedule is kept if
nothing beats it. One worker, a fixed seed and limits on CP-SAT's
deterministic time, never the clock: one input gives one schedule, byte for
byte.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .schedule import CohortSettings, Placement, Schedule, Session, _Person, _Placed

# Teams up to this size are solved exactly inside `schedule()`: measured to
# be proven best within about two seconds on a 2-core machine, with this
# limit on CP-SAT's deterministic time (about 1.2 wall seconds each there)
# for the rare team that is not. The benchmark gives much more time.
MAX_CLASSES = 4
MAX_MODULES = 10
DETERMINISTIC_TIME = 1.5
# Teams up to this many classes get the heuristic's sessions chosen again
# module by module (`improve`), at most this many rounds: a few seconds for
# the 12-person sample team, which it takes from 84% to 87% of its
# shareable hours in groups. Counted in rounds, not time, so that one input
# gives one schedule.
MAX_IMPROVE_CLASSES = 16
IMPROVE_ROUNDS = 2
HINT_TIME = 5.0  # completing the heuristic's solution takes a small fraction of this
STEP_TIME = 2.0  # one module's sessions chosen again (usually proven best well within this)
SEED = 2027
DELAY_WEIGHT = 100  # learner-hours are worth this much more than person-weeks of delay


@dataclass(frozen=True)
class _Class:
    """People with one path and the same hours a week, scheduled as one."""

    person: _Person
    members: tuple[str, ...]
    solo_end: int  # last week alone


@dataclass(frozen=True)
class Problem:
    """A team as the exact solver sees it."""

    classes: tuple[_Class, ...]
    shareable: frozenset[str]  # modules at least `min_size` people take
    settings: CohortSettings
    unit: int  # hours are counted in units of 1/unit hour

    def ceiling(self) -> int:
        """The objective with every shareable hour taught in a group and no delay."""
        return DELAY_WEIGHT * sum(len(c.members) * c.person.hours[m]
                                  for c in self.classes for m in c.person.order if m in self.shareable)

    def small(self) -> bool:
        """Small enough to solve exactly within about two seconds."""
        return len(self.classes) <= MAX_CLASSES and len(self.shareable) <= MAX_MODULES

    def improvable(self) -> bool:
        """Small enough for `improve` within a few seconds."""
        return len(self.classes) <= MAX_IMPROVE_CLASSES


def problem(people: Sequence[_Person], settings: CohortSettings, solo: Mapping[str, Sequence[Placement]],
            unit: int) -> Problem:
    grouped: dict[tuple, list[_Person]] = {}
    for person in people:
        key = (person.order, person.capacity, tuple(sorted(person.prerequisites.items())))
        grouped.setdefault(key, []).append(person)
    classes = tuple(_Class(same[0], tuple(p.name for p in same),
                           max((p.end_week for p in solo[same[0].name]), default=0)) for same in grouped.values())
    takers: dict[str, int] = {}
    for person in people:
        for module in person.order:
            takers[module] = takers.get(module, 0) + 1
    return Problem(classes, frozenset(m for m, n in takers.items() if n >= settings.min_size), settings, unit)


def score(problem: Problem, result: Schedule) -> int:
    """The objective (see the module's docstring) of any team schedule."""
    units = {m: c.person.hours[m] for c in problem.classes for m in c.person.order}
    grouped = sum(units[s.module] * len(s.attendees) for s in result.sessions)
    delay = 0
    for group in problem.classes:
        for name in group.members:
            delay += max((p.end_week for p in result.placements[name]), default=0) - group.solo_end
    return DELAY_WEIGHT * grouped - problem.unit * delay


def solve(problem: Problem, greedy: Schedule, deterministic_time: float = DETERMINISTIC_TIME) -> Schedule:
    """The best schedule found within `deterministic_time`, starting from
    the heuristic's (`greedy`) and never worse than it, with `optimal` and
    `gap` from the solver's bound (see the module's docstring)."""
    if score(problem, greedy) == problem.ceiling():  # nothing left to gain
        return Schedule(greedy.placements, greedy.sessions, greedy.alone, solver="greedy", optimal=True, gap=0.0)
    from ortools.sat.python import cp_model  # a quarter of a second to import: only when a team is solved

    windows = [_windows(problem, group) for group in problem.classes]
    pins, placed = _cut(problem, _pins_of(problem, greedy))  # the heuristic's sessions, placed as ours
    # Each module's sessions chosen again with the others' kept, for up to half the time.
    pins, placed, used = _regroup_rounds(problem, windows, pins, placed, cp_model, deterministic_time / 2)
    # The whole model from the best so far, for the rest: better sessions or the proof, and the bound.
    whole = _Model(problem, cp_model.CpModel())
    used += whole.hint(pins, cp_model)
    solver = _solver(cp_model, max(deterministic_time - used, 0.0), interleave=True)
    status = solver.solve(whole.model)
    bound = problem.ceiling()
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bound = min(bound, int(solver.best_objective_bound + 1e-6))
        other = _cut(problem, whole.pins(solver))
        if _value(problem, *other) > _value(problem, pins, placed):
            pins, placed = other
    why = _fill(problem, windows, pins, placed)
    best, found = _schedule(problem, pins, placed, why), "cp-sat"
    if score(problem, best) <= score(problem, greedy):
        best, found = greedy, "greedy"
    value = score(problem, best)
    bound = max(bound, value)  # the heuristic's own order of study may place what the model does not cover
    gap = (bound - value) / bound if bound > 0 else 0.0
    return Schedule(best.placements, best.sessions, best.alone, solver=found,
                    optimal=status == cp_model.OPTIMAL and gap == 0.0, gap=gap)


def improve(problem: Problem, greedy: Schedule, rounds: int = IMPROVE_ROUNDS) -> Schedule:
    """The heuristic's schedule with each module's sessions chosen again,
    module by module, for at most `rounds` rounds (as `solve` starts), and
    never worse than it; no bound is computed, so `gap` stays unknown."""
    if score(problem, greedy) == problem.ceiling():  # nothing left to gain
        return Schedule(greedy.placements, greedy.sessions, greedy.alone, solver="greedy", optimal=True, gap=0.0)
    from ortools.sat.python import cp_model

    windows = [_windows(problem, group) for group in problem.classes]
    pins, placed = _cut(problem, _pins_of(problem, greedy))
    pins, placed, _ = _regroup_rounds(problem, windows, pins, placed, cp_model, rounds * len(problem.shareable)
                                      * STEP_TIME, rounds)
    best = _schedule(problem, pins, placed, _fill(problem, windows, pins, placed))
    if score(problem, best) <= score(problem, greedy):
        return greedy
    return Schedule(best.placements, best.sessions, best.alone, solver="cp-sat", optimal=False, gap=None)


def _regroup_rounds(problem: Problem, windows, pins: list[dict[str, int]], placed: list[_Placed], cp_model,
                    deterministic_time: float, rounds: int | None = None):
    """Rounds of `_regroup` over every shareable module while one improves,
    within `deterministic_time` and at most `rounds` rounds; returns the
    pins, the placements and the deterministic time used."""
    used, improved, done = 0.0, True, 0
    while improved and used < deterministic_time and (rounds is None or done < rounds):
        improved, done = False, done + 1
        for module in sorted(problem.shareable):
            if used >= deterministic_time:
                break
            before = _value(problem, pins, placed)
            pins, placed, spent = _regroup(problem, windows, pins, placed, module, cp_model, deterministic_time - used)
            used += spent
            improved |= _value(problem, pins, placed) > before
    return pins, placed, used


def _solver(cp_model, deterministic_time: float, interleave: bool):
    """One worker, a fixed seed and a limit on work, not time: one answer
    for one input. Interleaving runs CP-SAT's portfolio (with large
    neighbourhood search) in turns on that one worker."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.interleave_search = interleave
    solver.parameters.random_seed = SEED
    solver.parameters.max_deterministic_time = deterministic_time
    return solver


def _pins_of(problem: Problem, result: Schedule) -> list[dict[str, int]]:
    """Each class's session weeks in a schedule."""
    return [{p.module: p.week for p in result.placements[group.members[0]] if p.session is not None}
            for group in problem.classes]


def _ceil_div(value: int, by: int) -> int:
    return -(-value // by)


def _windows(problem: Problem, group: _Class) -> dict[str, tuple[int, int]]:
    """For each shareable module on the class's path, the first and last
    week a session of it could be: after its prerequisites could be done,
    early enough to finish what builds on it in time."""
    person = group.person
    last_week = group.solo_end + problem.settings.max_delay_weeks
    below = _descendants(person)
    windows = {}
    for module in person.order:
        if module in problem.shareable:
            before = sum(person.hours[a] for a in person.ancestors(module))
            after = person.hours[module] + sum(person.hours[d] for d in below[module])
            first, last = 1 + _ceil_div(before, person.capacity), last_week + 1 - _ceil_div(after, person.capacity)
            if first <= last:
                windows[module] = (first, last)
    return windows


def _descendants(person: _Person) -> dict[str, set[str]]:
    """For each module on the path, the modules on it that build on it."""
    below: dict[str, set[str]] = {m: set() for m in person.order}
    for module in person.order:
        for ancestor in person.ancestors(module):
            below[ancestor].add(module)
    return below


class _Model:
    """The CP-SAT model of the module's docstring, for one problem.

    Literals that are always false are None. Per class and week: `after`
    (a session is after week t), `by` (a session is in week t or before),
    `held` (a module cannot have started: a session of it or of one of its
    prerequisites is after week t) and `due` (a module must be done: a
    session that needs it is by week t+1), the last two built along the
    prerequisite graph."""

    def __init__(self, problem: Problem, model):
        self.problem = problem
        self.model = model
        settings = problem.settings
        windows = [_windows(problem, group) for group in problem.classes]
        # No session in a week fewer than min_size people could come to.
        reach: dict[tuple[str, int], int] = {}
        for index, group in enumerate(problem.classes):
            for module, (first, last) in windows[index].items():
                for week in range(first, last + 1):
                    reach[module, week] = reach.get((module, week), 0) + len(group.members)
        # Per class, module -> week -> 1 when in a session that week.
        self.y: list[dict[str, dict[int, object]]] = []
        coming: dict[tuple[str, int], list] = {}
        for index, group in enumerate(problem.classes):
            options: dict[str, dict[int, object]] = {}
            for module, (first, last) in windows[index].items():
                for week in range(first, last + 1):
                    if reach[module, week] >= settings.min_size:
                        var = options.setdefault(module, {})[week] = model.new_bool_var(f"y{index}_{module}_{week}")
                        coming.setdefault((module, week), []).append(len(group.members) * var)
            self.y.append(options)
        for (module, week), people in coming.items():
            count = model.new_int_var(0, _ceil_div(reach[module, week], settings.min_size), "")
            model.add(sum(people) >= settings.min_size * count)
            model.add(sum(people) <= settings.max_size * count)
        self.ors: dict[tuple[int, ...], object] = {}
        grouped, delay = 0, 0
        for index, group in enumerate(problem.classes):
            delay += len(group.members) * self._rules(group, self.y[index])
            grouped += sum(len(group.members) * group.person.hours[module] * var
                           for module, weeks in self.y[index].items() for var in weeks.values())
        model.maximize(DELAY_WEIGHT * grouped - problem.unit * delay)

    def _or(self, literals):
        """A literal true when any of `literals` is (None: never)."""
        unique = {literal.index: literal for literal in literals if literal is not None}
        if len(unique) <= 1:
            return next(iter(unique.values()), None)
        key = tuple(sorted(unique))
        if key not in self.ors:
            self.ors[key] = self.model.new_bool_var("")
            self.model.add_max_equality(self.ors[key], list(unique.values()))
        return self.ors[key]

    def _and(self, one, other):
        """A literal true when both are."""
        var = self.model.new_bool_var("")
        self.model.add_bool_and([one, other]).only_enforce_if(var)
        self.model.add_bool_or([one.Not(), other.Not(), var])
        return var

    def _rules(self, group: _Class, sessions: dict[str, dict[int, object]]):
        """The rules for one class; returns its delay in weeks."""
        model, settings = self.model, self.problem.settings
        person = group.person
        cap, total = person.capacity, sum(person.hours.values())
        last_week = group.solo_end + settings.max_delay_weeks
        weeks = range(1, last_week + 1)
        after: dict[str, dict[int, object]] = {}
        by: dict[str, dict[int, object]] = {}
        start, chosen = {}, {}
        for module, options in sessions.items():
            first, last = min(options), max(options)
            after[module] = {last: None}
            for t in range(last - 1, first - 2, -1):
                after[module][t] = model.new_bool_var("")
                step = (after[module][t + 1], options.get(t + 1))
                model.add(after[module][t] == sum(v for v in step if v is not None))
            chosen[module] = after[module][first - 1]
            by[module] = {first - 1: None}
            for t in range(first, last + 1):
                by[module][t] = model.new_bool_var("")
                step = (by[module][t - 1], options.get(t))
                model.add(by[module][t] == sum(v for v in step if v is not None))
            start[module] = model.new_int_var(0, last, "")
            model.add(start[module] == sum(week * var for week, var in options.items()))

        def later(module: str, t: int):
            if module not in after:
                return None
            span = after[module]
            return span.get(t, chosen[module] if t < min(span) else None)

        def soon(module: str, t: int):
            if module not in by:
                return None
            span = by[module]
            return span.get(t, chosen[module] if t > max(span) else None)

        waiting: dict[str, dict[int, object]] = {}  # a prerequisite is held back
        held: dict[str, dict[int, object]] = {}
        for module in person.order:
            waiting[module] = {t: self._or(held[p][t] for p in person.prerequisites[module]) for t in weeks}
            held[module] = {t: self._or((waiting[module][t], later(module, t))) for t in weeks}
        due: dict[str, dict[int, object]] = {}
        for module in reversed(person.order):
            dependants = person.needed_by.get(module, ())
            due[module] = {t: self._or([due[d][t] for d in dependants] + [soon(d, t + 1) for d in dependants])
                           for t in weeks}
        # Hours done by the end of week t: all, and `early`, of modules in sessions (`place`
        # studies those first from their week on, so they take the hours while any is unfinished).
        done = [0] + [model.new_int_var(0, total, "") for _ in weeks]
        early = [0] + [model.new_int_var(0, total, "") for _ in weeks]
        model.add(done[last_week] == total)
        solo_hours = total - sum(person.hours[m] * chosen[m] for m in sessions)
        backlog = [0] + [model.new_int_var(0, total, "") for _ in weeks]  # session hours started, not done
        must: dict[str, dict[int, object]] = {m: {} for m in sessions}  # session module due by week t
        ready = [0]  # hours whose modules can have started by the end of week t
        for t in weeks:
            model.add(done[t] <= done[t - 1] + cap)
            model.add(early[t] <= early[t - 1] + cap)
            model.add(done[t] - early[t] >= done[t - 1] - early[t - 1])
            started = sum(person.hours[m] * soon(m, t) for m in sessions if soon(m, t) is not None)
            model.add(early[t] <= started)
            model.add(backlog[t] == started - early[t])
            free = model.new_bool_var("")
            model.add(early[t] >= started).only_enforce_if(free)
            model.add(early[t] >= early[t - 1] + cap).only_enforce_if(free.Not())
            ready.append(total - sum(person.hours[m] * held[m][t] for m in person.order if held[m][t] is not None))
            model.add(done[t] <= ready[t])
            alone_held, alone_due, session_due = [], [], []
            for m in person.order:
                if m not in sessions:
                    alone_held.append(person.hours[m] * held[m][t] if held[m][t] is not None else 0)
                    alone_due.append(person.hours[m] * due[m][t] if due[m][t] is not None else 0)
                    continue
                if waiting[m][t] is not None:
                    alone_held.append(person.hours[m] * self._and(waiting[m][t], chosen[m].Not()))
                if due[m][t] is not None:
                    alone_due.append(person.hours[m] * self._and(due[m][t], chosen[m].Not()))
                    must[m][t] = self._and(due[m][t], chosen[m])
                    session_due.append(person.hours[m] * must[m][t])
            model.add(done[t] - early[t] <= solo_hours - sum(alone_held))
            model.add(done[t] - early[t] >= sum(alone_due))
            model.add(early[t] >= sum(session_due))
        # `place` starts a week's sessions in the order of the path, each only with hours left after
        # the ones before it, and studies them ahead of everything started before: the latest
        # sessions first, then older sessions, then other modules. So a session module is done once
        # the backlog is back to what was there before its week plus that week's later sessions.
        rank = {m: i for i, m in enumerate(person.order)}
        for module, options in sessions.items():
            below = model.new_int_var(0, total, "")
            for week, var in options.items():
                same = [(person.hours[m] * sessions[m][week], rank[m] < rank[module]) for m in sessions
                        if m != module and week in sessions[m]]
                model.add(sum(h for h, earlier in same if earlier) < cap).only_enforce_if(var)
                later_ones = sum(h for h, earlier in same if not earlier)
                model.add(below <= backlog[week - 1] + later_ones).only_enforce_if(var)
            finished = None
            for t in range(min(options), max(must[module], default=0) + 1):
                now = model.new_bool_var("")
                model.add_implication(now, soon(module, t))
                enforce = [now] + ([finished.Not()] if finished is not None else [])
                model.add(backlog[t] <= below).only_enforce_if(enforce)
                if t in must[module]:
                    model.add_implication(must[module][t], now)
                finished = now
        # Not done by the end of week t (None: certainly not, the path cannot be done yet).
        unfinished = {t: model.new_bool_var("") for t in weeks if cap * t >= total}
        for t, var in unfinished.items():
            model.add(done[t] >= total).only_enforce_if(var.Not())
        # `place` uses every hour it can: a week is idle (hours unused before the path is done)
        # only when everything that can have started is done.
        latest = max((max(options) for options in sessions.values()), default=0)
        idle = {}
        for t in weeks:
            busy = [unfinished[t]] if t in unfinished else []
            if t < latest:
                idle[t] = model.new_bool_var("")
                model.add(done[t] >= ready[t]).only_enforce_if(idle[t])
                busy.append(idle[t].Not())
            model.add(done[t] >= done[t - 1] + cap).only_enforce_if(busy)
        # An idle week while a module's prerequisites are released and its session is to come: waited.
        for module, options in sessions.items():
            ready_by = max(1, _ceil_div(sum(person.hours[a] for a in person.ancestors(module)), cap))
            waited = []
            for t in range(ready_by, max(options)):
                var = model.new_bool_var("")
                clause = [idle[t].Not(), later(module, t).Not(), var]
                if waiting[module][t] is not None:
                    clause.append(waiting[module][t])
                model.add_bool_or(clause)
                waited.append(var)
            if len(waited) > settings.max_wait_weeks:
                model.add(sum(waited) <= settings.max_wait_weeks)
        # From a session to a later one that builds on it: time for everything in between.
        descendants = _descendants(person)
        for module in sessions:
            for other in sessions:
                if other in descendants[module]:
                    between = (descendants[module] | {module}) & person.ancestors(other)
                    gap = _ceil_div(sum(person.hours[m] for m in between), cap)
                    model.add(start[other] >= start[module] + gap).only_enforce_if([chosen[module], chosen[other]])
        return sum(unfinished.get(t, 1) for t in range(group.solo_end, last_week))

    def hint(self, pins: list[dict[str, int]], cp_model) -> float:
        """Start from these sessions, as a complete solution (found by
        solving the model with them fixed), so the solver starts from it;
        returns the deterministic time that took."""
        chosen = [(var, pins[index].get(module) == week) for index, options in enumerate(self.y)
                  for module, weeks in options.items() for week, var in weeks.items()]
        fixed = self.model.clone()
        for var, value in chosen:
            fixed.add(fixed.get_bool_var_from_proto_index(var.index) == value)
        solver = _solver(cp_model, HINT_TIME, interleave=False)
        if solver.solve(fixed) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            for index, value in enumerate(solver.response_proto.solution):
                self.model.add_hint(self.model.get_int_var_from_proto_index(index), value)
        else:  # not a solution of the model (never for sessions `place` gives): the sessions alone
            for var, value in chosen:
                self.model.add_hint(var, value)
        return solver.deterministic_time

    def pins(self, solver) -> list[dict[str, int]]:
        """Each class's session weeks in the solver's solution."""
        return [{module: week for module, weeks in options.items() for week, var in weeks.items()
                 if solver.boolean_value(var)} for options in self.y]


def _cut(problem: Problem, pins: list[dict[str, int]]) -> tuple[list[dict[str, int]], list[_Placed]]:
    """Each class placed by `place` with these session weeks, keeping only
    what it honours within the rules, and then only the sessions still
    large enough."""
    settings = problem.settings
    pins = [dict(p) for p in pins]
    placed: list[_Placed | None] = [None] * len(problem.classes)
    while True:
        for index, group in enumerate(problem.classes):
            while placed[index] is None:
                result = group.person.place(group.person.order, pins[index])
                drop = _broken(result, group, pins[index], settings)
                if not drop:
                    placed[index] = result
                for module in drop:
                    del pins[index][module]
        size = _sizes(problem, pins)
        small = {key for key, count in size.items() if not _legal(count, settings)}
        if not small:
            return pins, placed
        for index in range(len(problem.classes)):
            gone = [m for m, w in pins[index].items() if (m, w) in small]
            for module in gone:
                del pins[index][module]
            if gone:
                placed[index] = None


def _value(problem: Problem, pins: list[dict[str, int]], placed: list[_Placed]) -> int:
    """`score` of the classes so placed."""
    grouped = delay = 0
    for index, group in enumerate(problem.classes):
        grouped += len(group.members) * sum(group.person.hours[m] for m in pins[index])
        delay += len(group.members) * (placed[index].weeks - group.solo_end)
    return DELAY_WEIGHT * grouped - problem.unit * delay


def _regroup(problem: Problem, windows, pins: list[dict[str, int]], placed: list[_Placed], module: str, cp_model,
             deterministic_time: float) -> tuple[list[dict[str, int]], list[_Placed], float]:
    """The sessions of `module` chosen again, every class's other sessions
    kept: each class that takes it is placed by `place` alone on it and in
    each week of its window, and CP-SAT picks the best of those that keep
    the rules, in sessions of legal sizes. Exact for this choice. Returns
    the new pins and placements and the deterministic time used."""
    settings = problem.settings
    options: dict[int, dict[int | None, _Placed]] = {}
    for index, group in enumerate(problem.classes):
        if module not in group.person.hours:
            continue
        others = {m: w for m, w in pins[index].items() if m != module}
        first, last = windows[index].get(module, (1, 0))
        options[index] = {}
        now = [pins[index][module]] if module in pins[index] else []
        for week in [None, *sorted({*range(first, last + 1), *now})]:
            trial = others if week is None else {**others, module: week}
            result = placed[index] if trial == pins[index] else group.person.place(group.person.order, trial)
            if not _broken(result, group, trial, settings):
                options[index][week] = result
    model = cp_model.CpModel()
    choose = {(i, week): model.new_bool_var("") for i, mine in options.items() for week in mine}
    for i, mine in options.items():
        model.add_exactly_one(choose[i, week] for week in mine)
        model.add_hint(choose[i, pins[i].get(module)], True)
    for week in sorted({w for mine in options.values() for w in mine if w is not None}):
        coming = [(len(problem.classes[i].members), choose[i, week]) for i in options if week in options[i]]
        most = sum(n for n, _ in coming)
        count = model.new_int_var(0, most // settings.min_size, "")
        model.add(sum(n * var for n, var in coming) >= settings.min_size * count)
        model.add(sum(n * var for n, var in coming) <= settings.max_size * count)
    value = 0
    for (i, week), var in choose.items():
        group = problem.classes[i]
        grouped = group.person.hours[module] if week is not None else 0
        delay = options[i][week].weeks - group.solo_end
        value += len(group.members) * (DELAY_WEIGHT * grouped - problem.unit * delay) * var
    model.maximize(value)
    solver = _solver(cp_model, min(deterministic_time, STEP_TIME), interleave=False)
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return pins, placed, solver.deterministic_time
    pins, placed = [dict(p) for p in pins], list(placed)
    for (i, week), var in choose.items():
        if solver.boolean_value(var):
            pins[i].pop(module, None)
            if week is not None:
                pins[i][module] = week
            placed[i] = options[i][week]
    return pins, placed, solver.deterministic_time


def _broken(placed: _Placed, group: _Class, pins: dict[str, int], settings: CohortSettings) -> list[str]:
    """Sessions to drop so that the class keeps the rules: those it missed,
    else those it waits too long for, else, if it finishes too late, its
    latest."""
    if placed.missed:
        return sorted(placed.missed)
    waited = sorted(m for m, weeks in placed.waits.items() if weeks > settings.max_wait_weeks)
    if waited:
        return waited
    if placed.weeks > group.solo_end + settings.max_delay_weeks and pins:
        return [max(pins, key=lambda m: (pins[m], m))]
    return []


def _sizes(problem: Problem, pins: list[dict[str, int]]) -> dict[tuple[str, int], int]:
    """People in each module's sessions of each week."""
    size: dict[tuple[str, int], int] = {}
    for index, group in enumerate(problem.classes):
        for module, week in pins[index].items():
            size[module, week] = size.get((module, week), 0) + len(group.members)
    return size


def _legal(size: int, settings: CohortSettings) -> bool:
    """Whether `size` people split into sessions of min_size..max_size."""
    return size >= settings.min_size * _ceil_div(size, settings.max_size)


def _fill(problem: Problem, windows, pins: list[dict[str, int]], placed: list[_Placed]) -> dict[tuple[int, str], str]:
    """Classes that study a shareable module alone join a week's session of
    it, or form a new one where the most of them can come, wherever the
    rules allow (a search cut short by the time limit may leave such);
    returns why each class still alone is."""
    settings = problem.settings
    why = {}
    for module in sorted(problem.shareable):
        left = [i for i, group in enumerate(problem.classes) if module in group.person.hours and module not in pins[i]]
        options = {i: _possible(problem.classes[i], pins[i], module, windows[i].get(module), settings) for i in left}
        while True:
            left = [i for i in left if module not in pins[i]]
            size = _sizes(problem, pins)
            join = [(i, week) for i in left for week in sorted(options[i]) if (module, week) in size
                    and _legal(size[module, week] + len(problem.classes[i].members), settings)]
            if join:
                index, week = join[0]
                pins[index][module], placed[index] = week, options[index][week]
                continue
            people: dict[int, int] = {}
            for i in left:
                for week in options[i]:
                    people[week] = people.get(week, 0) + len(problem.classes[i].members)
            week = min(people, key=lambda w: (-people[w], w), default=None)
            if week is None or not _legal(people[week], settings):
                break
            for i in left:
                if week in options[i]:
                    pins[i][module], placed[i] = week, options[i][week]
        for i in left:
            best = max((people[w] for w in options[i]), default=len(problem.classes[i].members))
            reach = "person reaches" if best == 1 else "people reach"
            why[i, module] = (f"only {best} {reach} it in the same week without waiting more than "
                              f"{_weeks(settings.max_wait_weeks)} or finishing more than "
                              f"{_weeks(settings.max_delay_weeks)} later than alone")
    return why


def _possible(group: _Class, pins: dict[str, int], module: str, window, settings) -> dict[int, _Placed]:
    """The weeks the class could take `module` in a session, keeping its
    other sessions and the rules, each with how it would then be placed."""
    possible = {}
    for week in range(window[0], window[1] + 1) if window else ():
        trial = {**pins, module: week}
        placed = group.person.place(group.person.order, trial)
        if not _broken(placed, group, trial, settings):
            possible[week] = placed
    return possible


def _weeks(count: int) -> str:
    return f"{count} week{'s' if count != 1 else ''}"


def _schedule(problem: Problem, pins: list[dict[str, int]], placed: list[_Placed], alone) -> Schedule:
    """The schedule of the placed classes: each week's attendees of a
    module in balanced sessions of at most `max_size`, in the order they run."""
    attending: dict[tuple[str, int], list[str]] = {}
    for index, group in enumerate(problem.classes):
        for module, week in pins[index].items():
            attending.setdefault((module, week), []).extend(group.members)
    numbered: list[tuple[str, int, list[str]]] = []
    for (module, week), names in sorted(attending.items(), key=lambda item: (item[0][1], item[0][0])):
        count = _ceil_div(len(names), problem.settings.max_size)
        for part in range(count):
            numbered.append((module, week, names[part * len(names) // count:(part + 1) * len(names) // count]))
    session_of = {(name, module): i for i, (module, _, names) in enumerate(numbered) for name in names}
    placements = {}
    for index, group in enumerate(problem.classes):
        for name in group.members:
            placements[name] = tuple(Placement(p.module, p.hours_by_week, session_of.get((name, p.module)))
                                     for p in placed[index].placements)
    why = {(name, module): text for (index, module), text in alone.items() for name in problem.classes[index].members}
    return Schedule(placements, tuple(Session(m, w, tuple(n)) for m, w, n in numbered), why)
