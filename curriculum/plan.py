"""Plan stage: a profile -> the modules that person needs, in learning order
(`choose_path`), placed in weeks by the scheduler (`plan_path`)."""

from __future__ import annotations

import datetime as dt
import heapq
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import networkx as nx

from .errors import CurriculumError, did_you_mean, raise_if_any
from .graph import ancestors_of
from .limits import MAX_HOURS_PER_WEEK, MAX_WEEKS, check_start
from .model import FINISHED, LEVELS, STAGES, Catalog, Plan, Profile, Reason, Step
from .schedule import Learner, Placement, schedule

# Modules without a stage are ordered as foundations.
_STAGE_RANK = {stage: rank for rank, stage in enumerate(STAGES)} | {None: 0}
_LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}


def check_profile(catalog: Catalog, profile: Profile) -> None:
    problems = []
    if profile.role not in catalog.roles:
        problems.append(CurriculumError(
            f"unknown role '{profile.role}'{did_you_mean(profile.role, catalog.roles)}; "
            f"known roles: {', '.join(catalog.roles)}"
        ))
    if profile.size not in catalog.sizes:
        problems.append(CurriculumError(
            f"unknown company size '{profile.size}'{did_you_mean(profile.size, catalog.sizes)}; "
            f"known sizes: {', '.join(catalog.sizes)}"
        ))
    for what, ids in (("known", profile.knows), ("goal", profile.goals)):
        for module_id in ids:
            if catalog.resolve(module_id) not in catalog.modules:
                problems.append(CurriculumError(
                    f"unknown {what} module '{module_id}'{did_you_mean(module_id, catalog.modules)}"
                ))
    if not 0 < profile.hours_per_week <= MAX_HOURS_PER_WEEK:  # NaN fails too
        problems.append(CurriculumError(
            f"hours per week must be above 0 and at most {MAX_HOURS_PER_WEEK:g}, not {profile.hours_per_week:g}"
        ))
    if profile.start is not None:
        try:
            check_start(profile.start)
        except ValueError as exc:
            problems.append(CurriculumError(f"start: {exc}"))
    raise_if_any(problems)


@dataclass(frozen=True)
class Path:
    """The modules a person needs, in learning order, each with why it is
    there: what `plan_path` chooses before anything is placed in weeks."""

    profile: Profile
    order: tuple[str, ...]
    reasons: dict[str, tuple[Reason, ...]]
    # What the role assumes known that the path would otherwise hold, prerequisites first.
    assumed: tuple[str, ...] = ()
    # Module id -> why it is on this path, in words (see `why_on_path`).
    why: dict[str, str] = field(default_factory=dict)


def choose_path(catalog: Catalog, graph: nx.DiGraph, profile: Profile) -> Path:
    """Targets for the role and size, plus goals, plus everything they need,
    minus what the person knows and what the role assumes (and what either
    implies: an assumed module's prerequisites are assumed unless they are
    targets themselves), in learning order. A goal is never assumed; what it
    needs that the role assumes stays assumed unless named as a goal too."""
    check_profile(catalog, profile)
    if catalog.replaced:  # old ids name the modules that replace them
        profile = replace(profile, knows=catalog.resolve_all(profile.knows), goals=catalog.resolve_all(profile.goals))
    targets = {m.id for m in catalog.modules.values() if m.targets(profile.role, profile.size)}
    wanted = targets | set(profile.goals)
    known = set(profile.knows) | ancestors_of(graph, profile.knows)
    assumes = [m for m in catalog.roles[profile.role].assumes if m not in profile.goals]
    # What an assumed module needs is assumed too, except the path's own targets.
    assumed = set(assumes) | (ancestors_of(graph, assumes) - targets - set(profile.goals))
    reached = wanted | ancestors_of(graph, wanted)
    needed = reached - known - assumed
    order = _learning_order(catalog, graph, needed)
    _check_length(sum(catalog.modules[m].hours for m in order), profile.hours_per_week)
    position = {module_id: index for index, module_id in enumerate(order)}
    reasons = {m: _reasons(m, targets, profile.goals, graph, position) for m in order}
    why = {m: why_on_path(catalog, m, profile, reasons[m]) for m in order}
    left_out = _prerequisites_first(catalog, graph, (reached & assumed) - known)
    return Path(profile, tuple(order), reasons, left_out, why)


def plan_path(catalog: Catalog, graph: nx.DiGraph, profile: Profile) -> Plan:
    """One person's syllabus: their path, scheduled alone."""
    path = choose_path(catalog, graph, profile)
    learner = Learner("", path.order, profile.hours_per_week)
    placed = schedule([learner], module_hours(catalog, path.order), prerequisites_of(graph, path.order))
    return make_plan(catalog, path, placed.placements[""])


def module_hours(catalog: Catalog, modules) -> dict[str, float]:
    return {m: catalog.modules[m].hours for m in modules}


def prerequisites_of(graph: nx.DiGraph, modules) -> dict[str, tuple[str, ...]]:
    return {m: tuple(graph.predecessors(m)) for m in modules}


