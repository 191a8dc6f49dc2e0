"""Plan a whole team: each member's path, one schedule for everyone with
shared modules taught in group sessions led by the team, and structure
advice from the teaching stance."""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable
from pathlib import Path

import networkx as nx

from .errors import CurriculumError, raise_if_any
from .graph import ancestors_of
from .lint import LintSettings
from .model import (
    FINISHED, READINESS_QUESTIONS, Advice, Catalog, Cohort, Member, MemberSchedule, Plan, Profile, ScheduleSummary,
    Team, TeamPlan, readiness_gaps,
)
from .progress import Progress
from .plan import ScheduleTooLong, choose_path, make_plan, module_hours, prerequisites_of
from .schedule import CohortSettings, Learner, schedule
from .team import member_slugs


def plan_team(
    catalog: Catalog,
    graph: nx.DiGraph,
    team: Team,
    tick: Callable[[int, int], None] | None = None,
    progress: Progress | None = None,
    baseline: Path | None = None,
) -> TeamPlan:
    """Choose every member's path, then schedule the whole team at once:
    shared modules in group sessions led by members where someone can.
    `tick(done, total)` is called after each member's path is chosen. With
    `progress`, what is done stays where it happened and the rest is
    scheduled again from the as-of week (see `replan`), against the
    `team.json` in `baseline` (by default, the plan without progress)."""
    paths, gaps, framing = _choose_paths(catalog, graph, team, tick)
    modules = sorted({m for _, path in paths for m in path.order})
    hours, prerequisites = module_hours(catalog, modules), prerequisites_of(graph, modules)
    learners = [Learner(member.name, path.order, member.hours_per_week) for member, path in paths]
    solo = schedule(learners, hours, prerequisites)

    def fresh() -> TeamPlan:
        placed = schedule(learners, hours, prerequisites, team.cohorts, solo.placements) if team.cohorts else solo
        return _assemble(catalog, graph, team, paths, solo, placed, gaps, framing)

    if progress is None:
        return fresh()
    from .replan import replan

    # The plan without progress is made only if the baseline needs it.
    return replan(catalog, graph, team, paths, progress, baseline, fresh,
                  lambda alone, placed, past, statuses: _assemble(catalog, graph, team, paths, alone, placed, gaps,
                                                                  framing, past, statuses))


def _choose_paths(catalog: Catalog, graph: nx.DiGraph, team: Team, tick):
    settings = LintSettings.from_catalog(catalog)
    gaps = readiness_gaps(team)
    framing = settings.readiness_module if settings.readiness_module in catalog.modules else None
    paths = []
    too_long = []
    chosen: dict[Profile, object] = {}
    for done, member in enumerate(team.members, start=1):
        goals = member.goals
        if gaps and framing and member.role in settings.manager_roles and framing not in goals:
            goals = goals + (framing,)
        profile = Profile(member.role, team.size, member.knows, goals, member.hours_per_week, team.start)
        try:
            # People with one profile have one path: chosen once, shared.
            if profile not in chosen:
                chosen[profile] = choose_path(catalog, graph, profile)
            paths.append((member, chosen[profile]))
        except ScheduleTooLong as exc:
            too_long.append(CurriculumError(f"{member.name}: {exc.message}", team.source, member.line))
        if tick:
            tick(done, len(team.members))
    raise_if_any(too_long)
    return paths, gaps, framing


def _assemble(catalog, graph, team, paths, solo, placed, gaps, framing, past=(), statuses=None) -> TeamPlan:
    """The team plan from the schedule: sessions with facilitators, each
    member's syllabus, figures and advice. `past`: sessions already held,
    kept as they were (the first of `placed.sessions`); `statuses`: member
    name -> module -> (status, date) of what progress says."""
    settings = LintSettings.from_catalog(catalog)
    cohorts = _sessions(catalog, graph, team, paths, placed, past)
    by_name = {c.id: c for c in cohorts}
    session_ids = [c.id for c in cohorts]

    plans = []
    shared: dict[str, str] = {}
    for member, path in paths:
        solo_weeks = {p.module: p.week for p in solo.placements[member.name]}
        mine = placed.placements[member.name]
        member_cohorts = {p.module: session_ids[p.session] for p in mine if p.session is not None}
        reported = (statuses or {}).get(member.name, {})
        notes = {m: shared.setdefault(note, note)  # many people get the very same note: keep one
                 for m, note in _notes(mine, solo_weeks, member_cohorts, by_name, placed.alone, member.name).items()
                 if reported.get(m, ("",))[0] not in FINISHED}  # history needs no excuse
        plans.append((member, make_plan(catalog, path, mine, member_cohorts, solo_weeks, notes, reported)))
    members = _member_schedules(catalog, team, plans, solo, cohorts)
    summary = _summary(catalog, team, paths, plans, cohorts, members, placed)
    advice = _advice(team, plans, cohorts, settings, gaps, framing)
    advice += _facilitation_advice(team, plans, cohorts, members, settings)
    return TeamPlan(team, tuple(plans), tuple(cohorts), tuple(advice), member_slugs(team.members),
                    summary, members, _alone(placed.alone, paths))


