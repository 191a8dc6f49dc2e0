"""Re-plan a team from progress: what is done stays where it happened, the
rest is scheduled again from the as-of week by the same team scheduler, and
each member is measured against a baseline (an earlier plan).

Rules: done and tested-out modules keep the week of their date; modules
reported in progress go first where their prerequisites allow (with all
their hours still to do: how far along they are is not reported); nothing
new starts before the as-of week; sessions held before the as-of week stay
in the record as they were, and sessions for what remains are formed again.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from .errors import CurriculumError
from .limits import MAX_HOURS_PER_WEEK, MAX_WEEKS
from .model import FINISHED, Catalog, Cohort, MemberProgress, Team, TeamPlan, week_of
from .plan import module_hours, prerequisites_of
from .progress import NOT_DONE, Progress
from .schedule import Learner, Placement, Schedule, Session, schedule
from .yamlread import read_json

AT_RISK_WEEKS = 4  # a forecast this many weeks past the baseline's end is at risk


@dataclass(frozen=True)
class Baseline:
    """The plan progress is measured against."""

    source: str  # where it came from, for messages
    hours_by_week: dict[str, dict[int, float]]  # member name -> week -> study hours planned
    end_weeks: dict[str, int]  # member name -> last week planned
    weeks: dict[str, dict[str, tuple[int, int]]]  # member name -> module id -> (first week, last week)
    sessions: tuple[Cohort, ...]


def baseline_of(planned: TeamPlan, source: str = "the plan without progress") -> Baseline:
    hours: dict[str, dict[int, float]] = {}
    for member, plan in planned.plans:
        weekly = hours[member.name] = {}
        for step in plan.steps:
            for week, amount in step.hours_by_week:
                weekly[week] = weekly.get(week, 0.0) + amount
    return Baseline(
        source=source,
        hours_by_week=hours,
        end_weeks={member.name: plan.weeks for member, plan in planned.plans},
        weeks={member.name: {s.module.id: (s.week, s.end_week) for s in plan.steps} for member, plan in planned.plans},
        sessions=planned.cohorts,
    )


def read_baseline(path: Path, team: Team, catalog: Catalog) -> Baseline:
    """The baseline in a `team.json` from an earlier run, for the members
    still on the team. The file is checked as untrusted: a problem names the
    file and the field."""
    document = read_json(path, MAX_BASELINE_BYTES)
    reader = _Fields(path)
    reader.check(isinstance(document, dict) and document.get("schema_version") == 1, "",
                 "not a team.json from curriculum (schema_version 1)")
    start = reader.date(reader.get(document, "team", dict), "start", "team.start")
    if start != team.start:
        raise CurriculumError(f"the baseline's week 1 starts on {start}, the team's on {team.start}: "
                              "compare plans with the same start", path)
    hours: dict[str, dict[int, float]] = {}
    ends: dict[str, int] = {}
    weeks: dict[str, dict[str, tuple[int, int]]] = {}
    names = {member.name for member in team.members}
    for index, member in enumerate(reader.get(document, "members", list)):
        where = f"members[{index}]"
        name = reader.get(reader.item(member, where), "name", str, where)
        if name not in names:
            continue  # left the team since
        weekly: dict[int, float] = {}
        spans: dict[str, tuple[int, int]] = {}
        for position, module in enumerate(reader.get(member, "modules", list, where)):
            at = f"{where}.modules[{position}]"
            module = reader.item(module, at)
            module_id = catalog.resolve(reader.get(module, "id", str, at))
            spans[module_id] = (reader.week(module, "week", at), reader.week(module, "end_week", at))
            for slot, entry in enumerate(reader.get(module, "hours_by_week", list, at)):
                entry = reader.item(entry, f"{at}.hours_by_week[{slot}]")
                week = reader.week(entry, "week", f"{at}.hours_by_week[{slot}]")
                weekly[week] = weekly.get(week, 0.0) + reader.hours(entry, "hours", f"{at}.hours_by_week[{slot}]")
        hours[name], weeks[name] = weekly, spans
        ends[name] = max((last for _, last in spans.values()), default=0)
    sessions = []
    for index, cohort in enumerate(reader.get(document, "cohorts", list)):
        at = f"cohorts[{index}]"
        cohort = reader.item(cohort, at)
        module_id = catalog.resolve(reader.get(cohort, "module", str, at))
        session_id = reader.get(cohort, "id", str, at)
        reader.check(module_id in catalog.modules, at, f"unknown module '{module_id}'")
        reader.check(bool(_SESSION_ID.fullmatch(session_id)), at, f"'id' {session_id[:60]!r} is not a session id")
        attendees = reader.get(cohort, "attendees", list, at)
        reader.check(all(isinstance(a, str) for a in attendees), at, "'attendees' must be names")
        facilitator = cohort.get("facilitator")
        reader.check(facilitator is None or isinstance(facilitator, str), at, "'facilitator' must be a name or null")
        sessions.append(Cohort(session_id, catalog.modules[module_id], reader.week(cohort, "week", at),
                               reader.week(cohort, "end_week", at), reader.hours(cohort, "hours", at),
                               tuple(attendees), facilitator))
    return Baseline(str(path), hours, ends, weeks, tuple(sessions))


MAX_BASELINE_BYTES = 512 * 1024 * 1024  # a 10,000-person team.json is about 200 MB
_SESSION_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*-[0-9]+")


class _Fields:
    """Typed reads from untrusted JSON; a problem names the field (a file
    written by curriculum has none: the first one found is reported)."""

    def __init__(self, path: Path):
        self.path = path

    def check(self, ok: bool, where: str, message: str) -> None:
        if not ok:
            raise CurriculumError(f"{where}: {message}" if where else message, self.path)

    def item(self, value, where: str) -> dict:
        self.check(isinstance(value, dict), where, "expected an object")
        return value

    def get(self, mapping: dict, key: str, kind: type, where: str = ""):
        value = mapping.get(key)
        name = f"{where}.{key}" if where else key
        self.check(isinstance(value, kind) and not isinstance(value, bool), name,
                   f"expected {'a list' if kind is list else 'an object' if kind is dict else 'text'}")
        return value

    def week(self, mapping: dict, key: str, where: str) -> int:
        value = mapping.get(key)
        self.check(type(value) is int and 1 <= value <= 2 * MAX_WEEKS, f"{where}.{key}",
                   f"expected a week from 1 to {2 * MAX_WEEKS}")
        return value

    def hours(self, mapping: dict, key: str, where: str) -> float:
        value = mapping.get(key)
        self.check(type(value) in (int, float) and 0 <= value <= MAX_HOURS_PER_WEEK * 2 * MAX_WEEKS,
                   f"{where}.{key}", "expected a number of hours")
        return float(value)

    def date(self, mapping: dict, key: str, where: str) -> dt.date:
        value = mapping.get(key)
        try:
            return dt.date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return self.check(False, where, "expected an ISO date")


def replan(
    catalog: Catalog,
    graph: nx.DiGraph,
    team: Team,
    paths: Sequence,
    progress: Progress,
    baseline_file: Path | None,
    fresh: Callable[[], TeamPlan],
    assemble: Callable[[Schedule, Schedule, Sequence[Cohort], dict], TeamPlan],
) -> TeamPlan:
    """The team re-planned from `progress` (see the module's docstring)
    against the `team.json` in `baseline_file`, or else the plan without
    progress (`fresh()`, made only when needed); `assemble` makes the team
    plan from the solo and team schedules, as for a fresh plan."""
    if team.start is None:
        raise CurriculumError("re-planning from progress needs the start date of week 1 "
                              "('start' in the team file, or --start)", team.source)
    baseline = None if baseline_file is None else read_baseline(baseline_file, team, catalog)
    if baseline is None or set(baseline.end_weeks) != {member.name for member in team.members}:
        without = baseline_of(fresh())
        baseline = without if baseline is None else Baseline(
            baseline.source, {**without.hours_by_week, **baseline.hours_by_week},
            {**without.end_weeks, **baseline.end_weeks}, {**without.weeks, **baseline.weeks}, baseline.sessions)
    as_of_week = week_of(team.start, progress.as_of)
    modules = sorted({m for _, path in paths for m in path.order})
    hours, prerequisites = module_hours(catalog, modules), prerequisites_of(graph, modules)
    statuses: dict[str, dict[str, tuple[str, dt.date]]] = {}
    finished: dict[str, dict[str, int]] = {}  # member -> module -> the week it was done
    extra: dict[str, tuple[str, ...]] = {}
    learners = []
    by_member = progress.by_member()
    for member, path in paths:
        reported = by_member.get(member.name, {})
        on_path = set(path.order)
        statuses[member.name] = {m: (e.status, e.date) for m, e in reported.items()
                                 if m in on_path and e.status != NOT_DONE}
        finished[member.name] = {m: min(week_of(team.start, e.date), as_of_week)
                                 for m, e in reported.items() if m in on_path and e.status in FINISHED}
        extra[member.name] = tuple(sorted(m for m, e in reported.items()
                                          if m not in on_path and e.status in FINISHED))
        rest = [m for m in path.order if m not in finished[member.name]]
        started = {m for m in rest if statuses[member.name].get(m, ("",))[0] == "in-progress"}
        learners.append(Learner(member.name, _started_first(rest, started, prerequisites), member.hours_per_week))

    past = tuple(c for c in baseline.sessions if c.week < as_of_week)
    alone = schedule(learners, hours, prerequisites)
    remaining = schedule(learners, hours, prerequisites, team.cohorts, alone.placements) if team.cohorts else alone
    placed = _merged(remaining, finished, past, as_of_week - 1, hours)
    # Notes and delays compare with what each would now do alone, from the as-of week on.
    solo = _merged(alone, finished, (), as_of_week - 1, hours)
    replanned = assemble(solo, placed, past, statuses)
    standing = {member.name: _standing(team, member, plan, baseline, progress.as_of, as_of_week, extra[member.name])
                for member, plan in replanned.plans}
    moved = tuple(
        (member.name, step.module.id, before[0], step.week)
        for member, plan in replanned.plans
        for step in sorted(plan.steps, key=lambda s: s.module.id)
        if step.status == "planned"
        and (before := baseline.weeks.get(member.name, {}).get(step.module.id)) is not None and before[0] != step.week
    )
    # Calendar events whose dates differ from the baseline's: updated, not added again.
    held = {c.id: (c.week, c.attendees) for c in baseline.sessions}
    changed = frozenset(
        [(member.name, step.module.id) for member, plan in replanned.plans for step in plan.steps
         if baseline.weeks.get(member.name, {}).get(step.module.id) != (step.week, step.end_week)]
        + [("session", c.id) for c in replanned.cohorts if held.get(c.id) != (c.week, c.attendees)])
    return TeamPlan(replanned.team, replanned.plans, replanned.cohorts, replanned.advice, replanned.slugs,
                    replanned.schedule, replanned.members, replanned.alone,
                    as_of=progress.as_of, progress=standing, moved=moved,
                    burn_up=_burn_up(replanned, baseline, as_of_week), changed=changed)


def _burn_up(replanned: TeamPlan, baseline: Baseline, as_of_week: int) -> tuple:
    """Cumulative learner hours by week: planned, done, and the forecast."""
    planned: dict[int, float] = {}
    for weekly in baseline.hours_by_week.values():
        for week, hours in weekly.items():
            planned[week] = planned.get(week, 0.0) + hours
    done: dict[int, float] = {}
    ahead: dict[int, float] = {}  # what the new schedule plans, from the as-of week on
    for _, plan in replanned.plans:
        for step in plan.steps:
            if step.status in FINISHED:
                done[step.end_week] = done.get(step.end_week, 0.0) + step.module.hours
            else:
                for week, hours in step.hours_by_week:
                    ahead[week] = ahead.get(week, 0.0) + hours
    last = max([as_of_week, *planned, *done, *ahead])
    rows, total_planned, total_done = [], 0.0, 0.0
    for week in range(1, last + 1):
        total_planned += planned.get(week, 0.0)
        total_done += done.get(week, 0.0)
        if week < as_of_week:
            rows.append((week, round(total_planned, 6), round(total_done, 6), None))
            continue
        if week == as_of_week:
            forecast = total_done
        forecast += ahead.get(week, 0.0)
        rows.append((week, round(total_planned, 6), round(total_done, 6) if week == as_of_week else None,
                     round(forecast, 6)))
    return tuple(rows)


def _started_first(order: list[str], started: set[str], prerequisites: Mapping[str, Sequence[str]]) -> tuple:
    """`order` with the modules in progress first, each as soon as what it
    needs (still to do) comes before it."""
    if not started:
        return tuple(order)
    todo = set(order)
    result: list[str] = []
    placed: set[str] = set()

    def take(module: str) -> None:
        if module in placed:
            return
        for needed in prerequisites.get(module, ()):
            if needed in todo:
                take(needed)
        placed.add(module)
        result.append(module)

    for module in order:
        if module in started:
            take(module)
    for module in order:
        take(module)
    return tuple(result)


def _merged(remaining: Schedule, finished: dict[str, dict[str, int]], past: Sequence[Cohort], shift: int,
            hours: Mapping[str, float]) -> Schedule:
    """Finished modules in the week they were done, the rest `shift` weeks
    later than scheduled; the sessions held first, then the new ones."""
    held = {(name, c.module.id): index for index, c in enumerate(past) for name in c.attendees}
    placements = {}
    for name, placed in remaining.placements.items():
        done = [Placement(m, ((week, hours[m]),), held.get((name, m))) for m, week in finished[name].items()]
        later = [Placement(p.module, tuple((week + shift, amount) for week, amount in p.hours_by_week),
                           None if p.session is None else p.session + len(past)) for p in placed]
        placements[name] = tuple(done + later)
    sessions = (*(Session(c.module.id, c.week, c.attendees) for c in past),
                *(Session(s.module, s.week + shift, s.attendees) for s in remaining.sessions))
    return Schedule(placements, sessions, remaining.alone, remaining.solver, remaining.optimal, remaining.gap)


def _standing(team: Team, member, plan, baseline: Baseline, as_of: dt.date, as_of_week: int,
              extra: tuple[str, ...]) -> MemberProgress:
    done = sum(step.module.hours for step in plan.steps if step.status in FINISHED)
    weekly = baseline.hours_by_week.get(member.name, {})
    # The as-of week counts for the days of it gone by.
    into_week = ((as_of - team.start).days % 7 + 1) / 7 if as_of >= team.start else 0.0
    planned = sum(h for w, h in weekly.items() if w < as_of_week) + weekly.get(as_of_week, 0.0) * into_week
    behind = planned - done
    weeks_behind = int(behind // member.hours_per_week) if behind > 0 else 0
    if weeks_behind >= 1:
        status = "behind"
    elif -behind >= member.hours_per_week:
        status = "ahead"
    else:
        status = "on track"
    forecast = team.start + dt.timedelta(days=7 * plan.weeks - 1)
    end = team.start + dt.timedelta(days=7 * baseline.end_weeks.get(member.name, plan.weeks) - 1)
    at_risk = (forecast - end).days > 7 * AT_RISK_WEEKS or (team.target_date is not None and forecast > team.target_date)
    return MemberProgress(round(done, 6), round(planned, 6), status, weeks_behind, forecast, end, at_risk, extra)
