"""The static site target: HTML pages viewable from the file system or any
static host, with a search and a self-assessment that run in the browser."""

from __future__ import annotations

import json
from collections.abc import Iterator

import jinja2

from ..graph import check_graph
from ..model import STAGES
from ..placement import browser_data, questionnaire
from ..render import _render, index_grid, make_environment, render_plan, render_team
from . import Publication, _team_exports, team_folders


def site_pages(publication: Publication) -> Iterator[tuple[str, str]]:
    """A static HTML site viewable from the file system or any static host:
    a home page by role and size, every syllabus, each team with its members,
    a page per module, a search over module titles and outcomes that runs
    in the browser, and with the catalog a self-assessment per role and size
    (`curriculum assess` in the browser)."""
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
    assessed = publication.catalog is not None
    yield "index.html", _render(env, "site/home.html.j2", teams=teams, team_folders=folders, modules=modules,
                                root="", assessed=assessed, **index_grid(plans))
    for plan in plans:
        assess_page = f"assess/{plan.slug}.html" if assessed else None
        yield from render_plan(env, plan, ["html"], assess_page=assess_page).items()
    if assessed:
        yield from _assessment_pages(env, publication)
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
    yield "search-index.js", _data_script("CURRICULUM_SEARCH", index)
    yield "search.js", env.loader.get_source(env, "site/search.js")[0]


def _assessment_pages(env: jinja2.Environment, publication: Publication) -> Iterator[tuple[str, str]]:
    """For each role and size, `curriculum assess` as a page: the modules'
    text on the page, the questionnaire's data in a script beside it, and
    the questions chosen by assess.js, which mirrors placement.py."""
    graph, _ = check_graph(publication.catalog)  # checked when the catalog was loaded
    for plan in publication.plans:
        quiz = questionnaire(publication.catalog, graph, plan.role.id, plan.size.id)
        on_path = quiz.on_path.bit_count()
        yield f"assess/{plan.slug}.html", _render(
            env, "site/assess.html.j2", plan=plan, quiz=quiz, on_path=on_path, assumed=len(quiz.modules) - on_path,
            data_script=f"{plan.slug}.js")
        yield f"assess/{plan.slug}.js", _data_script("CURRICULUM_ASSESS", browser_data(quiz))
    yield "assess.js", env.loader.get_source(env, "site/assess.js")[0]


def _data_script(name: str, data) -> str:
    """A script file that sets window.NAME to `data`: works from the file
    system, where a page cannot fetch a JSON file beside it. "<" is escaped
    so that no text can close or open a tag."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f"window.{name} = {text};\n"