def _sessions(catalog: Catalog, graph: nx.DiGraph, team: Team, paths, placed, past=()) -> list[Cohort]:
    """The schedule's sessions as cohorts: numbered per module in the order
    they run, each led by a member who can (see `_facilitators`). The first
    `len(past)` sessions were held already: kept as they were, with the
    numbers of new ones going on after theirs."""
    ends: dict[tuple[str, str], int] = {}
    for member, _ in paths:
        for placement in placed.placements[member.name]:
            ends[member.name, placement.module] = placement.end_week
    numbers: dict[str, int] = {}
    for cohort in past:
        number = int(cohort.id.rsplit("-", 1)[1])
        numbers[cohort.module.id] = max(numbers.get(cohort.module.id, 0), number)
    drafts = []
    for session in placed.sessions[len(past):]:
        numbers[session.module] = numbers.get(session.module, 0) + 1
        module = catalog.modules[session.module]
        contact = min(team.cohorts.session_hours, module.hours)
        drafts.append(Cohort(
            id=f"{session.module}-{numbers[session.module]}", module=module, week=session.week,
            end_week=max(ends[name, session.module] for name in session.attendees), hours=contact,
            attendees=session.attendees,
        ))
    leaders = _facilitators(catalog, graph, team, paths, drafts, ends, past)
    return [*past, *(dataclasses.replace(c, facilitator=leader) for c, leader in zip(drafts, leaders))]


def _facilitators(catalog: Catalog, graph: nx.DiGraph, team: Team, paths, cohorts: list[Cohort], ends,
                  past=()) -> list:
    """For each session in the order they run: a member who knows its module
    (through `knows`) or finished it in an earlier week, is not attending,
    and has facilitation hours left that week; first those whose role leads
    the module's stage, then whoever has led least, then by name. None:
    nobody can. Candidates wait in a heap per module, admitted in the week
    they finish it, so a department's thousands of sessions stay cheap."""
    budget, leads = {}, {}
    heaps: dict[str, list] = {}  # module -> (not leading its stage, hours led, name), lazily updated
    arriving: dict[str, list[tuple[int, str]]] = {}  # module -> (first week able, name), by week
    for member, path in paths:
        default = catalog.facilitation_for(member.role, team.size)
        own = member.facilitation_hours_per_week
        budget[member.name] = default.hours_per_week if own is None else own
        leads[member.name] = set(default.leads)
        if budget[member.name] <= 0:
            continue
        for module in set(member.knows) | ancestors_of(graph, member.knows):
            heaps.setdefault(module, []).append((catalog.modules[module].stage not in leads[member.name], 0.0,
                                                 member.name))
        for module in path.order:
            arriving.setdefault(module, []).append((ends[member.name, module] + 1, member.name))
    for entries in heaps.values():
        heapq.heapify(entries)
    for entries in arriving.values():
        entries.sort()
    admitted = dict.fromkeys(arriving, 0)
    used: dict[tuple[str, int], float] = {}
    led: dict[str, float] = {}
    for cohort in past:  # what facilitators led already counts
        if cohort.facilitator in budget:
            used[cohort.facilitator, cohort.week] = used.get((cohort.facilitator, cohort.week), 0.0) + cohort.hours
            led[cohort.facilitator] = led.get(cohort.facilitator, 0.0) + cohort.hours
    leaders: list[str | None] = [None] * len(cohorts)
    for index in sorted(range(len(cohorts)), key=lambda i: (cohorts[i].week, cohorts[i].id)):
        cohort = cohorts[index]
        module, week = cohort.module.id, cohort.week
        heap = heaps.setdefault(module, [])
        waiting = arriving.get(module, [])
        while admitted.get(module, 0) < len(waiting) and waiting[admitted[module]][0] <= week:
            name = waiting[admitted[module]][1]
            heapq.heappush(heap, (cohort.module.stage not in leads[name], led.get(name, 0.0), name))
            admitted[module] += 1
        attending = set(cohort.attendees)
        passed, leader = [], None
        while heap:
            entry = heapq.heappop(heap)
            not_leading, hours_led, name = entry
            if hours_led != led.get(name, 0.0):  # led since it was queued: queue it as it is now
                heapq.heappush(heap, (not_leading, led.get(name, 0.0), name))
                continue
            if name in attending or budget[name] - used.get((name, week), 0.0) < cohort.hours - 1e-9:
                passed.append(entry)
                continue
            leader = name
            break
        for entry in passed:
            heapq.heappush(heap, entry)
        if leader:
            leaders[index] = leader
            used[leader, week] = used.get((leader, week), 0.0) + cohort.hours
            led[leader] = led.get(leader, 0.0) + cohort.hours
            heapq.heappush(heap, (cohort.module.stage not in leads[leader], led[leader], leader))
    return leaders


