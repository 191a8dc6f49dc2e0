"""The data model: frozen dataclasses shared by every pipeline stage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from .schedule import CohortSettings

# Lifecycle order of an end-to-end ML system; planning prefers earlier stages.
STAGES = (
    "foundations",
    "problem-framing",
    "data",
    "modeling",
    "evaluation",
    "deployment",
    "monitoring",
    "team-practice",
)
LEVELS = ("foundation", "practitioner", "advanced")
RESOURCE_KINDS = ("course", "docs", "article", "paper", "video", "book", "repo")
# A module tagged with this is an end-to-end milestone: a thin slice through
# data, baseline, evaluation, deployment and monitoring.
MILESTONE_TAG = "capstone"
ALL_ROLES = "all"


@dataclass(frozen=True)
class Location:
    path: str
    line: int


@dataclass(frozen=True)
class Resource:
    title: str
    url: str
    kind: str
    hours: float | None = None


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    hours: float
    level: str
    location: Location
    prerequisites: tuple[str, ...] = ()
    stage: str | None = None
    roles: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    summary: str = ""
    description: str = ""
    outcomes: tuple[str, ...] = ()
    exercise: str = ""
    assessment: str = ""
    standard_models: tuple[str, ...] = ()
    resources: tuple[Resource, ...] = ()
    tags: tuple[str, ...] = ()
    # Why the module is worth its hours, to the learner; and per role or size
    # id, a sentence for that audience: (id, text) pairs in file order.
    why: str = ""
    why_for: tuple[tuple[str, str], ...] = ()
    # Ids of modules merged into or renamed to this one.
    replaces: tuple[str, ...] = ()
    # What this module uses from a prerequisite: (prerequisite id, text) pairs,
    # in the order of `prerequisites`, for the edges that say.
    because: tuple[tuple[str, str], ...] = ()
    # Line of each field and list item, keyed like ("roles", 2); for messages only.
    lines: dict[tuple, int] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, *key) -> int:
        return self.lines.get(tuple(key), self.location.line)

    def why_for_audience(self, audience: str) -> str:
        """The `why_for` text for a role or size id, or ''."""
        return next((text for key, text in self.why_for if key == audience), "")

    def because_of(self, prerequisite: str) -> str:
        """What this module uses from `prerequisite`, or '' when it does not say."""
        return next((text for key, text in self.because if key == prerequisite), "")

    @property
    def is_milestone(self) -> bool:
        return MILESTONE_TAG in self.tags

    def targets(self, role: str, size: str) -> bool:
        """Is this module a core target for `role` at a company of `size`?"""
        role_ok = role in self.roles or ALL_ROLES in self.roles
        return role_ok and (not self.sizes or size in self.sizes)


@dataclass(frozen=True)
class Role:
    id: str
    title: str
    description: str = ""
    why: str = ""
    # Modules people in this role usually know: left out of their paths
    # unless named as goals, and listed on their syllabi as assumed.
    assumes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Size:
    id: str
    title: str
    description: str = ""
    why: str = ""


@dataclass(frozen=True)
class Facilitation:
    """Who leads group sessions by default: a role (at `sizes`, or every
    size when empty) may facilitate `hours_per_week`, leading sessions in
    the `leads` stages first."""

    role: str
    hours_per_week: float
    sizes: tuple[str, ...] = ()
    leads: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    """Modules (keyed by id, in id order), roles and sizes (in the order the
    catalogs define them)."""

    modules: dict[str, Module]
    roles: dict[str, Role]
    sizes: dict[str, Size]
    # "Why this path" text for a (role, size) pair, where the catalog has one.
    path_why: dict[tuple[str, str], str] = field(default_factory=dict)
    # Settings of `curriculum lint` (the `lint` section of catalog.yaml files).
    lint: dict[str, object] = field(default_factory=dict)
    facilitation: tuple[Facilitation, ...] = ()
    # Old module id -> the module that `replaces` it, in old-id order.
    replaced: dict[str, str] = field(default_factory=dict)
    # A module's xAPI activity id is this followed by its id (`progress.activity_id`).
    activity_base: str = "urn:curriculum:module:"

    def resolve(self, module_id: str) -> str:
        """The id of the module now standing for `module_id` (itself unless replaced)."""
        return self.replaced.get(module_id, module_id)

    def resolve_all(self, module_ids) -> tuple[str, ...]:
        """`module_ids` resolved, each once, in the order given."""
        return tuple(dict.fromkeys(self.resolve(m) for m in module_ids))

    def facilitation_for(self, role: str, size: str | None) -> Facilitation:
        """The default for `role` at `size`: a rule naming the size wins over
        one for every size, a later catalog's over an earlier one's."""
        best = None
        for rule in self.facilitation:
            if rule.role == role and (not rule.sizes or size in rule.sizes):
                if best is None or bool(rule.sizes) >= bool(best.sizes):
                    best = rule
        return best or Facilitation(role, 0.0)

    def why(self, role: str, size: str) -> str:
        specific = self.path_why.get((role, size))
        if specific:
            return specific
        parts = (self.roles[role].why, self.sizes[size].why)
        return "\n\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Profile:
    role: str
    size: str
    knows: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()
    hours_per_week: float = 5.0
    start: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a module is in a path: it is a target, a goal, or needed by another."""

    kind: str  # "target", "goal" or "prerequisite"
    module: str | None = None  # for "prerequisite": the module that needs it


