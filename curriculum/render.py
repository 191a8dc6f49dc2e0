"""Render stage: plans -> pages (relative path -> text). Nothing here touches
the output folder; `write` does that.

Templates are looked up in the user's directories first, then the built-in
ones, which are also reachable as `builtin/<name>` so a user template can
extend a built-in one and override a single block.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from . import diagrams, resources
from .shape import team_shape
from .cache import bytecode_cache
from .errors import CurriculumError
from .forked import render_split
from .model import (
    LEVELS, READINESS_QUESTIONS, STAGES, Cohort, Member, MemberProgress, Plan, Reason, ScheduleSummary, Step, TeamPlan,
    readiness_gaps, week_start,
)
from .schedule import CohortSettings
from .safe_markdown import encode_destination, safe_inline, safe_markdown

FORMATS = ("md", "html", "json", "pdf")
JSON_SCHEMA_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Templates:
    """How pages are rendered: the user's template folders (searched before
    the built-in templates), the folder compiled templates are kept in
    between runs (None: none) and the browser that prints PDFs (None: the
    first Chromium or Chrome on the PATH). The command line decides them;
    the library reads no environment variable."""

    dirs: tuple[Path, ...] = ()
    cache_dir: Path | None = None
    browser: str | None = None


def make_environment(templates: Templates = Templates(), md_link_suffix: str = ".md") -> jinja2.Environment:
    """The template environment. Markdown pages link each other as NAME plus
    `md_link_suffix` (git wikis link pages without the .md)."""
    template_dirs = templates.dirs
    for directory in template_dirs:
        if not Path(directory).is_dir():
            raise CurriculumError("templates directory not found", directory)
    builtin = jinja2.FileSystemLoader(str(resources.builtin_templates_dir()))
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader([str(d) for d in template_dirs]), builtin,
         jinja2.PrefixLoader({"builtin": builtin})]
    )
    env = jinja2.Environment(
        loader=loader,
        bytecode_cache=bytecode_cache(templates.cache_dir),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2", "xml", "xml.j2"), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.extend(pdf_browser=templates.browser)
    env.filters.update(
        markdown=markdown_html,
        safe_url=safe_url,
        hours=format_hours,
        md_cell=md_cell,
        md_line=md_line,
        md_text=md_text,
        md_url=md_url,
        reason=reason_text,
        mermaid_label=diagrams.mermaid_label,
    )
    env.globals.update(
        STAGES=STAGES, LEVELS=LEVELS, stage_colours=diagrams.STAGE_COLOURS,
        # module_body(module, fmt, heading=4): the parts of a module that are the
        # same in every syllabus; `heading` is the level of their headings.
        module_body=_Memo(env, "module.{fmt}.j2", lambda module: module.id,
                          lambda module: {"module": module, "heading": 4}),
        path_map=_path_map(env),
        path_timeline=_Memo(env, "timeline.{fmt}.j2", _schedule_key,
                            lambda plan: {"timeline": diagrams.path_timeline(plan)}, strip_end=True),
        # A department's members share a few hundred schedules: their tables
        # and week lists are drawn once each.
        # A long syllabus's table and week list are grouped by month (see syllabus_outline).
        schedule_table=_Memo(env, "schedule_table.{fmt}.j2", _dated_schedule_key, _with_outline, strip_end=True),
        week_list=_Memo(env, "weeks.{fmt}.j2", _weeks_key, _with_outline, strip_end=True),
        team_timeline=diagrams.team_timeline, week_by_week=week_by_week, mermaid_map=diagrams.mermaid_map,
        page_link=lambda name: f"{name}{md_link_suffix}",
    )
    return env


class _Memo:
    """A template rendered once per distinct key and reused: in a department,
    most people share a handful of paths and every syllabus repeats modules.
    `subject` is what the key and the context are drawn from; keyword
    arguments are passed to the template and are part of the key too."""

    def __init__(self, env: jinja2.Environment, template: str, key, context, strip_end: bool = False):
        self.env, self.template, self.key, self.context = env, template, key, context
        # Strip the final line break where the calling template adds its own.
        self.strip_end = strip_end
        self.cache: dict[tuple, Markup | str] = {}

    def __call__(self, subject, fmt: str = "html", **extra):
        key = (fmt, self.key(subject), tuple(sorted(extra.items())))
        page = self.cache.get(key)
        if page is None:
            page = _render(self.env, self.template.format(fmt=fmt), **{**self.context(subject), **extra})
            if self.strip_end:
                page = page.rstrip("\n")
            page = Markup(page) if fmt == "html" else page  # rendered with autoescape: already safe
            self.cache[key] = page
        return page


def _path_map(env: jinja2.Environment):
    """path_map(plan, fmt): the map of a path. The HTML map depends only on
    which modules the path holds (see diagrams.prerequisite_graph), so a
    department whose members take the same modules in different orders draws
    it once; the Markdown map numbers modules in path order."""
    html = _Memo(env, "path_map.html.j2", _module_set_key,
                 lambda plan: {"graph": diagrams.prerequisite_graph(plan)}, strip_end=True)
    other = _Memo(env, "path_map.{fmt}.j2", _path_key, lambda plan: {"plan": plan}, strip_end=True)
    return lambda plan, fmt="html", **extra: (html if fmt == "html" else other)(plan, fmt, **extra)


def _module_set_key(plan: Plan) -> tuple:
    return tuple(sorted(step.module.id for step in plan.steps))


def _path_key(plan: Plan) -> tuple:
    return tuple(step.module.id for step in plan.steps)


def _schedule_key(plan: Plan) -> tuple:
    return tuple((step.module.id, step.week, step.end_week) for step in plan.steps)


def _dated_schedule_key(plan: Plan) -> tuple:
    return _schedule_key(plan), plan.weeks, plan.profile.start


def _weeks_key(plan: Plan) -> tuple:
    steps = tuple((step.module.id, step.hours_by_week) for step in plan.steps)
    # A long syllabus's weeks are grouped by calendar month from its start.
    return steps, plan.weeks, plan.profile.start if is_long(plan) else None


def _with_outline(plan: Plan) -> dict[str, Any]:
    return {"plan": plan, "outline": syllabus_outline(plan)}


def week_by_week(plan: Plan) -> list[tuple[int, list[str]]]:
    """Each week with the titles of the modules studied in it."""
    weeks: list[list[str]] = [[] for _ in range(plan.weeks)]
    for step in plan.steps:
        for week, _ in step.hours_by_week:
            weeks[week - 1].append(step.module.title)
    return list(enumerate(weeks, start=1))


# A syllabus of more than this many modules or weeks is long: grouped by
# month, with a table of contents (see `syllabus_outline`). The built-in
# paths (at most 36 modules; 50 weeks at 5 h/week, 63 at 4) stay flat: a
# few modules a month under a heading each would scatter them.
LONG_SYLLABUS_MODULES = 60
LONG_SYLLABUS_WEEKS = 104
# Months while a path has at most this many, then quarters, then years: a
# contents list of 28 months reads; one of a hundred does not.
MOST_GROUPS = 36
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


@dataclasses.dataclass(frozen=True)
class WeekGroup:
    """A month (or quarter, or year) of a long syllabus. Its `id` is an
    in-page anchor holding `_`, which no module id has."""

    id: str
    title: str  # "Month 3", or with a start date "March 2027"
    first_week: int
    last_week: int
    weeks: tuple[tuple[int, tuple[Step, ...]], ...]  # each week with the steps studied in it
    steps: tuple[tuple[int, Step], ...]  # the steps starting in it, with their numbers in the path
    hours: float  # of study in its weeks


@dataclasses.dataclass(frozen=True)
class Outline:
    """How a long syllabus is grouped: `period` ("month", "quarter" or
    "year"), its `groups` in order, and `opens`: the position in the path
    (from 0) of each group's first module, with the group."""

    period: str
    groups: tuple[WeekGroup, ...]
    opens: dict[int, WeekGroup]


