"""The exact team scheduler (CP-SAT): never worse than the heuristic, the
true optimum where every choice can be tried, every hard rule kept, and one
input giving one schedule."""

import itertools
import json
import random
from collections import Counter
from fractions import Fraction

import pytest
import yaml

from curriculum import exact
from curriculum.cli import main
from curriculum.schedule import CohortSettings, Learner, _Person, schedule

from .conftest import SMALL

# Small enough to try every choice of session weeks: three classes, four shareable modules.
HOURS = {"a": 2, "b": 2, "c": 2, "d": 3}
PREREQUISITES = {"b": ("a",), "d": ("b", "c")}
LEARNERS = [Learner("Ana", ("a", "b", "c", "d"), 3), Learner("Ben", ("a", "b", "c", "d"), 2),
            Learner("Cy", ("a", "c", "d"), 4)]
RULES = CohortSettings(min_size=2, max_size=3, max_wait_weeks=1, max_delay_weeks=1)


def grouped(result, hours) -> int:
    """Learner-hours taught in sessions."""
    return sum(hours[s.module] * len(s.attendees) for s in result.sessions)


def objective(result, hours, solo) -> int:
    """The exact solver's objective (curriculum/exact.py), in hours: 100 x
    grouped learner-hours - person-weeks of delay."""
    delay = sum(max(p.end_week for p in placements) - max(p.end_week for p in solo[name])
                for name, placements in result.placements.items())
    return 100 * grouped(result, hours) - delay


def legal(size: int, rules: CohortSettings) -> bool:
    """`size` people split into sessions of min_size..max_size."""
    return any(k * rules.min_size <= size <= k * rules.max_size for k in range(1, size + 1))


def brute_force(learners, hours, prerequisites, rules) -> int:
    """The best objective over every choice of session weeks for every
    person (each placed by the one placement function, in learning order),
    keeping the rules."""
    solo = schedule(learners, hours, prerequisites).placements
    takers = Counter(m for learner in learners for m in learner.order)
    choices = []
    for learner in learners:
        person = _Person(learner, hours, learner.hours_per_week, 1, prerequisites)
        solo_end = max(p.end_week for p in solo[learner.name])
        shared = [m for m in learner.order if takers[m] >= rules.min_size]
        mine = []
        for weeks in itertools.product([None, *range(1, solo_end + rules.max_delay_weeks + 1)], repeat=len(shared)):
            pins = {m: w for m, w in zip(shared, weeks) if w}
            placed = person.place(learner.order, pins)
            if (not placed.missed and placed.weeks <= solo_end + rules.max_delay_weeks
                    and all(n <= rules.max_wait_weeks for n in placed.waits.values())):
                value = 100 * sum(hours[m] for m in pins) - (placed.weeks - solo_end)
                mine.append((pins, value))
        choices.append(mine)
    best = None
    for combination in itertools.product(*choices):
        sizes = Counter((m, w) for pins, _ in combination for m, w in pins.items())
        if all(legal(n, rules) for n in sizes.values()):
            value = sum(v for _, v in combination)
            best = value if best is None else max(best, value)
    return best


