"""The orchestrator: load -> graph -> plan -> render, all in memory, then one
write. Nothing reaches the output folder unless every page rendered."""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from . import resources
from .errors import CurriculumError, raise_if_any
from .graph import check_graph
from .loader import read_catalog
from .model import Catalog, Plan, Profile, TeamPlan
from .plan import ScheduleTooLong, plan_path
from .render import Templates, make_environment, render_index, render_plan
from .write import write_pages

log = logging.getLogger(__name__)

DEFAULT_FORMATS = ("md", "html")
DEFAULT_OUTPUT = Path("output")


@dataclass(frozen=True)
class LoadedCatalog:
    catalog: Catalog
    graph: nx.DiGraph
    dirs: tuple[Path, ...]  # as given; empty for the built-in catalog


def load(module_dirs: Sequence[Path] = ()) -> LoadedCatalog:
    """Load, validate and check the prerequisite graph of the catalogs,
    reporting every problem of both stages together."""
    log.info("loading %s", ", ".join(map(str, module_dirs)) or "the built-in catalog")
    with _gc_paused():
        catalog, problems = read_catalog(module_dirs)
        graph, graph_problems = check_graph(catalog)
    raise_if_any(problems + graph_problems)
    return LoadedCatalog(catalog, graph, tuple(Path(d) for d in module_dirs))


def all_plans(loaded: LoadedCatalog, hours_per_week: float = 5.0, start: dt.date | None = None) -> list[Plan]:
    """One plan per role x size, skipping pairs the catalog has nothing for."""
    catalog = loaded.catalog
    plans = []
    longest = None  # the path too long to schedule that needs the most hours per week
    for role in catalog.roles:
        for size in catalog.sizes:
            try:
                plan = plan_path(catalog, loaded.graph, Profile(role, size, hours_per_week=hours_per_week, start=start))
            except ScheduleTooLong as exc:
                if longest is None or exc.hours > longest[0].hours:
                    longest = (exc, f"{role}/{size}")
                continue
            if plan.steps:
                plans.append(plan)
            else:
                log.info("no module targets role '%s' at size '%s'; skipped", role, size)
    if longest is not None:
        raise CurriculumError(f"path {longest[1]}: {longest[0].message}")
    if not plans:
        raise CurriculumError("no module in the catalog targets any role; give modules a 'roles' list")
    return plans


def build_pages(
    loaded: LoadedCatalog,
    formats: Sequence[str] = DEFAULT_FORMATS,
    templates: Templates = Templates(),
    hours_per_week: float = 5.0,
    start: dt.date | None = None,
) -> dict[str, str]:
    env = make_environment(templates)
    plans = all_plans(loaded, hours_per_week, start)
    pages: dict[str, str] = {}
    for plan in plans:
        pages.update(render_plan(env, plan, formats))
    pages.update(render_index(env, plans, formats))
    return pages


def build(
    module_dirs: Sequence[Path] = (),
    out_dir: Path = DEFAULT_OUTPUT,
    formats: Sequence[str] = DEFAULT_FORMATS,
    templates: Templates = Templates(),
    hours_per_week: float = 5.0,
    start: dt.date | None = None,
) -> list[str]:
    """The main job: every role x size syllabus plus index pages, written as
    one full rebuild of `out_dir`. Returns the files written."""
    loaded = load(module_dirs)
    pages = build_pages(loaded, formats, templates, hours_per_week, start)
    return write_pages(pages, out_dir, prune=True, protect=_protected(loaded, templates))


def path_pages(
    profile: Profile,
    module_dirs: Sequence[Path] = (),
    formats: Sequence[str] = DEFAULT_FORMATS,
    templates: Templates = Templates(),
) -> tuple[LoadedCatalog, dict[str, str]]:
    """One tailored syllabus, rendered but not written."""
    loaded = load(module_dirs)
    env = make_environment(templates)
    plan = plan_path(loaded.catalog, loaded.graph, profile)
    return loaded, render_plan(env, plan, formats)


def path(
    profile: Profile,
    module_dirs: Sequence[Path] = (),
    out_dir: Path = DEFAULT_OUTPUT,
    formats: Sequence[str] = DEFAULT_FORMATS,
    templates: Templates = Templates(),
) -> list[str]:
    """Write one tailored syllabus into `out_dir`, keeping its other files."""
    loaded, pages = path_pages(profile, module_dirs, formats, templates)
    return write_pages(pages, out_dir, prune=False, protect=_protected(loaded, templates))


