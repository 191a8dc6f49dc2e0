"""Lint: hold a catalog and its paths to the teaching stance.

Each check has a stable code, a severity and a rationale (shown by
`curriculum lint --explain CODE` and in the README). What the checks look
for (which tags mark pairing or platform modules, which roles are engineers,
plausible hour ranges) is data: the `lint` section of `catalog.yaml`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from .graph import ancestors_of
from .model import Catalog, Module, Plan

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Check:
    code: str
    severity: str
    title: str
    rationale: str


CHECKS = {
    check.code: check
    for check in (
        Check("C101", WARNING, "module reached by no role x size path",
              "A module no path reaches is never taught. Give it `roles`, make it a prerequisite, "
              "or tag it as an elective (lint.elective_tags) if it is meant only as a --goal."),
        Check("C102", WARNING, "module without resources",
              "Learners need somewhere to learn from: at least one stable, reputable resource."),
        Check("C103", WARNING, "module without outcomes",
              "Outcomes say what the learner can do afterwards; without them a manager cannot assess the module."),
        Check("C104", WARNING, "duplicate or near-duplicate title",
              "Two modules with (almost) the same title confuse learners and usually mean duplicated content."),
        Check("C105", WARNING, "resource URL that is not https",
              "Plain http links are open to tampering and are often old links that have moved."),
        Check("C106", ERROR, "malformed resource URL",
              "A link without a valid host cannot work."),
        Check("C107", WARNING, "implausible hours",
              "Module hours outside lint.module_hours are usually a typo (minutes for hours) or a module "
              "that should be split."),
        Check("C108", WARNING, "reading takes most of the module's hours",
              "A module's hours cover its reading and its exercise. When the resources' hours add up to more "
              "than lint.max_reading_share of the module's hours, the exercise has too little time or the "
              "hours are understated: a manager budgeting from them will be wrong. Raise the hours to what "
              "the exercise really takes, or trim the reading."),
        Check("C109", WARNING, "module without a why",
              "Each syllabus tells the reader why a module is on their path, in the module's own words "
              "(`why`, `why_for`) or the prerequisite edge's (`because`). Without a `why` a module that is "
              "a target falls back to its summary, which says what it is, not why it is worth the hours."),
        Check("S201", ERROR, "path without an end-to-end capstone",
              "Every path must ship a thin end-to-end system (data, baseline, evaluation, deployment, "
              "monitoring): a module tagged `capstone`."),
        Check("S202", WARNING, "first end-to-end milestone comes late",
              "Get an end-to-end system working first, then improve each step: the first capstone should be "
              "finished within the first lint.first_milestone_share of the path's hours."),
        Check("S203", ERROR, "custom or research module without the standard approach first",
              "Start from standard, open-source models: an advanced custom-architecture or research module "
              "must have a module teaching standard models (one with `standard_models`) among its prerequisites."),
        Check("S204", ERROR, "large-company path builds in-house infrastructure before adopting standard tools",
              "Large companies adopt standard open-source platforms rather than build their own stack: a module "
              "tagged as in-house infrastructure must come after a platform-adoption module."),
        Check("S205", WARNING, "medium-company engineer path without pairing",
              "At a medium company engineers learn from one strong researcher: their paths need a pairing or "
              "knowledge-transfer module (lint.pairing_tags)."),
        Check("S206", WARNING, "path hours outside the realistic range",
              "A path much shorter than lint.path_hours cannot cover the lifecycle; a much longer one is not "
              "finished alongside a job."),
        Check("S207", WARNING, "path without problem framing",
              "Before investing, a team answers: can ML solve it, can we get labelled data, is it crucial to "
              "the business? Every path needs a problem-framing module."),
        Check("T301", WARNING, "medium-company team with more ML researchers than ML engineers",
              "At a medium company one strong researcher is surrounded by engineers who learn from them: "
              "more ML engineers than scientists, paired on tasks."),
        Check("T302", WARNING, "researcher not paired with an engineer",
              "Engineers learn ML fastest by pairing with a researcher on real tasks, and researchers learn "
              "engineering the same way. Name pairs with `pairs_with`; the advice suggests the engineer who "
              "shares the most modules."),
        Check("T303", WARNING, "small-company team where nobody covers deployment and monitoring",
              "At a small company one practitioner owns the system end to end, so someone's path must cover "
              "deployment and monitoring."),
        Check("T304", WARNING, "readiness questions not all answered yes",
              "Before investing, answer: can ML solve it, can we label or acquire training data, is it crucial "
              "to the business? Until all are yes, the manager's path gets a problem-framing module "
              "(lint.readiness_module)."),
        Check("T305", WARNING, "medium-company team whose sessions all need external facilitators",
              "At a medium company the team's strong researcher teaches the engineers. If every group session "
              "still needs someone from outside, the researcher's knowledge is not on the calendar: record what "
              "they know (`knows`) or give them facilitation hours."),
        Check("T306", WARNING, "facilitator at the limit of their hours for most of the plan",
              "Someone who facilitates at the limit of their facilitation hours in more than half the plan's "
              "weeks is a bottleneck and will drop sessions when work gets busy: share the sessions or raise "
              "their facilitation_hours_per_week deliberately."),
    )
}


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    where: str  # "file:line" or "path ROLE/SIZE"

    @property
    def severity(self) -> str:
        return CHECKS[self.code].severity

    def __str__(self) -> str:
        return f"{self.where}: {self.severity} {self.code}: {self.message}"


@dataclass(frozen=True)
class LintSettings:
    engineer_roles: tuple[str, ...] = ()
    ml_engineer_roles: tuple[str, ...] = ()
    researcher_roles: tuple[str, ...] = ()
    manager_roles: tuple[str, ...] = ()
    solo_sizes: tuple[str, ...] = ()
    readiness_module: str = ""
    pairing_sizes: tuple[str, ...] = ()
    platform_sizes: tuple[str, ...] = ()
    pairing_tags: tuple[str, ...] = ()
    adopt_platform_tags: tuple[str, ...] = ()
    in_house_tags: tuple[str, ...] = ()
    custom_tags: tuple[str, ...] = ()
    elective_tags: tuple[str, ...] = ()
    path_hours: tuple[float, float] = (0, float("inf"))
    module_hours: tuple[float, float] = (0, float("inf"))
    max_reading_share: float = 1.0
    first_milestone_share: float = 1.0
    title_similarity: float = 1.0  # how alike two words must be to count as one misspelt

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> LintSettings:
        data = catalog.lint
        tuples = {k: tuple(v) for k, v in data.items() if isinstance(v, list)}
        scalars = {k: v for k, v in data.items() if not isinstance(v, list)}
        if isinstance(scalars.get("readiness_module"), str):  # an old id names the module replacing it
            scalars["readiness_module"] = catalog.resolve(scalars["readiness_module"])
        return cls(**tuples, **scalars)


def lint_catalog(catalog: Catalog, graph, all_plans: Sequence[Plan], plans: Sequence[Plan]) -> list[Finding]:
    """Catalog checks over every module (reachability judged over `all_plans`),
    and stance checks over `plans`."""
    settings = LintSettings.from_catalog(catalog)
    findings: list[Finding] = []
    reached = {step.module.id for plan in all_plans for step in plan.steps}
    for module in catalog.modules.values():
        findings += _module_findings(module, settings, graph, catalog, reached)
    findings += _duplicate_titles(catalog.modules.values(), settings)
    for plan in plans:
        findings += _path_findings(plan, settings)
    return sorted(findings, key=_finding_order)


def _finding_order(finding: Finding) -> tuple:
    # Files by path and line number, then paths by name.
    where = finding.where
    match = re.fullmatch(r"(.*):(\d+)", where)
    if match:
        return (0, match.group(1), int(match.group(2)), finding.code, finding.message)
    return (1, where, 0, finding.code, finding.message)


def _at(module: Module, *key) -> str:
    return f"{module.location.path}:{module.line_of(*key)}"


def _module_findings(module: Module, settings: LintSettings, graph, catalog: Catalog, reached) -> list[Finding]:
    found = []
    if module.id not in reached and not set(module.tags) & set(settings.elective_tags):
        found.append(Finding("C101", f"module '{module.id}' is in no role x size path", _at(module)))
    if not module.resources:
        found.append(Finding("C102", f"module '{module.id}' lists no resources", _at(module)))
    if not module.outcomes:
        found.append(Finding("C103", f"module '{module.id}' lists no outcomes", _at(module)))
    for index, resource in enumerate(module.resources):
        where = _at(module, "resources", index)
        parts = urlsplit(resource.url)
        host = parts.hostname or ""
        if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+", host):
            found.append(Finding("C106", f"resource URL {resource.url!r} has no valid host", where))
        elif parts.scheme != "https":
            found.append(Finding("C105", f"resource URL {resource.url!r} is not https", where))
    low, high = settings.module_hours
    if not low <= module.hours <= high:
        found.append(Finding(
            "C107", f"module '{module.id}' takes {module.hours:g} hours, outside {low:g}-{high:g}", _at(module, "hours")
        ))
    reading = sum(resource.hours or 0 for resource in module.resources)
    if reading > settings.max_reading_share * module.hours + 1e-9:
        found.append(Finding(
            "C108",
            f"module '{module.id}' lists {reading:g} hours of reading in {module.hours:g} hours "
            f"({reading / module.hours:.0%}); at most {settings.max_reading_share:.0%} leaves time for the exercise",
            _at(module, "hours"),
        ))
    if not module.why:
        found.append(Finding("C109", f"module '{module.id}' has no 'why' (why it is worth the hours)", _at(module)))
    if set(module.tags) & set(settings.custom_tags) and not _has_standard_prerequisite(module, graph, catalog):
        found.append(Finding(
            "S203",
            f"module '{module.id}' teaches custom architectures or research methods but no prerequisite "
            "teaches the standard approach (a module with standard_models)",
            _at(module),
        ))
    return found


def _has_standard_prerequisite(module: Module, graph, catalog: Catalog) -> bool:
    return any(catalog.modules[p].standard_models for p in ancestors_of(graph, [module.id]))


# Fuzzy title comparison is quadratic; above this many modules only titles
# with the same words are reported.
FUZZY_TITLE_LIMIT = 5000
_STOPWORDS = frozenset("a an and for in into of on the to with".split())


def _title_words(title: str) -> tuple[str, ...]:
    """Lower-case words without stopwords or a plural 's': 'Intro to Models'
    and 'intro model' have the same words."""
    words = re.findall(r"[a-z0-9+#]+", title.lower())
    return tuple(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                 for w in words if w not in _STOPWORDS)


def _duplicate_titles(modules: Iterable[Module], settings: LintSettings) -> list[Finding]:
    titled = sorted(((_title_words(m.title), m.location.path, m.location.line, m.id), m) for m in modules)
    found = []
    first_with: dict[tuple[str, ...], Module] = {}
    for (words, *_), module in titled:
        key = tuple(sorted(words))
        if key in first_with:
            found.append(_duplicate(module, first_with[key]))
        else:
            first_with[key] = module
    if len(first_with) <= FUZZY_TITLE_LIMIT:
        by_count: dict[int, list] = {}
        for key, module in first_with.items():
            by_count.setdefault(len(key), []).append((key, module))
        for group in by_count.values():
            for index, (words, module) in enumerate(group):
                for other_words, other in group[index + 1:]:
                    if _typo_apart(words, other_words, settings.title_similarity):
                        found.append(_duplicate(other, module))
    return found


def _typo_apart(words: tuple[str, ...], other: tuple[str, ...], similarity: float) -> bool:
    """Same number of words, each within a typo of its counterpart: 'Modelling
    basics' and 'Modeling basics', but not 'Part 1' and 'Part 2'."""
    return all(
        a == b or (len(a) > 3 and difflib.SequenceMatcher(None, a, b).ratio() >= similarity)
        for a, b in zip(words, other)
    )