def make_plan(
    catalog: Catalog,
    path: Path,
    placements: Sequence[Placement],
    cohorts: Mapping[str, str] | None = None,
    solo_weeks: Mapping[str, int] | None = None,
    notes: Mapping[str, str] | None = None,
    statuses: Mapping[str, tuple[str, dt.date]] | None = None,
) -> Plan:
    """The syllabus for `path` as placed in weeks: steps in the order they
    start (learning order among modules starting in the same week). In a
    team plan, `cohorts` names each module's group session, `solo_weeks`
    gives the week it would start alone, `notes` says why it moved and
    `statuses` what progress says of it (status, date)."""
    profile = path.profile
    position = {module_id: index for index, module_id in enumerate(path.order)}
    placed = sorted(placements, key=lambda p: (p.week, position[p.module]))
    steps = []
    elapsed = 0.0
    for placement in placed:
        module = catalog.modules[placement.module]
        steps.append(Step(
            module, path.reasons[placement.module], placement.week, placement.end_week, _round(elapsed),
            hours_by_week=placement.hours_by_week,
            cohort=(cohorts or {}).get(placement.module),
            solo_week=(solo_weeks or {}).get(placement.module, placement.week),
            note=(notes or {}).get(placement.module, ""),
            why=path.why.get(placement.module, ""),
            **_status((statuses or {}).get(placement.module)),
        ))
        elapsed += module.hours
    return Plan(
        profile=profile,
        role=catalog.roles[profile.role],
        size=catalog.sizes[profile.size],
        why=catalog.why(profile.role, profile.size),
        steps=tuple(steps),
        total_hours=_round(elapsed),
        weeks=max((step.end_week for step in steps), default=0),
        assumed=tuple(catalog.modules[m] for m in path.assumed),
        activity_base=catalog.activity_base,
    )


def _status(reported: tuple[str, dt.date] | None) -> dict:
    if reported is None:
        return {}
    status, date = reported
    return {"status": status, "done_date": date if status in FINISHED else None}


def _check_length(hours: float, hours_per_week: float) -> None:
    """Weeks bound every list and picture sized by the schedule, and keep its dates within the calendar."""
    if hours / hours_per_week > MAX_WEEKS:
        raise ScheduleTooLong(hours, hours_per_week)


class ScheduleTooLong(CurriculumError):
    def __init__(self, hours: float, hours_per_week: float):
        needed = math.ceil(hours / MAX_WEEKS * 100) / 100
        if needed <= MAX_HOURS_PER_WEEK:
            fix = f"give at least {needed:g} hours per week"
        else:
            fix = "split it into shorter paths"
        super().__init__(f"at {hours_per_week:g} hours per week this path of {hours:g} hours takes over {MAX_WEEKS} "
                         f"weeks (ten years), the longest schedule planned: {fix}")
        self.hours = hours


