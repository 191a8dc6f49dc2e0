"""Publishing targets: the same syllabi laid out for the places a company
keeps its knowledge. Each target is a module with a function from the plans
to pages (relative path -> text), listed in `TARGETS`; `write` puts the pages
on disk, and `git_wiki.push_git_wiki` and `dokuwiki.push_dokuwiki` send them
to a wiki.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import jinja2

from ..errors import CurriculumError
from ..model import Plan, TeamPlan
from ..render import render_team
from ..team import slugify

# Target -> (module, function making its pages). A module is imported when its
# target is used, so a run loads only what it publishes.
TARGETS = {
    "site": ("site", "site_pages"),
    "mkdocs": ("mkdocs", "mkdocs_pages"),
    "git-wiki": ("git_wiki", "git_wiki_pages"),
    "dokuwiki": ("dokuwiki", "dokuwiki_pages"),
    "confluence": ("confluence", "confluence_pages"),
}
SITE_NAME = "ML upskilling syllabi"


def publish_pages(
    target: str, plans: Sequence[Plan], teams: Sequence[TeamPlan], template_dirs: Sequence[Path] = (),
    namespace: str | None = None,
) -> Iterator[tuple[str, str]]:
    if target not in TARGETS:
        raise CurriculumError(f"unknown publish target '{target}'; targets: {', '.join(TARGETS)}")
    module, function = TARGETS[target]
    pages = getattr(importlib.import_module(f".{module}", __name__), function)
    options = {} if namespace is None else {"namespace": namespace}
    return pages(plans, teams, template_dirs, **options)


def _team_folder(team: TeamPlan) -> str:
    return slugify(team.team.name) or "team"


def _team_files(env: jinja2.Environment, team: TeamPlan) -> Iterator[tuple[str, str]]:
    """A team's Markdown pages and its calendar and CSV, by file name."""
    yield from render_team(env, team, ["md"])
    yield from _team_exports(team)


def _team_exports(team: TeamPlan) -> Iterator[tuple[str, str]]:
    from ..exports import assignments_csv, team_calendar

    yield "assignments.csv", assignments_csv(team)
    if team.team.start is not None:
        yield "team.ics", "".join(team_calendar(team))


def _md_text(text: str) -> str:
    from ..render import md_line

    return md_line(text).replace("[", "(").replace("]", ")")
