"""The git wiki target (GitHub, GitLab, Gitea): flat Markdown pages linked
by name, and `push_git_wiki`, which commits them to the wiki's remote.

The wiki is untrusted input: anyone who can edit it controls its files,
including the manifest that says which pages curriculum wrote. A push
therefore only writes or deletes plain files at plain relative paths inside
its own clone, never through a symbolic link, and git runs with the
transports it needs, no prompt and a time limit.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

from ..errors import CurriculumError
from ..manifest import MANIFEST, MAX_BYTES, accepted, check_size, manifest_json
from ..render import make_environment, render_index, render_plan, render_team
from . import Publication, _md_text, team_folders, unique_name
from .remote import clean_text, display_url, parse_url, redact

log = logging.getLogger(__name__)

# The wikis' own special pages (compared case-folded, as some wikis do).
SPECIAL_PAGES = ("Home", "_Sidebar", "_Footer")
MAX_MANIFEST_BYTES = MAX_BYTES
# Seconds any one git command may take (a clone of a large wiki included).
GIT_TIMEOUT = 600.0
# Transports git may use: no `ext::` or `fd::` helper that runs commands.
ALLOWED_PROTOCOLS = ("https", "http", "ssh", "git", "file")
_URL_SCHEMES = {"https", "http", "ssh", "git", "file", "git+ssh", "ssh+git"}
_MAX_WARNINGS = 5
# Lines of git's that say nothing about a failure.
_GIT_CHATTER = ("remote:", "To ", "Cloning into", "warning:", "hint:")


def git_wiki_pages(publication: Publication) -> Iterator[tuple[str, str]]:
    """A flat wiki: `Home.md`, `_Sidebar.md` and one page per syllabus and
    team member; pages link each other by name without `.md`, as GitHub,
    GitLab and Gitea wikis expect. Names are unique in the one flat
    namespace: a team page or member page whose natural name is taken gets
    `-2`, `-3`, ... in the order given."""
    plans, teams = publication.plans, publication.teams
    env = make_environment(publication.templates, md_link_suffix="")
    taken = {name.casefold() for name in SPECIAL_PAGES} | {plan.slug.casefold() for plan in plans}
    # Team overviews first, so they keep their natural names before any member page.
    overviews = [unique_name(f"team-{folder}", taken) for folder in team_folders(teams)]
    members = [{name: unique_name(f"{overview}-{slug}", taken) for name, slug in team.slugs.items()}
               for team, overview in zip(teams, overviews)]
    sidebar = ["**[Home](Home)**", "", "**Syllabi**", ""]
    sidebar += [f"- [{_md_text(plan.role.title)}, {_md_text(plan.size.title.lower())}]({plan.slug})"
                for plan in plans]
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


# --- pushing ------------------------------------------------------------------------


def check_git_url(url: str) -> str:
    """The URL if git may push to it, else a CurriculumError: a URL of an
    allowed transport with a host, an scp-style `host:path`, or a local path;
    never an option, a remote helper (`ext::`) or a malformed URL."""
    url = str(url)
    shown = display_url(url)
    if not url.strip():
        raise CurriculumError("the --push URL is empty")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise CurriculumError(f"the --push URL '{shown}' contains control characters")
    if url.startswith("-"):
        raise CurriculumError(f"the --push URL '{shown}' starts with '-'; git would read it as an option")
    helper = re.match(r"^([A-Za-z0-9][A-Za-z0-9+.-]*)::", url)
    if helper:
        raise CurriculumError(f"the --push URL '{shown}' asks for git's remote helper '{helper.group(1)}'; "
                              f"use a URL of {', '.join(ALLOWED_PROTOCOLS)}")
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", url)
    if scheme:
        if scheme.group(1).lower() not in _URL_SCHEMES:
            raise CurriculumError(f"the --push URL '{shown}' uses '{scheme.group(1)}', which curriculum does not "
                                  f"push through; use {', '.join(ALLOWED_PROTOCOLS)}")
        if re.search(r"\s", url):
            raise CurriculumError(f"the --push URL '{shown}' contains spaces; write them as %20")
        parts = parse_url(url, "the --push URL")
        if parts.scheme.lower() != "file" and not parts.hostname:
            raise CurriculumError(f"the --push URL '{shown}' has no host")
    elif re.match(r"^[^/]*:", url) and re.search(r"\s", url.split(":", 1)[0]):
        raise CurriculumError(f"the --push URL '{shown}' contains spaces in its host")
    return url


def push_git_wiki(pages: Mapping[str, str], url: str, message: str) -> str:
    """Commit `pages` to the wiki's git remote and push: generated pages are
    replaced, pages this tool generated before but not now are removed, and
    every other page is left as it is. Returns the new commit id.

    What the wiki's manifest lists is checked: only plain relative paths of
    regular files in the clone, outside `.git`, count as pages curriculum
    wrote; other entries are ignored with a warning. A generated page, a
    folder above it, or the manifest that is a symbolic link (dangling or
    not) stops the push before anything is changed."""
    check_git_url(url)
    for name in pages:
        problem = _page_name_problem(name)
        if problem:
            raise CurriculumError(f"refusing to publish '{clean_text(name)}': {problem}")
    with tempfile.TemporaryDirectory(prefix="curriculum-wiki-") as folder:
        work = Path(folder) / "wiki"
        # core.symlinks: links in the wiki are checked out as links, so they are seen (and never followed).
        _git("clone", "--quiet", "--config", "core.symlinks=true", "--", url, str(work), url=url)
        for name in [MANIFEST, *sorted(pages)]:
            problem = _file_problem(work, name)
            if problem:
                raise CurriculumError(f"the wiki's {problem}; curriculum never writes through a link or over "
                                      "a folder: remove or rename it in the wiki")
        previous = _previous_wiki_pages(work)
        clashes = sorted(name for name in pages if os.path.lexists(work / name) and name not in previous)
        if clashes:
            raise CurriculumError(f"the wiki already has a page '{clashes[0]}' that curriculum did not write"
                                  + (f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else "")
                                  + "; rename it or choose other page names")
        for name in sorted(previous - set(pages)):
            if os.path.lexists(work / name):
                os.unlink(work / name)  # unlink never follows a link; the folders above were checked
        for name, text in sorted(pages.items()):
            _write_file(work, name, text)
        _write_file(work, MANIFEST, manifest_json(pages))
        _git("add", "--all", cwd=work, url=url)
        if not _git("status", "--porcelain", cwd=work, url=url).strip():
            log.info("the wiki is already up to date")
            return _git("rev-parse", "HEAD", cwd=work, url=url).strip()
        _git("commit", "--quiet", "-m", message, cwd=work, url=url,
             config=("user.name=curriculum", "user.email=curriculum@localhost"))
        branch = _git("rev-parse", "--abbrev-ref", "HEAD", cwd=work, url=url).strip()
        _git("push", "--quiet", "origin", f"HEAD:{branch}", cwd=work, url=url)
        return _git("rev-parse", "HEAD", cwd=work, url=url).strip()


def _page_name_problem(name: object) -> str | None:
    """Why `name` is not a page name inside the wiki (a plain relative path,
    as the generator makes them), or None."""
    if not isinstance(name, str) or not name:
        return "not a page name"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name) or "\\" in name or len(name) > 1024:
        return "not a plain page name"
    if PurePosixPath(name).is_absolute():
        return "an absolute path"
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "not a plain relative path"
    if any(part.casefold() == ".git" for part in parts):
        return "inside git's own folder"
    if name.casefold() == MANIFEST:
        return "curriculum's manifest"
    return None


def _file_problem(work: Path, name: str) -> str | None:
    """Why `name` in the clone cannot be written or deleted as a plain file
    (a symbolic link on the way or at the end, or not a regular file), or
    None; a path that does not exist yet is fine."""
    current = work
    parts = name.split("/")
    for index, part in enumerate(parts):
        current = current / part
        shown = "/".join(parts[: index + 1])
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(mode):
            return f"'{shown}' is a symbolic link"
        last = index == len(parts) - 1
        if not last and not stat.S_ISDIR(mode):
            return f"'{shown}' is not a folder"
        if last and not stat.S_ISREG(mode):
            return f"'{shown}' is not a regular file"
    # No link and no '..' above: the path is in the clone. Checked all the same.
    if not current.resolve().is_relative_to(work.resolve()):
        return f"'{name}' is outside the wiki"
    return None


def _previous_wiki_pages(work: Path) -> set[str]:
    """The pages the wiki's manifest says curriculum wrote, each one checked;
    entries that are not a plain page inside the clone are ignored, with a
    warning."""
    where = f"the wiki's {MANIFEST}"
    try:
        fd = os.open(work / MANIFEST, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return set()
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(MAX_MANIFEST_BYTES + 1)
    check_size(len(data), where, MAX_MANIFEST_BYTES)
    try:
        entries = json.loads(data.decode("utf-8"))["generated"]
    except (ValueError, KeyError, TypeError):
        entries = None
    if not isinstance(entries, list):
        log.warning("%s is not a list of generated pages; it is ignored", where)
        return set()
    return accepted(entries, lambda entry: _page_name_problem(entry) or _file_problem(work, entry), where, "page")


def _write_file(work: Path, name: str, text: str) -> None:
    """Write a file in the clone; its folders were checked to be no links,
    and O_NOFOLLOW refuses a link in the file's own place."""
    target = work / name
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(text.encode("utf-8"))