def is_long(plan: Plan) -> bool:
    """Whether the syllabus is grouped by month (see LONG_SYLLABUS_MODULES)."""
    return len(plan.steps) > LONG_SYLLABUS_MODULES or plan.weeks > LONG_SYLLABUS_WEEKS


def syllabus_outline(plan: Plan) -> Outline | None:
    """The groups of a long syllabus, None for a short one. Groups are
    calendar months when the plan has a start date, else blocks of 4 weeks
    (quarters: 13 weeks, years: 52); a module belongs to the group of the
    week it starts in."""
    if not is_long(plan):
        return None
    start = plan.profile.start
    for period in ("month", "quarter", "year"):  # the first with few enough groups; else years
        key = _period_key(period, start)
        weeks_of: dict[Any, list[int]] = {}
        for week in range(1, plan.weeks + 1):
            weeks_of.setdefault(key(week), []).append(week)
        if len(weeks_of) <= MOST_GROUPS:
            break
    studied: list[list[Step]] = [[] for _ in range(plan.weeks)]
    hours: dict[Any, float] = {}
    for step in plan.steps:
        for week, spent in step.hours_by_week:
            studied[week - 1].append(step)
            hours[key(week)] = hours.get(key(week), 0) + spent
    starting: dict[Any, list[tuple[int, Step]]] = {}
    for number, step in enumerate(plan.steps, start=1):
        starting.setdefault(key(step.week), []).append((number, step))
    groups = []
    opens = {}
    for group_key, weeks in weeks_of.items():
        steps = tuple(starting.get(group_key, ()))
        group = WeekGroup(id=_period_id(period, group_key), title=_period_title(period, group_key, start),
                          first_week=weeks[0], last_week=weeks[-1],
                          weeks=tuple((week, tuple(studied[week - 1])) for week in weeks),
                          steps=steps, hours=round(hours.get(group_key, 0), 6))
        groups.append(group)
        if steps:
            opens[steps[0][0] - 1] = group
    return Outline(period, tuple(groups), opens)