@dataclass(frozen=True, slots=True)
class Step:
    """One module placed in a path and on the schedule."""

    module: Module
    reasons: tuple[Reason, ...]
    week: int  # first week it is worked on (1-based)
    end_week: int  # last week it is worked on
    start_hour: float  # hours of the modules before it in the syllabus
    hours_by_week: tuple[tuple[int, float], ...] = ()  # (week, hours studied), summing to the module's hours
    cohort: str | None = None  # the group session it is taken in, in a team plan
    solo_week: int | None = None  # the week it would start in the person's solo plan
    note: str = ""  # why a team plan places it differently from the solo plan
    # Why it is on this path for this role and size, to the reader: one or two
    # sentences of inline Markdown.
    why: str = ""
    # From progress: "done", "tested-out", "in-progress", or "planned" (nothing reported).
    status: str = "planned"
    done_date: dt.date | None = None  # when done or tested out, as reported

    def start_date(self, start: dt.date | None) -> dt.date | None:
        return week_start(start, self.week)


@dataclass(frozen=True)
class Plan:
    profile: Profile
    role: Role
    size: Size
    why: str
    steps: tuple[Step, ...]
    total_hours: float
    weeks: int
    # Modules the role assumes known that would otherwise be on the path,
    # prerequisites first: "take it if unsure".
    assumed: tuple[Module, ...] = ()
    activity_base: str = "urn:curriculum:module:"  # the catalog's: a module's xAPI activity id starts so

    @cached_property
    def titles(self) -> dict[str, str]:
        return {step.module.id: step.module.title for step in self.steps}

    @property
    def slug(self) -> str:
        return f"{self.role.id}-{self.size.id}"

    @property
    def first_milestone(self) -> Step | None:
        return next((s for s in self.steps if s.module.is_milestone), None)

    @property
    def end_date(self) -> dt.date | None:
        if self.profile.start is None or not self.weeks:
            return None
        return self.profile.start + dt.timedelta(days=7 * self.weeks - 1)


def week_start(start: dt.date | None, week: int) -> dt.date | None:
    return None if start is None else start + dt.timedelta(weeks=week - 1)


