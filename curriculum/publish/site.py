"""The static site target: HTML pages viewable from the file system or any
static host, with a search that runs in the browser."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..model import STAGES
from ..render import _render, index_grid, make_environment, render_plan, render_team
from . import Publication, _team_exports, team_folders


def site_pages(publication: Publication) -> Iterator[tuple[str, str]]:
    """A static HTML site viewable from the file system or any static host:
    a home page by role and size, every syllabus, each team with its members,
    a page per module, and a search over module titles and outcomes that runs
    in the browser."""
    plans, teams = publication.plans, publication.teams
    env = make_environment(publication.templates)
    modules = {}
    for plan in plans:
        for step in plan.steps:
            modules.setdefault(step.module.id, step.module)
    for team in teams:
        for _, plan in team.plans:
            for step in plan.steps:
                modules.setdefault(step.module.id, step.module)
    modules = dict(sorted(modules.items()))
    folders = dict(zip((team.team.name for team in teams), team_folders(teams)))
    yield "index.html", _render(env, "site/home.html.j2", teams=teams, team_folders=folders, modules=modules,
                                root="", **index_grid(plans))
    for plan in plans:
        yield from render_plan(env, plan, ["html"]).items()
    for team in teams:
        for name, text in render_team(env, team, ["html"]):
            yield f"teams/{folders[team.team.name]}/{name}", text
        for name, text in _team_exports(team):
            yield f"teams/{folders[team.team.name]}/{name}", text
    needed_by: dict[str, list] = {}
    for module in modules.values():
        for prerequisite in module.prerequisites:
            needed_by.setdefault(prerequisite, []).append(module)
    order = {stage: index for index, stage in enumerate(STAGES)}
    groups: dict[str, list] = {}
    for module in sorted(modules.values(), key=lambda m: (order.get(m.stage, -1), m.id)):
        groups.setdefault(module.stage or "other", []).append(module)
    yield "modules/index.html", _render(env, "site/modules.html.j2", groups=list(groups.items()), root="../")
    for module in modules.values():
        yield f"modules/{module.id}.html", _render(
            env, "site/module.html.j2", module=module,
            prerequisites=[modules[p] for p in module.prerequisites if p in modules],
            needed_by=needed_by.get(module.id, []),
            in_paths=[plan for plan in plans if any(s.module.id == module.id for s in plan.steps)],
        )
    index = [{"id": m.id, "title": m.title, "text": " ".join([m.title, *m.outcomes]).lower()} for m in modules.values()]
    # JSON inside a script file: "<" escaped so no text can close or open a tag.
    data = json.dumps(index, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    yield "search-index.js", f"window.CURRICULUM_SEARCH = {data};\n"
    yield "search.js", env.loader.get_source(env, "site/search.js")[0]