_PERIOD_WEEKS = {"month": 4, "quarter": 13, "year": 52}


def _period_key(period: str, start: dt.date | None):
    """week -> the period it falls in: a number from 1, or with a start
    date the calendar (year, month), (year, quarter) or year of its first day."""
    if start is None:
        size = _PERIOD_WEEKS[period]
        return lambda week: (week - 1) // size + 1

    def calendar(week: int):
        day = week_start(start, week)
        if period == "month":
            return day.year, day.month
        if period == "quarter":
            return day.year, (day.month - 1) // 3 + 1
        return day.year

    return calendar


def _period_id(period: str, key) -> str:
    if isinstance(key, tuple):
        return f"{period}_{key[0]}-{key[1]:02d}"
    return f"{period}_{key}"


def _period_title(period: str, key, start: dt.date | None) -> str:
    if start is None:
        return f"{period.title()} {key}"
    if period == "month":
        return f"{_MONTHS[key[1] - 1]} {key[0]}"
    if period == "quarter":
        return f"Q{key[1]} {key[0]}"
    return str(key)


def render_plan(
    env: jinja2.Environment, plan: Plan, formats: Iterable[str], name: str | None = None,
    team_member: dict[str, Any] | None = None, assess_page: str | None = None,
) -> dict[str, str | bytes]:
    """The syllabus in each format, as `NAME.FORMAT` (NAME defaults to ROLE-SIZE);
    `team_member` (see `member_view`) adds how a team schedule differs from
    the solo plan; `assess_page` is the static site's self-assessment for
    the path, which the HTML syllabus links."""
    pages = {}
    outline = syllabus_outline(plan)
    for fmt in formats:
        page = f"{name or plan.slug}.{fmt}"
        if fmt == "json":
            pages[page] = to_json(plan_document(plan))
        else:
            pages[page] = _render_as(env, "syllabus", fmt, plan=plan, team_member=team_member, outline=outline,
                                     assess_page=assess_page)
    return pages


def _render_as(env: jinja2.Environment, template: str, fmt: str, **context: Any) -> str | bytes:
    """`template` in a text format, or for pdf its HTML printed to PDF."""
    if fmt == "pdf":
        from .pdf import html_to_pdf  # deferred: needs a browser

        return html_to_pdf(_render(env, f"{template}.html.j2", **context), env.pdf_browser)
    return _render(env, f"{template}.{fmt}.j2", **context)


