"""The git wiki target (GitHub, GitLab, Gitea): flat Markdown pages linked
by name, and `push_git_wiki`, which commits them to the wiki's remote."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import CurriculumError
from ..render import make_environment, render_index, render_plan, render_team
from ..write import check_relative
from . import _md_text, team_folders, unique_name

log = logging.getLogger(__name__)

WIKI_MANIFEST = ".curriculum-manifest.json"
# The wikis' own special pages (compared case-folded, as some wikis do).
SPECIAL_PAGES = ("Home", "_Sidebar", "_Footer")


def git_wiki_pages(plans, teams, template_dirs=()) -> Iterator[tuple[str, str]]:
    """A flat wiki: `Home.md`, `_Sidebar.md` and one page per syllabus and
    team member; pages link each other by name without `.md`, as GitHub,
    GitLab and Gitea wikis expect. Names are unique in the one flat
    namespace: a team page or member page whose natural name is taken gets
    `-2`, `-3`, ... in the order given."""
    env = make_environment(template_dirs, md_link_suffix="")
    taken = {name.casefold() for name in SPECIAL_PAGES} | {plan.slug.casefold() for plan in plans}
    # Team overviews first, so they keep their natural names before any member page.
    overviews = [unique_name(f"team-{folder}", taken) for folder in team_folders(teams)]
    members = [{name: unique_name(f"{overview}-{slug}", taken) for name, slug in team.slugs.items()}
               for team, overview in zip(teams, overviews)]
    sidebar = ["**[Home](Home)**", "", "**Syllabi**", ""]
    sidebar += [f"- [{plan.role.title}, {plan.size.title.lower()}]({plan.slug})" for plan in plans]
    yield "Home.md", render_index(env, plans, ["md"])["index.md"]
    for plan in plans:
        yield f"{plan.slug}.md", render_plan(env, plan, ["md"])[f"{plan.slug}.md"]
    if teams:
        sidebar += ["", "**Teams**", ""]
    for team, overview, slugs in zip(teams, overviews, members):
        team = dataclasses.replace(team, slugs=slugs)
        sidebar.append(f"- [{_md_text(team.team.name)}]({overview})")
        for name, text in render_team(env, team, ["md"], exports=False):
            yield (f"{overview}.md" if name == "index.md" else name), text
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