def _protected(loaded: LoadedCatalog, templates: Templates) -> list[Path]:
    """Folders an output folder must never contain: a rebuild there would mix
    generated files with the catalog or templates it was made from."""
    return [*loaded.dirs, *templates.dirs, resources.builtin_modules_dir(), resources.builtin_templates_dir()]


def lint(module_dirs: Sequence[Path] = (), role: str | None = None, size: str | None = None) -> list:
    """Lint findings for the catalog and its role x size paths (or only the
    path for `role` and `size`, when given)."""
    from .lint import lint_catalog

    loaded = load(module_dirs)
    plans = all_plans(loaded)
    if role is None:
        checked = plans
    else:
        checked = [plan_path(loaded.catalog, loaded.graph, Profile(role, size))]
    return lint_catalog(loaded.catalog, loaded.graph, plans, checked)


@dataclass(frozen=True)
class TeamOptions:
    """How a team file is planned: what the command line overrides in it
    (`size`, `start`, `hours_per_week` for members who don't say), whether
    members meet in group sessions, and the progress to re-plan from, up to
    `as_of` (default: today) and against the `team.json` in `baseline`
    (default: the plan without progress). `assessment` is a survey's answers,
    added to members' `knows` before anything is planned. `team` and
    `publish --team` plan through these same options."""

    size: str | None = None
    start: dt.date | None = None
    hours_per_week: float | None = None
    cohorts: bool = True
    progress_files: tuple[Path, ...] = ()
    as_of: dt.date | None = None
    baseline: Path | None = None
    assessment: Path | None = None


def team_plan(
    team_file: Path, module_dirs: Sequence[Path] = (), options: TeamOptions = TeamOptions(), tick=None
) -> tuple[LoadedCatalog, TeamPlan]:
    """Read and plan a team."""
    loaded = load(module_dirs)
    return loaded, _plan_team_file(loaded, team_file, options, tick)


def _plan_team_file(loaded: LoadedCatalog, team_file: Path, options: TeamOptions, tick=None) -> TeamPlan:
    from .team import read_team
    from .teamplan import plan_team

    team = read_team(team_file, loaded.catalog, options.size, options.start, options.hours_per_week, options.cohorts)
    with _gc_paused():
        if options.assessment is not None:
            from .assessment import read_assessment

            team = read_assessment(options.assessment, team, loaded.catalog, loaded.graph)
        progress = None
        if options.progress_files:
            from .progress import read_progress

            progress = read_progress(options.progress_files, team, loaded.catalog, options.as_of or dt.date.today())
        return plan_team(loaded.catalog, loaded.graph, team, tick, progress, options.baseline)


def team_pages(
    team: TeamPlan, formats: Sequence[str] = DEFAULT_FORMATS, templates: Templates = Templates(),
    two_processes: bool = False,
) -> Iterator[tuple[str, str | bytes]]:
    """Every member's syllabus, the overview, the assignments CSV and (with a
    start date) the calendar, page by page; with `two_processes`, most
    syllabi are rendered by a forked copy of the process (see forked.py)."""
    from .exports import assignments_csv_chunks, team_calendar
    from .render import render_team

    yield from render_team(make_environment(templates), team, formats, stream=True, two_processes=two_processes)
    yield "assignments.csv", assignments_csv_chunks(team)
    if team.team.start is not None:
        yield "team.ics", team_calendar(team)
    else:
        log.warning("no start date (set 'start' in the team file or pass --start): no calendar written")


def default_team_output(team: TeamPlan) -> Path:
    from .team import slugify

    return DEFAULT_OUTPUT / "teams" / (slugify(team.team.name) or "team")


def team(
    team_file: Path,
    module_dirs: Sequence[Path] = (),
    out_dir: Path | None = None,
    formats: Sequence[str] = DEFAULT_FORMATS,
    templates: Templates = Templates(),
    options: TeamOptions = TeamOptions(),
    tick=None,
) -> tuple[Path, list[str]]:
    """Plan and write a whole team: a full rebuild of its output folder.
    Returns the folder and the files written."""
    loaded, planned = team_plan(team_file, module_dirs, options, tick)
    pages = team_pages(planned, formats, templates, two_processes=True)
    out_dir = out_dir or default_team_output(planned)
    return out_dir, write_pages(pages, out_dir, prune=True, protect=_protected(loaded, templates))


