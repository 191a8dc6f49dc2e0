"""The cmi5 target: a course structure (`cmi5.xml`) per syllabus and per
team member, for an LMS that launches cmi5 courses and records what learners
do as xAPI statements. Each module is an assignable unit (AU) whose id is the
module's activity id, launching the module's page on the published static
site (`publish --target site`, served at `--base-url`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import jinja2

from ..errors import CurriculumError
from ..model import Module, Plan
from ..render import make_environment
from . import Publication
from .lms import member_plans, path_description, path_title, steps_by_week, week_title, xml_document
from .remote import display_url

# The site target writes a page per module here, relative to the site's root.
SITE_MODULE_PAGE = "modules/{id}.html"
# Characters a URL cannot hold unescaped (RFC 3986), besides spaces and controls.
_NOT_IN_URL = set('<>"{}|\\^`')


@dataclass(frozen=True)
class _Unit:
    id: str
    module: Module
    url: str


@dataclass(frozen=True)
class _Week:
    id: str
    title: str
    description: str
    units: tuple[_Unit, ...]


def cmi5_pages(publication: Publication) -> Iterator[tuple[str, bytes]]:
    """`ROLE-SIZE/cmi5.xml` for every syllabus, and for each team
    `teams/TEAM/MEMBER/cmi5.xml` for every member with modules to take."""
    site = check_base_url(publication.base_url)
    env = make_environment(publication.templates)
    for plan in publication.plans:
        course = f"{plan.activity_base}paths/{plan.slug}"
        yield f"{plan.slug}/cmi5.xml", course_structure(env, plan, site, course, path_title(plan))
    for path, title, plan in member_plans(publication):
        yield f"{path}/cmi5.xml", course_structure(env, plan, site, plan.activity_base + path, title)


def course_structure(env: jinja2.Environment, plan: Plan, site: str, course_id: str, title: str) -> bytes:
    """The plan's course: a block per week, in it an AU per module in path
    order. AU ids are the modules' activity ids, so the statements an LMS
    records about them are read back by `team --progress`."""
    weeks = []
    for week, steps in steps_by_week(plan):
        units = tuple(_Unit(plan.activity_base + step.module.id, step.module,
                            site + SITE_MODULE_PAGE.format(id=step.module.id)) for step in steps)
        count = f"{len(units)} {'module' if len(units) == 1 else 'modules'}"
        weeks.append(_Week(f"{course_id}/weeks/{week}", week_title(plan, week),
                           f"{count} starting in week {week}.", units))
    return xml_document(env, "cmi5/cmi5.xml.j2", course_id=course_id, title=title,
                        description=path_description(plan), weeks=weeks)


def check_base_url(url: str | None) -> str:
    """Where the static site is served, ending in `/`: an http(s) URL with a
    host and no user, query or fragment; or a CurriculumError in one line."""
    if url is None:
        raise CurriculumError("--target cmi5 needs --base-url URL: where the static site "
                              "(publish --target site) is served")
    text = url.strip()
    shown = display_url(text)  # a password in it is not repeated
    if not text or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch in _NOT_IN_URL for ch in text):
        raise CurriculumError(f"--base-url {shown!r} is empty or holds spaces, control characters or one of "
                              f"{''.join(sorted(_NOT_IN_URL))}")
    try:
        parts = urlsplit(text)
        parts.port  # raises on a port that is not a number
    except ValueError as exc:
        raise CurriculumError(f"--base-url {shown!r} is not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise CurriculumError(f"--base-url {shown!r} is not an http:// or https:// URL")
    if not parts.hostname:
        raise CurriculumError(f"--base-url {shown!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise CurriculumError("--base-url must not hold a user name or password: every learner's LMS shows it")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise CurriculumError(f"--base-url {shown!r} has a query or fragment; give the site's folder")
    return text if text.endswith("/") else text + "/"
