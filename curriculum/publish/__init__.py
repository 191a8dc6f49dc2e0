"""Publishing targets: the same syllabi laid out for the places a company
keeps its knowledge and delivers training. Each target is one module with a
function from a `Publication` (catalog, plans, teams, options) to pages
(relative path -> text or bytes), listed in `TARGETS`; `write` puts the
pages on disk, and `git_wiki.push_git_wiki` and `dokuwiki.push_dokuwiki`
send them to a wiki.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ..errors import CurriculumError
from ..model import Catalog, Plan, TeamPlan
from ..render import Templates, render_team
from ..team import slugify

@dataclass(frozen=True)
class Target:
    """A publishing target: the module and function that make its pages,
    and the options beyond the common ones it takes (`push`, `namespace`,
    `base_url`): giving one to a target that does not take it is an error."""

    module: str
    function: str
    options: frozenset[str] = frozenset()


# A target's module is imported when the target is used, so a run loads only
# what it publishes.
TARGETS = {
    "site": Target("site", "site_pages"),
    "mkdocs": Target("mkdocs", "mkdocs_pages"),
    "git-wiki": Target("git_wiki", "git_wiki_pages", frozenset({"push"})),
    "dokuwiki": Target("dokuwiki", "dokuwiki_pages", frozenset({"push", "namespace"})),
    "confluence": Target("confluence", "confluence_pages"),
    "moodle-competencies": Target("moodle_competencies", "moodle_competencies_pages"),
    "canvas-outcomes": Target("canvas_outcomes", "canvas_outcomes_pages"),
    "degreed": Target("degreed", "degreed_pages"),
    "open-badges": Target("open_badges", "open_badges_pages"),
    "common-cartridge": Target("common_cartridge", "common_cartridge_pages"),
    "cmi5": Target("cmi5", "cmi5_pages", frozenset({"base_url"})),
}
SITE_NAME = "ML upskilling syllabi"


@dataclass(frozen=True)
class Publication:
    """Everything a target may lay out: the catalog, every role x size plan,
    the teams' plans, and the options that some targets take."""

    plans: tuple[Plan, ...]
    teams: tuple[TeamPlan, ...] = ()
    catalog: Catalog | None = None  # for targets that export the whole catalog
    templates: Templates = Templates()
    namespace: str | None = None  # dokuwiki
    base_url: str | None = None  # where the published site lives, for targets that link to it


def check_options(target: str, **given) -> None:
    """An unknown target, or an option given to a target that does not take
    it, is one clear line before any work."""
    if target not in TARGETS:
        raise CurriculumError(f"unknown publish target '{target}'; targets: {', '.join(TARGETS)}")
    for option, value in sorted(given.items()):
        if value is not None and option not in TARGETS[target].options:
            takers = [name for name, other in TARGETS.items() if option in other.options]
            raise CurriculumError(f"--{option.replace('_', '-')} works with --target {' or '.join(takers)}, "
                                  f"not {target}")


def publish_pages(target: str, publication: Publication) -> Iterator[tuple[str, str | bytes]]:
    check_options(target, namespace=publication.namespace, base_url=publication.base_url)
    check_team_names(publication.teams)
    chosen = TARGETS[target]
    return getattr(importlib.import_module(f".{chosen.module}", __name__), chosen.function)(publication)


def collect_pages(pages: Iterable[tuple[str, str | bytes]]) -> dict[str, str | bytes]:
    """The pages by path. Two pages with one path, or with paths that differ
    only in case (one file on many file systems and wikis), are an error:
    never is one silently kept."""
    collected: dict[str, str | bytes] = {}
    folded: dict[str, str] = {}
    for path, text in pages:
        first = folded.setdefault(path.casefold(), path)
        if path in collected or first != path:
            raise CurriculumError(f"two published pages would be one file: '{first}' and '{path}'")
        collected[path] = text
    return collected


def check_team_names(teams: Sequence[TeamPlan]) -> None:
    """Teams may share a slug (`X` and `x` get folders `x` and `x-2`), not a
    name: readers could not tell them apart in a menu."""
    seen: dict[str, TeamPlan] = {}
    for team in teams:
        first = seen.setdefault(team.team.name, team)
        if first is not team:
            raise CurriculumError(f"two teams are named '{team.team.name}' ({first.team.source} and "
                                  f"{team.team.source}); give each team its own name")


def team_folders(teams: Sequence[TeamPlan]) -> list[str]:
    """Each team's folder (or namespace) name: its slug, made unique in the
    order given (`x`, `x-2`, ...), so the same teams always get the same names."""
    taken: set[str] = set()
    return [unique_name(slugify(team.team.name) or "team", taken) for team in teams]


def unique_name(base: str, taken: set[str], pattern: str = "{base}-{number}") -> str:
    """`base`, or the first of `pattern` with 2, 3, ... that is not in
    `taken` (case-folded); the name returned is added to `taken`."""
    name, number = base, 2
    while name.casefold() in taken:
        name, number = pattern.format(base=base, number=number), number + 1
    taken.add(name.casefold())
    return name


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