def check_rules(learners, hours, prerequisites, rules, result, solo) -> None:
    """Every hard rule, read from the placements."""
    by_name = {learner.name: learner for learner in learners}
    weekly: dict[str, Counter] = {}
    at: dict[str, dict] = {}
    for name, placements in result.placements.items():
        learner = by_name[name]
        assert [p.module for p in placements] == list(learner.order)
        at[name] = {p.module: p for p in placements}
        weekly[name] = Counter()
        for p in placements:
            assert sum(h for _, h in p.hours_by_week) == Fraction(repr(float(hours[p.module])))
            for week, h in p.hours_by_week:
                weekly[name][week] += h
            for q in prerequisites.get(p.module, ()):
                if q in at[name]:  # a module starts no earlier than its prerequisites end
                    assert at[name][q].end_week <= p.week, (name, p.module, q)
        assert all(h <= Fraction(repr(float(learner.hours_per_week))) for h in weekly[name].values()), name
        delay = max(p.end_week for p in placements) - max(p.end_week for p in solo[name])
        assert 0 <= delay <= rules.max_delay_weeks, name
    for index, session in enumerate(result.sessions):
        assert rules.min_size <= len(session.attendees) <= rules.max_size
        for name in session.attendees:
            placed = at[name][session.module]
            assert (placed.week, placed.session) == (session.week, index)
            before = [at[name][q] for q in prerequisites.get(session.module, ()) if q in at[name]]
            assert all(q.end_week < session.week for q in before), (name, session.module)
            # Weeks with hours unused while the module was ready and waiting for its session.
            ready = max((q.end_week for q in before), default=1)
            full = Fraction(repr(float(by_name[name].hours_per_week)))
            waited = sum(1 for week in range(ready, session.week) if weekly[name][week] < full)
            assert waited <= rules.max_wait_weeks, (name, session.module, waited)
    attending = Counter((name, s.module) for s in result.sessions for name in s.attendees)
    assert all(n == 1 for n in attending.values())
    assert {(n, p.module) for n, ps in result.placements.items() for p in ps if p.session is not None} == set(attending)