def week_of(start: dt.date, date: dt.date) -> int:
    """The week `date` falls in (week 1 starts on `start`); before the start, week 1."""
    return max(1, (date - start).days // 7 + 1)


# Progress statuses that mean a module is behind the person: it stays where it happened.
FINISHED = ("done", "tested-out")


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    email: str = ""
    knows: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()
    hours_per_week: float = 5.0
    pairs_with: tuple[str, ...] = ()
    line: int = 1  # of the member's entry (or CSV row) in the team file
    # Hours a week this person may spend facilitating group sessions; None:
    # the catalog's default for their role and company size.
    facilitation_hours_per_week: float | None = None


READINESS_QUESTIONS = {
    "ml_can_solve": "Is this a problem ML can solve?",
    "training_data": "Can we label or acquire training data?",
    "business_critical": "Is it crucial to the business?",
}


@dataclass(frozen=True)
class Team:
    name: str
    size: str | None
    start: dt.date | None
    members: tuple[Member, ...]
    # The three questions before investing, each answered yes (True) or not;
    # None when the file does not say.
    readiness: dict[str, bool] | None = field(default=None, compare=False)
    source: str = ""
    # How group sessions are formed; None plans everyone alone (--no-cohorts).
    cohorts: CohortSettings | None = CohortSettings()
    target_date: dt.date | None = None  # when everyone should have finished, if the file says


@dataclass(frozen=True, slots=True)
class Cohort:
    """A group session: members who take a module together, starting in the
    same week, led by a facilitator from the team (None: an external one)."""

    id: str
    module: Module
    week: int  # the week the attendees start the module together
    end_week: int  # the last week an attendee works on it
    hours: float  # contact hours of the session
    attendees: tuple[str, ...]  # member names
    facilitator: str | None = None


@dataclass(frozen=True, slots=True)
class MemberSchedule:
    """What the team schedule means for one member."""

    solo_weeks: int  # weeks of their solo plan (`curriculum path`)
    delay_weeks: int  # weeks of the team plan minus solo_weeks
    facilitation_hours_per_week: float
    facilitates: tuple[str, ...]  # session ids
    weekly_hours: tuple[tuple[int, float, float], ...]  # (week, study hours, facilitation hours)


@dataclass(frozen=True)
class MemberProgress:
    """Where a member stands on the as-of date, against the baseline plan."""

    done_hours: float  # of the modules on their path done or tested out
    planned_done_hours: float  # what the baseline had planned by the as-of date
    status: str  # "ahead", "on track" or "behind"
    weeks_behind: int  # whole weeks of study hours behind the baseline (0 unless behind)
    forecast_end_date: dt.date  # the last day of the re-planned schedule
    baseline_end_date: dt.date
    at_risk: bool  # the forecast misses the team's target date, or the baseline's end by over 4 weeks
    extra: tuple[str, ...] = ()  # module ids done that are not on their path


@dataclass(frozen=True)
class ScheduleSummary:
    """How well the team schedule teaches shared modules in groups."""

    solver: str  # "greedy" or "cp-sat"
    optimal: bool  # proven best under the model's objective
    gap: float | None  # how far below the best possible it may be (0..1), where known
    grouped_hours: float  # learner-hours taught in sessions
    shareable_hours: float  # learner-hours of modules at least min_size members have
    mean_delay_weeks: float
    max_delay_weeks: int
    facilitation_hours: float  # contact hours led by members
    external_sessions: int  # sessions that need a facilitator from outside


@dataclass(frozen=True)
class Advice:
    """Structure advice from the teaching stance, for a team."""

    code: str
    message: str
    line: int = 1  # in the team file, where one member is concerned


@dataclass(frozen=True)
class TeamPlan:
    team: Team
    plans: tuple[tuple[Member, Plan], ...]
    cohorts: tuple[Cohort, ...]
    advice: tuple[Advice, ...]
    slugs: dict[str, str] = field(compare=False)  # member name -> file name
    schedule: ScheduleSummary | None = None
    members: dict[str, MemberSchedule] = field(default_factory=dict, compare=False)  # by member name
    # Shareable modules some members study alone: (module id, member names, why)
    alone: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    # Re-planned from progress: the as-of date, each member's standing (by
    # name), and what moved against the baseline: (member, module id, week
    # before, week now), by member then module.
    as_of: dt.date | None = None
    progress: dict[str, MemberProgress] = field(default_factory=dict, compare=False)
    moved: tuple[tuple[str, str, int, int], ...] = ()
    # The team's learner hours by week, cumulative: (week, planned in the
    # baseline, done (up to the as-of week, else None), forecast (from the
    # as-of week on, else None)).
    burn_up: tuple[tuple[int, float, float | None, float | None], ...] = ()
    # Calendar events whose dates or attendees differ from the baseline's:
    # (member name, module id), or ("session", session id).
    changed: frozenset = frozenset()

    @property
    def total_hours(self) -> float:
        return round(sum(plan.total_hours for _, plan in self.plans), 6)

    @property
    def weeks(self) -> int:
        return max((plan.weeks for _, plan in self.plans), default=0)

    @property
    def end_date(self) -> dt.date | None:
        if self.team.start is None or not self.weeks:
            return None
        return self.team.start + dt.timedelta(days=7 * self.weeks - 1)

    @property
    def facilitator_hours(self) -> float:
        """Contact hours of all sessions, whoever leads them."""
        return round(sum(c.hours for c in self.cohorts), 6)

    @property
    def separate_sessions(self) -> int:
        return sum(len(c.attendees) for c in self.cohorts)

    @property
    def separate_hours(self) -> float:
        """Hours a facilitator would spend teaching each attendee one by one."""
        return round(sum(c.hours * len(c.attendees) for c in self.cohorts), 6)


def readiness_gaps(team: Team) -> list[str]:
    """The readiness questions not answered yes (none when the file is silent)."""
    if team.readiness is None:
        return []
    return [q for q in READINESS_QUESTIONS if not team.readiness.get(q, False)]