def team_json(team_file: Path, module_dirs: Sequence[Path] = (), options: TeamOptions = TeamOptions(), tick=None) -> str:
    """The team plan as the JSON document `team` writes as team.json."""
    from .render import team_document, to_json

    _, planned = team_plan(team_file, module_dirs, options, tick)
    return to_json(team_document(planned))


def lint_team(
    team_file: Path, module_dirs: Sequence[Path] = (), size: str | None = None, start: dt.date | None = None
) -> list:
    """Structure advice for a team file, as lint findings located in the file."""
    from .lint import Finding

    _, planned = team_plan(team_file, module_dirs, TeamOptions(size=size, start=start))
    return [Finding(a.code, a.message, f"{planned.team.source}:{a.line}") for a in planned.advice]


@contextmanager
def _gc_paused():
    """Loading and planning build many small containers and no reference
    cycles; the cyclic collector would rescan them all again and again, which
    made large catalogs cost more than linear time. Reference counting still
    frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def publish(
    target: str,
    module_dirs: Sequence[Path] = (),
    out_dir: Path | None = None,
    team_files: Sequence[Path] = (),
    templates: Templates = Templates(),
    options: TeamOptions = TeamOptions(),
    push: str | None = None,
    message: str = "Update ML upskilling syllabi",
    user: str | None = None,
    password: str | None = None,
    namespace: str | None = None,
    base_url: str | None = None,
) -> tuple[Path, list[str], str | None]:
    """Lay out every role x size syllabus (at `options.hours_per_week`,
    default 5, from `options.start`) and the given teams (planned with
    `options` exactly as `team` plans them) for a wiki, site or LMS; write
    them to `out_dir` (default output/TARGET) and, with `push`, send them to a
    git wiki's remote or a DokuWiki (as `user`); `base_url` is where the
    static site is served, for cmi5. Returns the folder, the files and what
    was pushed."""
    from .publish import TARGETS, Publication, check_options, collect_pages, publish_pages
    from .publish.cmi5 import check_base_url
    from .publish.dokuwiki import DEFAULT_NAMESPACE, check_dokuwiki_url, push_dokuwiki
    from .publish.git_wiki import check_git_url, push_git_wiki

    check_options(target, push=push, namespace=namespace, base_url=base_url)
    if target == "dokuwiki" and push is not None and not (user and password):
        raise CurriculumError("a DokuWiki push needs --user and the password in CURRICULUM_DOKUWIKI_PASSWORD")
    if (options.progress_files or options.baseline) and len(team_files) != 1:
        raise CurriculumError("--progress and --baseline re-plan one team: give exactly one --team")
    if options.assessment is not None and len(team_files) != 1:
        raise CurriculumError("--assessment holds one team's answers: give exactly one --team")
    if target == "cmi5":
        check_base_url(base_url)
    # A malformed URL is one clear line before any work, not a failure after it.
    if push is not None:
        (check_git_url if target == "git-wiki" else check_dokuwiki_url)(push)
    loaded = load(module_dirs)
    plans = all_plans(loaded, options.hours_per_week or 5.0, options.start)
    teams = tuple(_plan_team_file(loaded, team_file, options) for team_file in team_files)
    out_dir = out_dir or DEFAULT_OUTPUT / target
    publication = Publication(tuple(plans), teams, loaded.catalog, templates, namespace, base_url)
    pages = collect_pages(publish_pages(target, publication))
    written = write_pages(pages, out_dir, prune=True, protect=_protected(loaded, templates))
    pushed = None
    if push is not None and target == "git-wiki":
        pushed = push_git_wiki(pages, push, message)
    elif push is not None:
        result = push_dokuwiki(pages, push, user, password, namespace or DEFAULT_NAMESPACE, message)
        pushed = (f"{len(result['written'])} page(s) written, {len(result['unchanged'])} unchanged, "
                  f"{len(result['deleted'])} deleted")
    return out_dir, written, pushed