def render_team(
    env: jinja2.Environment, team_plan: TeamPlan, formats: Iterable[str], exports: bool = True,
    stream: bool = False, two_processes: bool = False,
) -> Iterator[tuple[str, str | bytes | Iterator[str]]]:
    """Every member's syllabus, the team overview (index), and with json the
    team document, one page at a time (a department's pages need not all fit
    in memory); with `stream`, the overview comes in chunks (see
    `_render_stream`). The calendar and CSV come from the `exports` module;
    with `exports` false the overview does not link them. With
    `two_processes`, most syllabi are rendered by a forked copy of the
    process and come as UTF-8 bytes (see forked.py)."""
    formats = list(formats)
    overview = _team_overview(team_plan)
    sessions = sessions_by_id(overview)
    members = team_plan.plans

    def syllabus(index: int):
        member, plan = members[index]
        view = member_view(team_plan, sessions, member, plan)
        return render_plan(env, plan, formats, team_plan.slugs[member.name], view).items()

    if two_processes and "pdf" not in formats:  # pdf pages are bytes, printed by a browser of this process's
        yield from render_split(len(members), syllabus)
    else:
        for index in range(len(members)):
            yield from syllabus(index)
    yield from _overview_pages(env, team_plan, overview, formats, exports, stream)


def render_overview(
    env: jinja2.Environment, team_plan: TeamPlan, formats: Iterable[str], exports: bool = True,
) -> dict[str, str | bytes]:
    """The team overview (and with json the team document) without the
    members' syllabi, as `render_team` renders it."""
    return dict(_overview_pages(env, team_plan, _team_overview(team_plan), list(formats), exports, False))


def _overview_pages(
    env: jinja2.Environment, team_plan: TeamPlan, overview: dict[str, Any], formats: list[str], exports: bool,
    stream: bool,
) -> Iterator[tuple[str, str | Iterator[str]]]:
    for fmt in formats:
        if fmt == "json":
            yield "team.json", to_json(team_document(team_plan))
        else:
            context = dict(team=team_plan, exports=exports, **overview)
            if stream and fmt in ("md", "html"):
                yield f"index.{fmt}", _render_stream(env, f"team.{fmt}.j2", **context)
            else:
                yield f"index.{fmt}", _render_as(env, "team", fmt, **context)


def _team_overview(team_plan: TeamPlan) -> dict[str, Any]:
    """What a team overview shows, precomputed so templates stay simple: the
    schedule's totals (`figures`), every session, each person's delay and
    facilitation (`people`, by name), shared modules studied alone, and the
    members x modules matrix; for a large team, its `shape` (see shape.py),
    else None. Linear in the plan's size: a department of thousands renders
    in one pass."""
    earliest: dict[str, tuple[int, int]] = {}  # module -> (first week, first position) in anyone's path
    modules = {}
    cells: dict[tuple[str, str], str] = {}
    for member, plan in team_plan.plans:
        for position, step in enumerate(plan.steps):
            module_id = step.module.id
            modules[module_id] = step.module
            earliest[module_id] = min(earliest.get(module_id, (step.week, position)), (step.week, position))
            cells[(member.name, module_id)] = _span(step.week, step.end_week)
    columns = [modules[m] for m in sorted(modules, key=lambda m: (earliest[m], m))]
    people = {
        name: {"delay_weeks": schedule.delay_weeks, "facilitation_hours_per_week": schedule.facilitation_hours_per_week,
               "sessions_led": len(schedule.facilitates)}
        for name, schedule in team_plan.members.items()
    }
    alone = [{"module": modules[module], "members": ", ".join(names), "people": len(names), "why": why}
             for module, names, why in team_plan.alone]
    return {"columns": columns, "cells": cells, "readiness_gaps": readiness_gaps(team_plan.team),
            "questions": READINESS_QUESTIONS, "figures": _figures(team_plan),
            "sessions": [_session(c) for c in team_plan.cohorts], "people": people, "alone": alone,
            "progress": _progress_overview(team_plan), "shape": team_shape(team_plan)}


