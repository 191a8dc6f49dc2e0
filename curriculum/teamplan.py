"""Plan a whole team: each member's path, shared modules taught as cohorts,
and structure advice from the teaching stance."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import networkx as nx

from .errors import CurriculumError, raise_if_any
from .graph import ancestors_of
from .lint import LintSettings
from .model import READINESS_QUESTIONS, Advice, Catalog, Cohort, Member, Plan, Profile, TeamPlan, readiness_gaps
from .plan import ScheduleTooLong, plan_path
from .team import member_slugs

def plan_team(
    catalog: Catalog,
    graph: nx.DiGraph,
    team: Team,
    progress: Callable[[int, int], None] | None = None,
) -> TeamPlan:
    """`progress(done, total)` is called after each member is planned."""
    settings = LintSettings.from_catalog(catalog)
    gaps = readiness_gaps(team)
    framing = settings.readiness_module if settings.readiness_module in catalog.modules else None
    plans = []
    too_long = []
    for done, member in enumerate(team.members, start=1):
        goals = member.goals
        if gaps and framing and member.role in settings.manager_roles and framing not in goals:
            goals = goals + (framing,)
        profile = Profile(member.role, team.size, member.knows, goals, member.hours_per_week, team.start)
        try:
            plans.append((member, plan_path(catalog, graph, profile)))
        except ScheduleTooLong as exc:
            too_long.append(CurriculumError(f"{member.name}: {exc.message}", team.source, member.line))
        if progress:
            progress(done, len(team.members))
    raise_if_any(too_long)
    cohorts = _cohorts(graph, plans)
    advice = _advice(team, plans, cohorts, settings, gaps, framing)
    return TeamPlan(team, tuple(plans), tuple(cohorts), tuple(advice), member_slugs(team.members))


def _cohorts(graph: nx.DiGraph, plans: list[tuple[Member, Plan]]) -> list[Cohort]:
    """Each module two or more members share, in a week when every attendee
    has finished its prerequisites (and no earlier than anyone planned it)."""
    ancestors = lru_cache(maxsize=None)(lambda module_id: frozenset(ancestors_of(graph, [module_id])))
    attending: dict[str, list[tuple[Member, int, int]]] = {}
    modules = {}
    for member, plan in plans:
        end_week = {step.module.id: step.end_week for step in plan.steps}
        for step in plan.steps:
            ready = max((end_week[a] for a in ancestors(step.module.id) if a in end_week), default=0)
            attending.setdefault(step.module.id, []).append((member, step.week, ready))
            modules[step.module.id] = step.module
    cohorts = []
    for module_id, attendees in attending.items():
        if len(attendees) < 2:
            continue
        week = max(max(ready for _, _, ready in attendees) + 1, min(week for _, week, _ in attendees))
        cohorts.append(Cohort(modules[module_id], week, tuple(member.name for member, _, _ in attendees)))
    return sorted(cohorts, key=lambda c: (c.week, c.module.id))


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