def _duplicate(module: Module, earlier: Module) -> Finding:
    return Finding(
        "C104",
        f"title of '{module.id}' is the same as or very close to that of '{earlier.id}' "
        f"({earlier.location.path}:{earlier.location.line})",
        _at(module, "title"),
    )


def _path_findings(plan: Plan, settings: LintSettings) -> list[Finding]:
    where = f"path {plan.role.id}/{plan.size.id}"
    found = []
    modules = [step.module for step in plan.steps]
    milestone = plan.first_milestone
    if milestone is None:
        found.append(Finding("S201", "no end-to-end capstone (a module tagged 'capstone') in the path", where))
    elif plan.total_hours:
        done = milestone.start_hour + milestone.module.hours
        share = done / plan.total_hours
        if share > settings.first_milestone_share:
            found.append(Finding(
                "S202",
                f"first end-to-end milestone '{milestone.module.id}' is done after {done:g} of "
                f"{plan.total_hours:g} hours ({share:.0%}); aim for the first {settings.first_milestone_share:.0%}",
                where,
            ))
    if plan.size.id in settings.platform_sizes:
        adopted = False
        for module in modules:
            tags = set(module.tags)
            adopted = adopted or bool(tags & set(settings.adopt_platform_tags))
            if tags & set(settings.in_house_tags) and not adopted:
                found.append(Finding(
                    "S204",
                    f"'{module.id}' teaches building in-house ML infrastructure before any module adopting "
                    "standard open-source platforms",
                    where,
                ))
    if plan.size.id in settings.pairing_sizes and plan.role.id in settings.engineer_roles:
        if not any(set(m.tags) & set(settings.pairing_tags) for m in modules):
            found.append(Finding("S205", "no pairing or knowledge-transfer module in a medium-company engineer path", where))
    low, high = settings.path_hours
    if not low <= plan.total_hours <= high:
        found.append(Finding("S206", f"path takes {plan.total_hours:g} hours, outside {low:g}-{high:g}", where))
    if not any(m.stage == "problem-framing" for m in modules):
        found.append(Finding("S207", "no problem-framing module (the three questions before investing)", where))
    return found