MOVED_SHOWN = 200  # an overview lists this many moves; team.json has them all
ATTENTION_SHOWN = 200  # a large team's overview lists this many of the people behind or at risk


def _progress_overview(team_plan: TeamPlan) -> dict[str, Any] | None:
    """Where the team stands on the as-of date: people at risk or behind
    first (`attention`: only those, as a large team's overview lists them),
    the burn-up chart, and what moved since the baseline."""
    if team_plan.as_of is None:
        return None
    order = {"behind": 0, "on track": 1, "ahead": 2}
    people = sorted(((member, team_plan.progress[member.name]) for member, _ in team_plan.plans),
                    key=lambda item: (not item[1].at_risk, order[item[1].status], -item[1].weeks_behind,
                                      item[0].name))
    titles = {step.module.id: step.module.title for _, plan in team_plan.plans for step in plan.steps}
    moved = [{"member": name, "title": titles[module], "before": before, "now": now}
             for name, module, before, now in team_plan.moved[:MOVED_SHOWN]]
    attention = [(member, standing) for member, standing in people if standing.at_risk or standing.status == "behind"]
    return {"as_of": team_plan.as_of, "people": people, "moved": moved, "moved_count": len(team_plan.moved),
            "attention": attention[:ATTENTION_SHOWN], "attention_count": len(attention),
            "behind": sum(p.status == "behind" for _, p in people), "at_risk": sum(p.at_risk for _, p in people),
            "burn_up": team_plan.burn_up, "chart": diagrams.burn_up_chart(team_plan.burn_up)}


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _session(cohort: Cohort) -> dict[str, Any]:
    """A group session as every page shows it; `facilitator` None is external."""
    return {"id": cohort.id, "module": cohort.module, "week": cohort.week, "end_week": cohort.end_week,
            "weeks": _span(cohort.week, cohort.end_week), "hours": cohort.hours, "size": len(cohort.attendees),
            "attendees": ", ".join(cohort.attendees), "facilitator": cohort.facilitator}