def _learning_order(catalog: Catalog, graph: nx.DiGraph, needed: set[str]) -> list[str]:
    """Every module after its prerequisites. Among those free to go next:
    first what the first end-to-end milestone needs, in lifecycle order, so a
    working system ships early, with the size-specific modules that need
    nothing beyond it placed inside it, just before the milestone (a small
    company's slice deploys to a managed service); then the modules that give
    the path its shape, each as soon as its prerequisites are done: first
    those for some company sizes only, then those for one role only; then
    the rest level by level (foundation, practitioner, advanced), each in
    lifecycle order, improving every step of the system in turn; ties broken
    by id."""
    first_slice = _first_milestone_closure(catalog, graph, needed)
    milestones = {m for m in first_slice if catalog.modules[m].is_milestone}
    before_milestone = first_slice - milestones
    inside = {m for m in needed - first_slice
              if first_slice and _size_specific(catalog, catalog.modules[m])
              and all(p in before_milestone for p in graph.predecessors(m) if p in needed)}

    def key(module_id: str) -> tuple:
        module = catalog.modules[module_id]
        stage, level = _STAGE_RANK[module.stage], _LEVEL_RANK[module.level]
        if module_id in first_slice or module_id in inside:
            phase = 2 if module_id in milestones else 1 if module_id in inside else 0
            return (0, phase, stage, level, module_id)
        if _size_specific(catalog, module):
            return (1, 0, level, stage, module_id)
        if _one_role(catalog, module):
            return (1, 1, level, stage, module_id)
        return (1, 2, level, stage, module_id)

    waiting = {m: sum(1 for p in graph.predecessors(m) if p in needed) for m in needed}
    ready = [key(m) for m, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        module_id = heapq.heappop(ready)[-1]
        order.append(module_id)
        for successor in graph.successors(module_id):
            if successor in waiting:
                waiting[successor] -= 1
                if waiting[successor] == 0:
                    heapq.heappush(ready, key(successor))
    return order


def _size_specific(catalog: Catalog, module) -> bool:
    """Does the module exist for some company sizes only?"""
    return bool(module.sizes) and not set(catalog.sizes) <= set(module.sizes)


def _one_role(catalog: Catalog, module) -> bool:
    """Does the module exist for one role only?"""
    return len(module.roles) == 1 and module.roles[0] in catalog.roles


def _first_milestone_closure(catalog: Catalog, graph: nx.DiGraph, needed: set[str]) -> set[str]:
    """The first end-to-end milestone and everything it still needs: among the
    milestones of the lowest level in the path, the one finished soonest (the
    fewest hours of still-needed work; then earlier stage, then id). Empty
    when the path has no milestone."""
    milestones = [catalog.modules[m] for m in needed if catalog.modules[m].is_milestone]
    if not milestones:
        return set()
    lowest = min(_LEVEL_RANK[m.level] for m in milestones)
    candidates = sorted((m for m in milestones if _LEVEL_RANK[m.level] == lowest),
                        key=lambda m: (_STAGE_RANK[m.stage], m.id))
    best_hours, best = math.inf, set()
    for milestone in candidates:
        found = _closure_within(catalog, graph, milestone.id, needed, best_hours)
        if found is not None:
            best_hours, best = found
    return best


def _closure_within(catalog: Catalog, graph: nx.DiGraph, module_id: str, needed: set[str], limit: float):
    """(hours, modules) of `module_id` with everything in `needed` it depends
    on, or None as soon as the hours reach `limit` (a better one is known)."""
    closure = {module_id}
    hours = catalog.modules[module_id].hours
    stack = [module_id]
    while stack:
        for prerequisite in graph.predecessors(stack.pop()):
            if prerequisite in needed and prerequisite not in closure:
                closure.add(prerequisite)
                hours += catalog.modules[prerequisite].hours
                if hours >= limit:
                    return None
                stack.append(prerequisite)
    return (hours, closure) if hours < limit else None


def _reasons(module_id, targets, goals, graph, position) -> tuple[Reason, ...]:
    reasons = []
    if module_id in targets:
        reasons.append(Reason("target"))
    if module_id in goals:
        reasons.append(Reason("goal"))
    dependants = sorted((s for s in graph.successors(module_id) if s in position), key=position.get)
    reasons += [Reason("prerequisite", s) for s in dependants]
    return tuple(reasons)


def why_on_path(catalog: Catalog, module_id: str, profile: Profile, reasons: Sequence[Reason]) -> str:
    """Why `module_id` is on this path (its structured `reasons`: a target, a
    goal, the modules that need it in path order), in one or two sentences
    of inline Markdown. A target or a goal: the module's `why_for` the role (or else
    its `why`), then its `why_for` the size; a goal says the person asked for
    it. Only a prerequisite: "Needed for <the first module on the path that
    needs it>: <that edge's `because`>" (the first dependant whose edge says
    why, if the first does not), else the module's own reason. Without any
    such text (a catalog with no `why`), the first sentence of its summary
    (or of its description, where it has no summary)."""
    module = catalog.modules[module_id]
    own = module.why_for_audience(profile.role) or module.why
    kinds = {reason.kind for reason in reasons}
    goal = "goal" in kinds
    if goal or "target" in kinds:
        parts = ["You asked for this module as a goal."] if goal else []
        size = module.why_for_audience(profile.size)
        parts += [text for text in (own, size) if text]
        if not own and not size:
            if not goal:
                role, company = catalog.roles[profile.role], catalog.sizes[profile.size]
                parts.append(f"Part of every {_in_sentence(role.title)} path at a {company.title.lower()}.")
            parts.append(_first_sentence(module.summary or module.description))
        return _one_paragraph(parts)
    dependants = [catalog.modules[reason.module] for reason in reasons if reason.kind == "prerequisite"]
    explained = next((d for d in dependants if d.because_of(module_id)), None)
    if explained is not None:
        return _one_paragraph([f"Needed for {explained.title}: {explained.because_of(module_id)}"])
    needed_for = [f"Needed for {dependants[0].title}."] if dependants else []
    return _one_paragraph([*needed_for, own or _first_sentence(module.summary or module.description)])


def _first_sentence(text: str) -> str:
    """The first sentence of a Markdown text (its first paragraph if no
    sentence ends in it), on one line."""
    paragraph = " ".join(text.strip().split("\n\n", 1)[0].split())
    return re.split(r"(?<=[.!?])\s+(?=[A-Z0-9`*_\[(\"'])", paragraph, maxsplit=1)[0]


def _in_sentence(title: str) -> str:
    """A title inside a sentence: 'Software engineer' -> 'software engineer',
    but 'ML engineer' stays."""
    return title[0].lower() + title[1:] if len(title) > 1 and title[0].isupper() and title[1].islower() else title


def _one_paragraph(parts) -> str:
    return " ".join(" ".join(str(part).split()) for part in parts if part and part.strip())


def _prerequisites_first(catalog: Catalog, graph: nx.DiGraph, modules: set[str]) -> tuple[str, ...]:
    """`modules` with each after its prerequisites among them; else by level,
    stage and id: a stable order to read a list in."""
    def key(module_id: str) -> tuple:
        module = catalog.modules[module_id]
        return (_LEVEL_RANK[module.level], _STAGE_RANK[module.stage], module_id)

    return tuple(nx.lexicographical_topological_sort(graph.subgraph(modules), key=key))


def _round(value: float) -> float:
    # Hours are human estimates; rounding hides float noise such as 2.9999999.
    return round(value, 6)