def _notes(placements, solo_weeks, member_cohorts, cohorts, alone, name) -> dict[str, str]:
    """Why the team schedule places a module differently from the solo plan."""
    notes = {}
    for placement in placements:
        module, week = placement.module, placement.week
        solo = solo_weeks[module]
        session = member_cohorts.get(module)
        if session is not None:
            others = len(cohorts[session].attendees) - 1
            note = f"with {others} others in group session {session}"
            if week != solo:
                note += f"; alone it would start in week {solo}"
        elif (name, module) in alone:
            note = f"studied alone: {alone[name, module]}"
            if week != solo:
                note += f"; week {week}, not {solo} as in the solo plan"
        elif week > solo:
            note = f"week {week}, not {solo} as alone: earlier weeks went to group sessions"
        elif week < solo:
            note = f"week {week}, not {solo} as alone: studied earlier, while waiting for a group session"
        else:
            continue
        notes[module] = note
    return notes


def _member_schedules(catalog, team, plans, solo, cohorts) -> dict[str, MemberSchedule]:
    facilitation: dict[str, dict[int, float]] = {}
    facilitates: dict[str, list[str]] = {}
    for cohort in cohorts:
        if cohort.facilitator:
            week_hours = facilitation.setdefault(cohort.facilitator, {})
            week_hours[cohort.week] = week_hours.get(cohort.week, 0.0) + cohort.hours
            facilitates.setdefault(cohort.facilitator, []).append(cohort.id)
    result = {}
    studied: dict[tuple, dict[int, float]] = {}  # people of one class share their hours by week
    shared_weekly: dict[tuple, tuple] = {}
    for member, plan in plans:
        key = tuple(id(step.hours_by_week) for step in plan.steps)
        study = studied.get(key)
        if study is None:
            study = studied[key] = {}
            for step in plan.steps:
                for week, hours in step.hours_by_week:
                    study[week] = study.get(week, 0.0) + hours
        leading = facilitation.get(member.name, {})
        weekly = shared_weekly.get(key) if not leading else None
        if weekly is None:
            weekly = tuple((w, round(study.get(w, 0.0), 6), round(leading.get(w, 0.0), 6))
                           for w in sorted(set(study) | set(leading)))
            if not leading:
                shared_weekly[key] = weekly
        solo_weeks = max((p.end_week for p in solo.placements[member.name]), default=0)
        default = catalog.facilitation_for(member.role, team.size).hours_per_week
        result[member.name] = MemberSchedule(
            solo_weeks=solo_weeks,
            delay_weeks=plan.weeks - solo_weeks,
            facilitation_hours_per_week=(default if member.facilitation_hours_per_week is None
                                         else member.facilitation_hours_per_week),
            facilitates=tuple(facilitates.get(member.name, ())),
            weekly_hours=weekly,
        )
    return result


def _summary(catalog, team, paths, plans, cohorts, members, placed) -> ScheduleSummary:
    settings = team.cohorts or CohortSettings()
    takers: dict[str, int] = {}
    for _, path in paths:
        for module in path.order:
            takers[module] = takers.get(module, 0) + 1
    shareable = sum(catalog.modules[m].hours * n for m, n in takers.items() if n >= settings.min_size)
    grouped = sum(c.module.hours * len(c.attendees) for c in cohorts)
    delays = [members[member.name].delay_weeks for member, _ in plans]
    return ScheduleSummary(
        solver=placed.solver,
        optimal=placed.optimal,
        gap=placed.gap,
        grouped_hours=round(grouped, 6),
        shareable_hours=round(shareable, 6),
        mean_delay_weeks=round(sum(delays) / len(delays), 6) if delays else 0.0,
        max_delay_weeks=max(delays, default=0),
        facilitation_hours=round(sum(c.hours for c in cohorts if c.facilitator), 6),
        external_sessions=sum(c.facilitator is None for c in cohorts),
    )