def sessions_by_id(overview: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {session["id"]: session for session in overview["sessions"]}


def _figures(team_plan: TeamPlan) -> dict[str, Any] | None:
    """The totals an overview opens with; None when group sessions are off."""
    summary, settings = team_plan.schedule, team_plan.team.cohorts
    if summary is None or settings is None:
        return None
    share = None  # percent, rounded down: 99.6% of the hours is not all of them
    if summary.shareable_hours:
        share = math.floor(100 * summary.grouped_hours / summary.shareable_hours + 1e-9)
    return {
        "settings": settings,
        "grouped_hours": summary.grouped_hours,
        "shareable_hours": summary.shareable_hours,
        "share": share,
        "sessions": len(team_plan.cohorts),
        "external_sessions": summary.external_sessions,
        "external_hours": round(team_plan.facilitator_hours - summary.facilitation_hours, 6),
        "facilitation_hours": summary.facilitation_hours,
        "contact_hours": team_plan.facilitator_hours,
        "attendances": team_plan.separate_sessions,
        "one_to_one_hours": team_plan.separate_hours,
        "mean_delay": f"{round(summary.mean_delay_weeks, 2):g}",
        "max_delay": summary.max_delay_weeks,
        "solver": _solver_text(summary),
    }


_SOLVERS = {"greedy": "greedy heuristic", "cp-sat": "exact solver (OR-Tools CP-SAT)"}


def _solver_text(summary: ScheduleSummary) -> str:
    name = _SOLVERS.get(summary.solver, summary.solver)
    if summary.optimal:
        return f"{name}, optimal"
    if summary.gap is not None:
        # Rounded up: the schedule may be that far from the best possible.
        return f"{name}, within {math.ceil(100 * summary.gap - 1e-9)}% of the best possible"
    return name


def member_view(
    team_plan: TeamPlan, sessions: Mapping[str, dict[str, Any]], member: Member, plan: Plan
) -> dict[str, Any] | None:
    """What a member's team syllabus says beyond their modules: every step the
    team schedule places differently from their solo plan (`curriculum
    path`), with its session, and the sessions they lead. None when nothing
    differs and they lead nothing: the page is then their solo syllabus."""
    schedule = team_plan.members[member.name]
    changes = [{"step": step, "session": sessions.get(step.cohort)} for step in plan.steps if step.note]
    leads = [sessions[session] for session in schedule.facilitates]
    progress = team_plan.progress.get(member.name)
    if not changes and not leads and not schedule.delay_weeks and progress is None:
        return None
    return {"weeks": plan.weeks, "solo_weeks": schedule.solo_weeks, "delay": _delay_text(schedule.delay_weeks),
            "facilitation_hours_per_week": schedule.facilitation_hours_per_week, "changes": changes, "leads": leads,
            "progress": progress, "as_of": team_plan.as_of}


def _delay_text(weeks: int) -> str:
    if weeks == 0:
        return "the same week as alone"
    unit = "week" if abs(weeks) == 1 else "weeks"
    return f"{abs(weeks)} {unit} {'later' if weeks > 0 else 'earlier'} than alone"


def team_document(team_plan: TeamPlan) -> dict[str, Any]:
    """The stable JSON form of a team plan (see README, "Team plans")."""
    team = team_plan.team
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "team": {
            "name": team.name,
            "company_size": team.size,
            "start": _iso(team.start),
            "readiness": team.readiness,
            "cohorts": _settings_document(team.cohorts),
            "target_date": _iso(team.target_date),
        },
        "as_of": _iso(team_plan.as_of),
        "schedule": _summary_document(team_plan.schedule),
        "members": [
            {"name": member.name, "email": member.email or None, "file": team_plan.slugs[member.name],
             **plan_document(plan), **_member_document(team_plan, member)}
            for member, plan in team_plan.plans
        ],
        "cohorts": [
            {"id": c.id, "module": c.module.id, "title": c.module.title, "week": c.week, "end_week": c.end_week,
             "start_date": _iso(week_start(team.start, c.week)), "hours": _number(c.hours),
             "attendees": list(c.attendees), "facilitator": c.facilitator}
            for c in team_plan.cohorts
        ],
        "alone": [{"module": module, "members": list(names), "why": why} for module, names, why in team_plan.alone],
        "moved": [{"member": name, "module": module, "from_week": before, "to_week": now}
                  for name, module, before, now in team_plan.moved],
        "advice": [{"code": a.code, "message": a.message} for a in team_plan.advice],
        "total_hours": _number(team_plan.total_hours),
        "weeks": team_plan.weeks,
        "end_date": _iso(team_plan.end_date),
    }


def _settings_document(settings: CohortSettings | None) -> dict[str, Any] | None:
    if settings is None:
        return None
    return {field.name: _number(getattr(settings, field.name)) for field in dataclasses.fields(settings)}


