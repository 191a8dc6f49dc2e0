"""Publishing targets: the same syllabi laid out for the places a company
keeps its knowledge. Each target is a function from the plans to pages
(relative path -> text); `write` puts them on disk, and `push_git_wiki`
sends a git wiki's pages to its remote.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import jinja2
from markupsafe import Markup

from .errors import CurriculumError
from .model import STAGES, Plan, TeamPlan
from .render import index_grid, make_environment, render_index, render_plan, render_team
from .team import slugify
from .write import check_relative

log = logging.getLogger(__name__)

TARGETS = ("site", "mkdocs", "git-wiki", "dokuwiki", "confluence")
SITE_NAME = "ML upskilling syllabi"
WIKI_MANIFEST = ".curriculum-manifest.json"


def publish_pages(
    target: str, plans: Sequence[Plan], teams: Sequence[TeamPlan], template_dirs: Sequence[Path] = (),
    namespace: str | None = None,
) -> Iterator[tuple[str, str]]:
    if target == "site":
        return site_pages(plans, teams, template_dirs)
    if target == "mkdocs":
        return mkdocs_pages(plans, teams, template_dirs)
    if target == "git-wiki":
        return git_wiki_pages(plans, teams, template_dirs)
    if target == "confluence":
        return confluence_pages(plans, teams, template_dirs)
    if target == "dokuwiki":
        from .dokuwiki import DEFAULT_NAMESPACE, dokuwiki_pages

        return dokuwiki_pages(plans, teams, template_dirs, namespace or DEFAULT_NAMESPACE)
    raise CurriculumError(f"unknown publish target '{target}'; targets: {', '.join(TARGETS)}")


# --- static site ------------------------------------------------------------------


def site_pages(plans, teams, template_dirs=()) -> Iterator[tuple[str, str]]:
    """A static HTML site viewable from the file system or any static host:
    a home page by role and size, every syllabus, each team with its members,
    a page per module, and a search over module titles and outcomes that runs
    in the browser."""
    from .render import _render

    env = make_environment(template_dirs)
    modules = {}
    for plan in plans:
        for step in plan.steps:
            modules.setdefault(step.module.id, step.module)
    for team in teams:
        for _, plan in team.plans:
            for step in plan.steps:
                modules.setdefault(step.module.id, step.module)
    modules = dict(sorted(modules.items()))
    folders = {team.team.name: _team_folder(team) for team in teams}
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


# --- MkDocs ---------------------------------------------------------------------


def mkdocs_pages(plans, teams, template_dirs=()) -> Iterator[tuple[str, str]]:
    """`mkdocs.yml` and a `docs/` tree that `mkdocs build --strict` builds
    (Backstage TechDocs and many internal wikis are MkDocs)."""
    env = make_environment(template_dirs)
    nav: list = [{"Home": "index.md"}]
    by_role: dict[str, list] = {}
    for plan in plans:
        by_role.setdefault(plan.role.title, []).append({plan.size.title: f"{plan.slug}.md"})
    nav.append({"Syllabi": [{role: pages} for role, pages in by_role.items()]})
    team_nav = []
    for team in teams:
        folder = f"teams/{_team_folder(team)}"
        team_nav.append({team.team.name: [f"{folder}/index.md"] + [
            {member.name: f"{folder}/{team.slugs[member.name]}.md"} for member, _ in team.plans
        ]})
    if team_nav:
        nav.append({"Teams": team_nav})
    yield "mkdocs.yml", _mkdocs_yml(nav)
    yield "docs/index.md", render_index(env, plans, ["md"])["index.md"]
    for plan in plans:
        yield f"docs/{plan.slug}.md", render_plan(env, plan, ["md"])[f"{plan.slug}.md"]
    for team in teams:
        folder = f"docs/teams/{_team_folder(team)}"
        for name, text in _team_files(env, team):
            yield f"{folder}/{name}", text


def _mkdocs_yml(nav: list) -> str:
    # JSON is YAML: every string quoted, nothing a team or module name could break.
    lines = [
        "# Generated by curriculum publish --target mkdocs",
        f"site_name: {json.dumps(SITE_NAME)}",
        "docs_dir: docs",
        "use_directory_urls: false",
        "theme:",
        "  name: mkdocs",
        "markdown_extensions:",
        "  - tables",
        "  - fenced_code",
        "  - toc:",
        "      permalink: false",
        f"nav: {json.dumps(nav, ensure_ascii=False)}",
    ]
    return "\n".join(lines) + "\n"


# --- git wikis (GitHub, GitLab, Gitea) --------------------------------------------


def git_wiki_pages(plans, teams, template_dirs=()) -> Iterator[tuple[str, str]]:
    """A flat wiki: `Home.md`, `_Sidebar.md` and one page per syllabus and
    team member; pages link each other by name without `.md`, as GitHub,
    GitLab and Gitea wikis expect."""
    env = make_environment(template_dirs, md_link_suffix="")
    sidebar = ["**[Home](Home)**", "", "**Syllabi**", ""]
    sidebar += [f"- [{plan.role.title}, {plan.size.title.lower()}]({plan.slug})" for plan in plans]
    yield "Home.md", render_index(env, plans, ["md"])["index.md"]
    for plan in plans:
        yield f"{plan.slug}.md", render_plan(env, plan, ["md"])[f"{plan.slug}.md"]
    if teams:
        sidebar += ["", "**Teams**", ""]
    for team in teams:
        prefix = f"team-{_team_folder(team)}"
        # One flat namespace: member pages carry the team's name.
        team = dataclasses.replace(team, slugs={name: f"{prefix}-{slug}" for name, slug in team.slugs.items()})
        sidebar.append(f"- [{_md_text(team.team.name)}]({prefix})")
        for name, text in render_team(env, team, ["md"], exports=False):
            yield (f"{prefix}.md" if name == "index.md" else name), text
    yield "_Sidebar.md", "\n".join(sidebar) + "\n"


def push_git_wiki(pages: dict[str, str], url: str, message: str) -> str:
    """Commit `pages` to the wiki's git remote and push: generated pages are
    replaced, pages this tool generated before but not now are removed, and
    every other page is left as it is. Returns the new commit id."""
    with tempfile.TemporaryDirectory(prefix="curriculum-wiki-") as folder:
        work = Path(folder) / "wiki"
        _git("clone", "--quiet", url, str(work))
        previous = _previous_wiki_pages(work)
        for name in sorted(previous - set(pages)):
            (work / name).unlink(missing_ok=True)
        for name, text in sorted(pages.items()):
            check_relative(name)
            target = work / name
            if target.exists() and name not in previous:
                raise CurriculumError(f"the wiki already has a page '{name}' that curriculum did not write; "
                                      "rename it or choose other page names")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="")
        (work / WIKI_MANIFEST).write_text(json.dumps({"generated": sorted(pages)}, indent=1) + "\n", encoding="utf-8")
        _git("add", "--all", cwd=work)
        if not _git("status", "--porcelain", cwd=work).strip():
            log.info("the wiki is already up to date")
            return _git("rev-parse", "HEAD", cwd=work).strip()
        _git("-c", "user.name=curriculum", "-c", "user.email=curriculum@localhost",
             "commit", "--quiet", "-m", message, cwd=work, keep_identity=True)
        branch = _git("rev-parse", "--abbrev-ref", "HEAD", cwd=work).strip()
        _git("push", "--quiet", "origin", f"HEAD:{branch}", cwd=work)
        return _git("rev-parse", "HEAD", cwd=work).strip()


def _previous_wiki_pages(work: Path) -> set[str]:
    try:
        return set(json.loads((work / WIKI_MANIFEST).read_text(encoding="utf-8"))["generated"])
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def _git(*args: str, cwd: Path | None = None, keep_identity: bool = False) -> str:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    if keep_identity:
        # The committer is whoever runs the tool, where git knows them.
        for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
            env.pop(key, None)
    if shutil.which("git") is None:
        raise CurriculumError("git is not installed; it is needed to push a wiki")
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["failed"])[-1]
        # Never echo a token or password given in the remote's URL.
        detail = re.sub(r"//[^/@\s]+@", "//***@", detail)
        raise CurriculumError(f"git {args[0]}: {detail}")
    return result.stdout


# --- Confluence -------------------------------------------------------------------


def confluence_pages(plans, teams, template_dirs=()) -> Iterator[tuple[str, str]]:
    """One file per page in Confluence storage format (XHTML with Confluence
    macros) under `pages/`, and `manifest.json`: the page tree (title, file,
    parent title), ready for an importer or the REST API."""
    from .render import _render, _team_overview  # the same page data as the HTML and Markdown

    env = make_environment(template_dirs)
    env.filters["storage"] = storage_format
    env.globals["page_link"] = _confluence_link
    home = SITE_NAME
    titles = {plan.slug: f"{plan.role.title} at a {plan.size.title.lower()}" for plan in plans}
    tree = [{"title": home, "file": "pages/index.xml", "parent": None}]
    yield "pages/index.xml", _render(env, "confluence/index.xml.j2", titles=titles, **index_grid(plans))
    for plan in plans:
        yield f"pages/{plan.slug}.xml", _render(env, "confluence/syllabus.xml.j2", plan=plan)
        tree.append({"title": titles[plan.slug], "file": f"pages/{plan.slug}.xml", "parent": home})
    for team in teams:
        folder = _team_folder(team)
        members = {member.name: f"{team.team.name}: {member.name}" for member, _ in team.plans}
        yield f"pages/teams/{folder}/index.xml", _render(
            env, "confluence/team.xml.j2", team=team, titles=members, **_team_overview(team))
        tree.append({"title": team.team.name, "file": f"pages/teams/{folder}/index.xml", "parent": home})
        for member, plan in team.plans:
            file = f"pages/teams/{folder}/{team.slugs[member.name]}.xml"
            yield file, _render(env, "confluence/syllabus.xml.j2", plan=plan)
            tree.append({"title": members[member.name], "file": file, "parent": team.team.name})
    yield "manifest.json", json.dumps({"root": home, "pages": tree}, indent=2, ensure_ascii=False) + "\n"


def _confluence_link(title: str, text: str) -> Markup:
    """A link to another page of the space, by its title."""
    return Markup('<ac:link><ri:page ri:content-title="{}"/><ac:plain-text-link-body>{}'
                  "</ac:plain-text-link-body></ac:link>").format(title, Markup(_cdata(text)))


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


_VOID = {"br", "hr", "img"}


def storage_format(text: str) -> Markup:
    """Untrusted Markdown -> Confluence storage format: the sanitised HTML of
    the other outputs, made well-formed XML, with code blocks as the code macro."""
    from html.parser import HTMLParser

    from markupsafe import escape

    from .render import markdown_html

    out: list[str] = []
    code: list[str] | None = None

    class Storage(HTMLParser):
        def handle_starttag(self, tag, attrs):
            nonlocal code
            if code is not None:
                return
            if tag == "code" and out and out[-1] == "<pre>":
                out.pop()
                code = []
                return
            rendered = "".join(f' {name}="{escape(value or "")}"' for name, value in attrs)
            out.append(f"<{tag}{rendered}{' /' if tag in _VOID else ''}>")

        def handle_endtag(self, tag):
            nonlocal code
            if code is not None:
                if tag == "pre":
                    out.append('<ac:structured-macro ac:name="code"><ac:plain-text-body>'
                               + _cdata("".join(code)) + "</ac:plain-text-body></ac:structured-macro>")
                    code = None
                return
            if tag not in _VOID:
                out.append(f"</{tag}>")

        def handle_data(self, data):
            if code is not None:
                code.append(data)
            else:
                out.append(str(escape(data)))

    parser = Storage(convert_charrefs=True)
    parser.feed(str(markdown_html(text)))
    parser.close()
    return Markup("".join(out))


# --- shared -----------------------------------------------------------------------


def _team_folder(team: TeamPlan) -> str:
    return slugify(team.team.name) or "team"


def _team_files(env: jinja2.Environment, team: TeamPlan) -> Iterator[tuple[str, str]]:
    """A team's Markdown pages and its calendar and CSV, by file name."""
    yield from render_team(env, team, ["md"])
    yield from _team_exports(team)


def _team_exports(team: TeamPlan) -> Iterator[tuple[str, str]]:
    from .exports import assignments_csv, team_calendar

    yield "assignments.csv", assignments_csv(team)
    if team.team.start is not None:
        yield "team.ics", "".join(team_calendar(team))


def _md_text(text: str) -> str:
    from .render import md_line

    return md_line(text).replace("[", "(").replace("]", ")")