def random_team(seed: int, modules: int, people: int):
    """A random catalog (a prerequisite DAG, 1-5 hours a module) and team
    (paths closed under prerequisites, 2-6 hours a week)."""
    rng = random.Random(seed)
    ids = [f"m{i}" for i in range(modules)]
    hours = {m: rng.choice([1, 2, 2, 3, 4, 5]) for m in ids}
    prerequisites = {m: tuple(sorted(rng.sample(ids[:i], min(i, rng.choice([0, 1, 1, 2]))))) for i, m in enumerate(ids)}
    learners = []
    for k in range(people):
        need, stack = set(), rng.sample(ids, rng.randint(modules // 2, modules))
        while stack:
            module = stack.pop()
            if module not in need:
                need.add(module)
                stack.extend(prerequisites[module])
        learners.append(Learner(f"p{k}", tuple(m for m in ids if m in need), rng.choice([2, 3, 4, 5, 6])))
    return learners, hours, prerequisites


def test_exact_equals_the_brute_force_optimum_and_beats_the_heuristic():
    solo = schedule(LEARNERS, HOURS, PREREQUISITES).placements
    greedy = schedule(LEARNERS, HOURS, PREREQUISITES, RULES, solo, solver="greedy")
    best = schedule(LEARNERS, HOURS, PREREQUISITES, RULES, solo)  # small enough: solved exactly
    assert (best.solver, best.optimal, best.gap) == ("cp-sat", True, 0.0)
    assert objective(best, HOURS, solo) == brute_force(LEARNERS, HOURS, PREREQUISITES, RULES)
    assert grouped(best, HOURS) > grouped(greedy, HOURS)
    check_rules(LEARNERS, HOURS, PREREQUISITES, RULES, best, solo)


@pytest.mark.parametrize("seed, modules, people", [(0, 6, 4), (1, 6, 4), (2, 8, 4), (3, 8, 6), (4, 10, 4),
                                                   (5, 10, 6), (6, 12, 5), (7, 12, 8)])
def test_never_worse_than_the_heuristic_and_every_rule_kept(seed, modules, people):
    learners, hours, prerequisites = random_team(seed, modules, people)
    rules = CohortSettings()
    solo = schedule(learners, hours, prerequisites).placements
    greedy = schedule(learners, hours, prerequisites, rules, solo, solver="greedy")
    best = schedule(learners, hours, prerequisites, rules, solo, solver="cp-sat", deterministic_time=1.0)
    assert objective(best, hours, solo) >= objective(greedy, hours, solo)
    assert grouped(best, hours) >= grouped(greedy, hours)
    assert best.solver in ("cp-sat", "greedy") and 0.0 <= best.gap <= 1.0
    assert not best.optimal or best.gap == 0.0
    for result in (greedy, best):
        check_rules(learners, hours, prerequisites, rules, result, solo)


def test_a_solution_place_cannot_honour_is_cut_back_to_one_it_can():
    # The first class cannot take "d" in week 2 (its prerequisites take three weeks); the
    # others alone make a session too small, so it goes too.
    learners, hours, prerequisites, rules = LEARNERS, HOURS, PREREQUISITES, RULES
    solo = schedule(learners, hours, prerequisites).placements
    people = [_Person(learner, hours, learner.hours_per_week, 1, prerequisites) for learner in learners]
    problem = exact.problem(people, rules, solo, 1)
    pins, placed = exact._cut(problem, [{"d": 2}, {"d": 2}, {"d": 2}])
    assert pins == [{}, {}, {}]
    result = exact._schedule(problem, pins, placed, {})
    check_rules(learners, hours, prerequisites, rules, result, solo)
    assert all(s.module != "d" or s.week != 2 for s in result.sessions)


@pytest.mark.parametrize("seed", range(12))
def test_the_model_admits_every_schedule_place_gives(seed):
    # The model relaxes `place`: sessions it places within the rules are a
    # solution, at least as good as placed, so the solver's bound is a bound.
    from ortools.sat.python import cp_model

    learners, hours, prerequisites = random_team(seed, 8 + seed % 5, 4 + seed % 4)
    solo = schedule(learners, hours, prerequisites).placements
    people = [_Person(learner, hours, learner.hours_per_week, 1, prerequisites) for learner in learners]
    problem = exact.problem(people, CohortSettings(min_size=2 + seed % 2, max_wait_weeks=seed % 3), solo, 1)
    rng = random.Random(seed)
    wanted = [{m: rng.randint(1, group.solo_end) for m in group.person.order if m in problem.shareable
               and rng.random() < 0.6} for group in problem.classes]
    pins, placed = exact._cut(problem, wanted)
    exact._fill(problem, [exact._windows(problem, group) for group in problem.classes], pins, placed)
    assert any(pins)
    model = exact._Model(problem, cp_model.CpModel())
    for index, options in enumerate(model.y):
        for module, weeks in options.items():
            for week, var in weeks.items():
                model.model.add(var == (pins[index].get(module) == week))
    solver = exact._solver(cp_model, 10.0, interleave=False)
    assert solver.solve(model.model) == cp_model.OPTIMAL
    assert solver.objective_value >= exact._value(problem, pins, placed)


def test_same_input_same_schedule():
    learners, hours, prerequisites = random_team(5, 10, 6)
    solo = schedule(learners, hours, prerequisites).placements
    runs = [schedule(learners, hours, prerequisites, CohortSettings(), solo, solver="cp-sat", deterministic_time=1.0)
            for _ in range(2)]
    assert runs[0] == runs[1]


def test_the_solver_is_chosen_by_team_size(monkeypatch):
    solo = schedule(LEARNERS, HOURS, PREREQUISITES).placements
    assert schedule(LEARNERS, HOURS, PREREQUISITES, RULES, solo).solver == "cp-sat"
    monkeypatch.setattr(exact, "MAX_CLASSES", 2)  # three classes: now too many
    result = schedule(LEARNERS, HOURS, PREREQUISITES, RULES, solo)
    assert (result.solver, result.optimal, result.gap) == ("greedy", False, None)


def test_team_json_says_which_solver_and_is_the_same_byte_for_byte(catalog_dir, tmp_path, capsys):
    small = catalog_dir(SMALL, name="small")
    team = {"team": "Risk", "company_size": "medium", "start": "2027-01-11",
            "members": [{"name": "Ana", "role": "ml-engineer", "hours_per_week": 3},
                        {"name": "Ben", "role": "ml-engineer", "hours_per_week": 5},
                        {"name": "Cy", "role": "software-engineer", "hours_per_week": 4},
                        {"name": "Di", "role": "ml-researcher", "hours_per_week": 6}]}
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(team, sort_keys=False), encoding="utf-8")
    outputs = []
    for _ in range(2):
        assert main(["-q", "team", str(path), "--modules", str(small), "--format", "json", "-o", "-"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    summary = json.loads(outputs[0])["schedule"]
    assert (summary["solver"], summary["optimal"], summary["gap"]) in {("cp-sat", True, 0.0), ("greedy", True, 0.0)}