def _summary_document(summary: ScheduleSummary | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {
        "solver": summary.solver,
        "optimal": summary.optimal,
        "gap": None if summary.gap is None else _number(summary.gap),
        "grouped_hours": _number(summary.grouped_hours),
        "shareable_hours": _number(summary.shareable_hours),
        "mean_delay_weeks": _number(summary.mean_delay_weeks),
        "max_delay_weeks": summary.max_delay_weeks,
        "facilitation_hours": _number(summary.facilitation_hours),
        "external_sessions": summary.external_sessions,
    }


def _member_document(team_plan: TeamPlan, member: Member) -> dict[str, Any]:
    schedule = team_plan.members[member.name]
    return {
        "delay_weeks": schedule.delay_weeks,
        "facilitation_hours_per_week": _number(schedule.facilitation_hours_per_week),
        "facilitates": list(schedule.facilitates),
        "weekly_hours": [{"week": week, "study": _number(study), "facilitation": _number(facilitation)}
                         for week, study, facilitation in schedule.weekly_hours],
        "progress": _progress_document(team_plan.progress.get(member.name)),
    }


def _progress_document(progress: MemberProgress | None) -> dict[str, Any] | None:
    if progress is None:
        return None
    return {
        "done_hours": _number(progress.done_hours),
        "planned_done_hours": _number(progress.planned_done_hours),
        "status": progress.status,
        "weeks_behind": progress.weeks_behind,
        "forecast_end_date": progress.forecast_end_date.isoformat(),
        "baseline_end_date": progress.baseline_end_date.isoformat(),
        "at_risk": progress.at_risk,
        "extra": list(progress.extra),
    }


def index_grid(plans: Sequence[Plan]) -> dict[str, Any]:
    """What an index page shows: roles and sizes in order, and the plan for
    each (role id, size id)."""
    return {
        "roles": list(dict.fromkeys(p.role for p in plans)),
        "sizes": list(dict.fromkeys(p.size for p in plans)),
        "grid": {(p.role.id, p.size.id): p for p in plans},
    }


def render_index(env: jinja2.Environment, plans: Sequence[Plan], formats: Iterable[str]) -> dict[str, str]:
    pages = {}
    for fmt in formats:
        if fmt == "json":
            pages["index.json"] = to_json({
                "schema_version": JSON_SCHEMA_VERSION,
                "syllabi": [
                    {"role": p.role.id, "size": p.size.id, "file": f"{p.slug}.json",
                     "total_hours": _number(p.total_hours), "weeks": p.weeks}
                    for p in plans
                ],
            })
        else:
            pages[f"index.{fmt}"] = _render_as(env, "index", fmt, plans=plans, **index_grid(plans))
    return pages


def _render(env: jinja2.Environment, template_name: str, **context: Any) -> str:
    with _template_errors(template_name):
        return env.get_template(template_name).render(**context)


STREAM_CHUNK = 1 << 16  # characters


def _render_stream(env: jinja2.Environment, template_name: str, **context: Any) -> Iterator[str]:
    """The page in chunks of about `STREAM_CHUNK` characters, for pages too
    big to hold whole: a 10,000-person overview is tens of megabytes, and
    joining Jinja's millions of small pieces at once took several times that."""
    with _template_errors(template_name):
        pieces: list[str] = []
        size = 0
        for piece in env.get_template(template_name).generate(**context):
            pieces.append(piece)
            size += len(piece)
            if size >= STREAM_CHUNK:
                yield "".join(pieces)
                pieces, size = [], 0
        yield "".join(pieces)


@contextmanager
def _template_errors(template_name: str):
    """Jinja's errors as user errors naming the template."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        raise CurriculumError(f"template error: {exc.message}", exc.filename or exc.name, exc.lineno) from None
    except jinja2.TemplateNotFound as exc:
        raise CurriculumError(f"template not found: {exc.name}") from None
    except jinja2.UndefinedError as exc:
        raise CurriculumError(f"template error in {template_name}: {exc.message}") from None


# --- JSON ------------------------------------------------------------------


def plan_document(plan: Plan) -> dict[str, Any]:
    """The stable, documented JSON form of a syllabus (see README, "JSON syllabus")."""
    profile = plan.profile
    start = profile.start
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "profile": {
            "role": profile.role,
            "size": profile.size,
            "knows": list(profile.knows),
            "goals": list(profile.goals),
            "hours_per_week": _number(profile.hours_per_week),
            "start": start.isoformat() if start else None,
        },
        "role": {"id": plan.role.id, "title": plan.role.title},
        "size": {"id": plan.size.id, "title": plan.size.title},
        "why": plan.why,
        "modules": [
            {
                "id": step.module.id,
                "title": step.module.title,
                "hours": _number(step.module.hours),
                "level": step.module.level,
                "stage": step.module.stage,
                "week": step.week,
                "end_week": step.end_week,
                "start_date": _iso(step.start_date(start)),
                "cohort": step.cohort,
                "solo_week": step.week if step.solo_week is None else step.solo_week,
                "hours_by_week": [{"week": week, "hours": _number(hours)} for week, hours in step.hours_by_week],
                "milestone": step.module.is_milestone,
                "reasons": [_reason_document(r) for r in step.reasons],
                "why": step.why,
                "activity_id": plan.activity_base + step.module.id,
                "status": step.status,
                "done_date": _iso(step.done_date),
                "summary": step.module.summary,
                "outcomes": list(step.module.outcomes),
                "resources": [
                    {"title": r.title, "url": r.url, "kind": r.kind} for r in step.module.resources
                ],
            }
            for step in plan.steps
        ],
        "total_hours": _number(plan.total_hours),
        "weeks": plan.weeks,
        "end_date": _iso(plan.end_date),
        "first_milestone": plan.first_milestone.module.id if plan.first_milestone else None,
        "assumed": [{"id": m.id, "title": m.title, "hours": _number(m.hours)} for m in plan.assumed],
    }


def to_json(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _reason_document(reason: Reason) -> dict[str, str]:
    return {"kind": reason.kind, "module": reason.module} if reason.module else {"kind": reason.kind}


def _iso(date) -> str | None:
    return date.isoformat() if date else None


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# --- filters ------------------------------------------------------------------


# Formatting, tables and code survive; scripts, event handlers, iframes,
# styles and non-http(s) links do not.
_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "ul",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "code": {"class"},
    "ol": {"start"},
}


@lru_cache(maxsize=None)
def markdown_html(text: str) -> Markup:
    """Untrusted Markdown -> sanitised HTML; cached, so each module's text is
    rendered once per build however many syllabi include it. It renders the
    same safe Markdown the Markdown pages hold, with Python-Markdown as MkDocs
    configures it, so an HTML page shows what MkDocs shows; nh3 then removes
    anything that is not plain formatting, in case the two ever disagree."""
    import markdown  # deferred: only HTML output needs it
    import nh3

    html = markdown.markdown(md_text(text), extensions=["tables", "fenced_code"], output_format="html")
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Markup(clean)


# What a catalog's URL may hold but a URL may not (the Nu checker refuses
# `|` in a query, as in some of Metacademy's): percent-encoded, as a browser
# sends it anyway.
_NOT_IN_URL = re.compile(r'[\x00-\x20"<>\\^`{|}\x7f]|%(?![0-9A-Fa-f]{2})')


def safe_url(url: str) -> str:
    """The URL if it is http(s), else '#' (resource URLs are validated on load;
    this guards templates fed from elsewhere), with characters no URL holds
    percent-encoded."""
    if urlsplit(url.strip()).scheme not in ("http", "https"):
        return "#"
    return _NOT_IN_URL.sub(lambda match: f"%{ord(match.group()):02X}", url)


def md_url(url: str) -> str:
    """A resource URL as a Markdown link destination: http(s) or '#',
    percent-encoded so nothing in it can end the link."""
    return encode_destination(safe_url(str(url)))


def format_hours(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


# Words of letters, digits and plain punctuation, one space apart, starting
# with a letter: what safe_inline leaves as it is in a table cell. Team pages
# put thousands of distinct names, notes and session ids in cells; these skip
# the Markdown parser.
_PLAIN_CELL = re.compile(r"[A-Za-z][A-Za-z0-9,.;:()'/?%-]*(?: [A-Za-z0-9,.;:()'/?%-]+)*")


def md_cell(text: str) -> str:
    """Inline Markdown safe inside a Markdown table cell, on one line."""
    text = str(text)
    return text if _PLAIN_CELL.fullmatch(text) else _safe_cell(text)


# Cached, as markdown_html is: a department's syllabi repeat the same titles
# and reasons thousands of times, and parsing is the costly part.
@lru_cache(maxsize=None)
def _safe_cell(text: str) -> str:
    return safe_inline(text, cell=True)


@lru_cache(maxsize=None)
def _safe_line(text: str) -> str:
    return safe_inline(text)


def md_line(text: str) -> str:
    """Inline Markdown safe in a Markdown heading or list item, on one line."""
    return _safe_line(str(text))


def md_text(text: str) -> str:
    """Untrusted block Markdown written back as safe Markdown (see
    safe_markdown.py): no raw HTML, no unsafe link, code fenced at column 0,
    headings as bold text."""
    return safe_markdown(str(text))


def reason_text(reason: Reason, plan: Plan) -> str:
    if reason.kind == "target":
        return "core for this role and company size"
    if reason.kind == "goal":
        return "a goal you chose"
    return f"needed for {plan.titles.get(reason.module, reason.module)}"