def _alone(alone: dict[tuple[str, str], str], paths) -> tuple:
    """Shareable modules some members study alone, grouped by module and why."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for member, path in paths:
        for module in path.order:
            why = alone.get((member.name, module))
            if why:
                grouped.setdefault((module, why), []).append(member.name)
    return tuple((module, tuple(names), why) for (module, why), names in sorted(grouped.items()))


def _advice(team, plans, cohorts, settings: LintSettings, gaps, framing) -> list[Advice]:
    advice = []
    roles = [member.role for member in team.members]
    researchers = [m for m in team.members if m.role in settings.researcher_roles]
    engineers = [m for m in team.members if m.role in settings.engineer_roles]
    if team.size in settings.pairing_sizes:
        ml_engineers = sum(role in settings.ml_engineer_roles for role in roles)
        if len(researchers) > ml_engineers:
            advice.append(Advice(
                "T301",
                f"{len(researchers)} ML researchers but {ml_engineers} ML engineers: at a {team.size} company, "
                "one strong researcher with engineers who learn from them works better; hire or train ML engineers",
            ))
    advice += _unpaired(researchers, engineers, plans)
    if team.size in settings.solo_sizes:
        covered = [m for m, plan in plans if {"deployment", "monitoring"} <= {s.module.stage for s in plan.steps}]
        if not covered:
            advice.append(Advice(
                "T303",
                f"nobody's path covers deployment and monitoring: at a {team.size} company one person must own "
                "the system end to end",
            ))
    if gaps:
        managers = [m.name for m in team.members if m.role in settings.manager_roles]
        unanswered = " ".join(READINESS_QUESTIONS[q] for q in gaps)
        if framing and managers:
            action = f"'{framing}' was added to the path of {', '.join(managers)}"
        else:
            action = "the team has no manager to frame the problem: add one before investing"
        advice.append(Advice("T304", f"readiness questions not answered yes ({unanswered}); {action}"))
    return advice


def _facilitation_advice(team: Team, plans, cohorts, members: dict[str, MemberSchedule],
                         settings: LintSettings) -> list[Advice]:
    """T305 and T306: who teaches, and whether it can last."""
    advice = []
    researchers = [m.name for m in team.members if m.role in settings.researcher_roles]
    if team.size in settings.pairing_sizes and researchers and cohorts and all(c.facilitator is None for c in cohorts):
        advice.append(Advice(
            "T305",
            f"all {len(cohorts)} group sessions need an external facilitator although {', '.join(researchers)} "
            f"{'is' if len(researchers) == 1 else 'are'} on the team: record what they know (knows) or give them "
            "facilitation hours",
        ))
    weeks = max((plan.weeks for _, plan in plans), default=0)
    for member in team.members:
        schedule = members[member.name]
        budget = schedule.facilitation_hours_per_week
        full = sum(1 for _, _, hours in schedule.weekly_hours if budget and hours >= budget - 1e-9)
        if weeks and full * 2 > weeks:
            advice.append(Advice(
                "T306",
                f"{member.name} facilitates at the limit of their {budget:g} h a week in {full} of {weeks} weeks: "
                "share the sessions or raise facilitation_hours_per_week",
                member.line,
            ))
    return advice


def _unpaired(researchers: list[Member], engineers: list[Member], plans: list[tuple[Member, Plan]]) -> list[Advice]:
    """A researcher paired with no engineer gets advice and a suggested
    partner: an engineer whose path shares the most modules with theirs,
    spreading suggestions over engineers with the same path."""
    engineer_names = {m.name.casefold() for m in engineers}
    partners_of: dict[str, set[str]] = {}
    for member in researchers + engineers:
        for partner in member.pairs_with:
            partners_of.setdefault(member.name.casefold(), set()).add(partner.casefold())
            partners_of.setdefault(partner.casefold(), set()).add(member.name.casefold())
    modules_of = {member.name: frozenset(s.module.id for s in plan.steps) for member, plan in plans}
    # Engineers with the same path are interchangeable here: compare paths, not people.
    by_path: dict[frozenset, list[Member]] = {}
    for engineer in engineers:
        by_path.setdefault(modules_of[engineer.name], []).append(engineer)
    first_name = {path: min(e.name for e in group) for path, group in by_path.items()}
    suggested: dict[str, int] = {}
    advice = []
    for researcher in researchers:
        if partners_of.get(researcher.name.casefold(), set()) & engineer_names:
            continue
        if by_path:
            mine = modules_of[researcher.name]
            path = min(by_path, key=lambda p: (-len(mine & p), first_name[p]))
            shared = len(mine & path)
            best = min(by_path[path], key=lambda e: (suggested.get(e.name, 0), e.name))
            suggested[best.name] = suggested.get(best.name, 0) + 1
            suggestion = f"suggest pairing with {best.name} ({shared} shared modules)"
        else:
            suggestion = "the team has no engineer to pair with"
        advice.append(Advice(
            "T302", f"{researcher.name} (researcher) is not paired with an engineer; {suggestion}", researcher.line
        ))
    return advice