def _git(*args: str, cwd: Path | None = None, url: str, config: tuple[str, ...] = ()) -> str:
    """Run git: no prompt, only the allowed transports, at most GIT_TIMEOUT
    seconds, in its own session (so no terminal to ask on, and a timeout
    stops git with whatever it started). Errors are one line, with what git
    and the remote said, cleaned, and no secret from `url`."""
    if shutil.which("git") is None:
        raise CurriculumError("git is not installed; it is needed to push a wiki")
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ALLOW_PROTOCOL=":".join(ALLOWED_PROTOCOLS))
    options = [part for item in config for part in ("-c", item)]
    if config:
        # The committer is set here, not taken from the environment.
        for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
            env.pop(key, None)
    process = subprocess.Popen(["git", *options, *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(timeout=GIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise CurriculumError(f"git {args[0]}: no answer from {display_url(url)} within {GIT_TIMEOUT:g} s") from None
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    if process.returncode != 0:
        raise CurriculumError(f"git {args[0]}: {_git_failure(err.decode('utf-8', 'replace'), url)}")
    return out.decode("utf-8", "replace")


def _git_failure(stderr: str, url: str) -> str:
    """What went wrong, in one line: git's refused refs or its first fatal
    error, and what the remote said (a hook's reason), redacted and cleaned."""
    lines = [clean_text(line) for line in stderr.splitlines()]
    lines = [line for line in lines if line]
    remote = [line[len("remote:"):].strip() for line in lines if line.startswith("remote:")]
    remote = [clean_text(line, 300) for line in remote if line][:_MAX_WARNINGS]
    refused = [line.lstrip("! ").strip() for line in lines if line.startswith("! [")]
    first = next((i for i, line in enumerate(lines) if line.startswith(("fatal:", "error:"))), None)
    if refused:
        detail = "; ".join(refused)
    elif first is not None:
        # What a transport said just before git gave up (ssh's own reason, say), then git's error.
        said = [line for line in lines[:first] if not line.startswith(_GIT_CHATTER)][-2:]
        detail = "; ".join([*said, re.sub(r"^(fatal|error): ", "", lines[first])])
    else:
        detail = lines[-1] if lines else "failed"
    if remote:
        detail += "; the remote said: " + " / ".join(remote)
    return redact(detail, url)
