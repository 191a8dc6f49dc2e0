"""What the targets an LMS imports share: the courses to write (a syllabus,
or a team member's plan), a course in weeks, the sentence that describes it,
and XML documents rendered from templates (every field escaped by
autoescaping) with the characters XML cannot hold removed."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterator

import jinja2

from ..model import Plan, Step, week_start
from ..render import _render, format_hours
from ..text import one_line
from . import Publication, team_folders

log = logging.getLogger(__name__)

COURSE = "ML upskilling syllabus"
# Characters XML 1.0 does not allow even escaped (C0 controls but tab and
# line breaks, lone surrogates, U+FFFE, U+FFFF): module text may hold them
# (YAML's "\x01"), and one makes the whole document unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_document(env: jinja2.Environment, template: str, **context) -> bytes:
    """The template rendered (it must autoescape: `.xml.j2` or `.html.j2`)
    as UTF-8, without characters XML cannot hold."""
    return _NOT_XML.sub("", _render(env, template, **context)).encode("utf-8")


def member_plans(publication: Publication) -> Iterator[tuple[str, str, Plan]]:
    """(path without extension, title, plan) of each team member's course,
    `teams/TEAM/MEMBER`; a member with nothing to take has none."""
    for team, folder in zip(publication.teams, team_folders(publication.teams)):
        for member, plan in team.plans:
            if not plan.steps:
                log.info("nothing on the path of %s in team %s: no course", one_line(member.name, 100),
                         one_line(team.team.name, 100))
                continue
            yield f"teams/{folder}/{team.slugs[member.name]}", f"{member.name}, {team.team.name}: {COURSE}", plan


def path_title(plan: Plan) -> str:
    return f"{plan.role.title} at a {plan.size.title.lower()}: {COURSE}"


def path_description(plan: Plan) -> str:
    """One plain sentence on the path: what, how long, and when if dated."""
    count = len(plan.steps)
    text = (f"A machine-learning upskilling path for {plan.role.title} at a {plan.size.title.lower()}: "
            f"{count} {'module' if count == 1 else 'modules'}, {format_hours(plan.total_hours)} hours over "
            f"{plan.weeks} {'week' if plan.weeks == 1 else 'weeks'} at "
            f"{format_hours(plan.profile.hours_per_week)} hours a week, in the order to take them")
    if plan.end_date is not None:
        text += f", from {plan.profile.start.isoformat()} to {plan.end_date.isoformat()}"
    return text + "."


def steps_by_week(plan: Plan) -> list[tuple[int, list[Step]]]:
    """The plan's steps grouped by the week each starts in, in path order
    (steps are ordered by starting week, so each week comes once)."""
    return [(week, list(steps)) for week, steps in itertools.groupby(plan.steps, key=lambda step: step.week)]


def week_title(plan: Plan, week: int) -> str:
    start = week_start(plan.profile.start, week)
    return f"Week {week}" if start is None else f"Week {week} (from {start.isoformat()})"
