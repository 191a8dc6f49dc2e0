"""The DokuWiki target: the syllabi as pages in DokuWiki syntax under one
namespace, and `push_dokuwiki`, which writes them through the wiki's XML-RPC
API.

Every piece of module, catalog and team text is untrusted: it is shown as
plain text inside DokuWiki's nowiki markup (`%%...%%`), so it cannot open
`<html>`/`<php>` blocks, embed media with `{{...}}`, run macros, break out of
a `<code>` block, or split a table cell or link. Link texts and headings,
where nowiki is not parsed, are defused character by character instead.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import re
import socket
import ssl
import xmlrpc.client
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from urllib.parse import quote, urlunsplit
from xml.parsers.expat import ExpatError

import jinja2

from ..errors import CurriculumError
from ..manifest import MAX_BYTES, accepted, check_size
from ..model import TeamPlan
from ..render import Templates, _render, _team_overview, index_grid, make_environment, member_view, safe_url, sessions_by_id
from ..team import slugify
from . import SITE_NAME, Publication, team_folders
from .remote import clean_text, display_url, parse_url, redact

log = logging.getLogger(__name__)

DEFAULT_NAMESPACE = "ml-upskilling"
MANIFEST_PAGE = "curriculum-manifest"
TIMEOUT = 30.0

# Page ids and namespaces in the characters DokuWiki's cleanID keeps;
# `canonical_id` checks the rest of what it does.
_PAGE_ID = re.compile(r"^[a-z0-9_.-]+(?::[a-z0-9_.-]+)*$")
MAX_MANIFEST_BYTES = MAX_BYTES
_MAX_WARNINGS = 5


# --- pages --------------------------------------------------------------------------


def dokuwiki_pages(publication: Publication) -> Iterator[tuple[str, str]]:
    """Pages in DokuWiki syntax under `namespace`: `start` (the role x size
    grid), one page per syllabus, and per team `teams:TEAM:start` (the
    overview) and one page per member. Yields (path, text), the path being the
    page id with ':' as '/' plus '.txt', as in DokuWiki's `data/pages` tree."""
    plans, teams = publication.plans, publication.teams
    namespace = check_namespace(DEFAULT_NAMESPACE if publication.namespace is None else publication.namespace)
    env = dokuwiki_environment(publication.templates, namespace)
    folders = team_folders(teams)
    team_links = [(f"{namespace}:teams:{folders[i]}:start", team.team.name) for i, team in enumerate(teams)]
    yield page_path(f"{namespace}:start"), _render(
        env, "dokuwiki/start.txt.j2", plans=plans, teams=team_links, **index_grid(plans))
    for plan in plans:
        yield page_path(f"{namespace}:{plan.slug}"), _render(
            env, "dokuwiki/syllabus.txt.j2", plan=plan, up=f"{namespace}:start", member=None, team_member=None)
    for index, team in enumerate(teams):
        team_ns = f"{namespace}:teams:{folders[index]}"
        pages = _member_pages(team)
        overview = _team_overview(team)
        sessions = sessions_by_id(overview)
        yield page_path(f"{team_ns}:start"), _render(
            env, "dokuwiki/team.txt.j2", team=team, team_ns=team_ns, pages=pages, up=f"{namespace}:start",
            **overview)
        for member, plan in team.plans:
            yield page_path(f"{team_ns}:{pages[member.name]}"), _render(
                env, "dokuwiki/syllabus.txt.j2", plan=plan, up=f"{team_ns}:start", member=member,
                team_member=member_view(team, sessions, member, plan))


def check_namespace(namespace: str) -> str:
    """The namespace without surrounding colons, or a CurriculumError."""
    cleaned = str(namespace).strip().strip(":")
    if not canonical_id(cleaned):
        raise CurriculumError(
            f"'{namespace}' is not a DokuWiki namespace this tool can write to; use lower-case letters, digits, "
            "'-', '_' and '.', with ':' between levels (for example 'ml-upskilling' or 'training:ml')")
    return cleaned


def canonical_id(pid: str) -> bool:
    """Whether DokuWiki names the page `pid` as written. Its cleanID maps
    other ids to other pages (`ns:..:x` and `ns:.x` to `ns:x`, `A` to `a`,
    `a/b` to `a:b`, `a__b` to `a_b`), so only ids it keeps as they are may be
    written, linked or deleted."""
    if not isinstance(pid, str) or not _PAGE_ID.match(pid):
        return False
    cleaned = re.sub(r"_+", "_", pid).strip(":._-")
    cleaned = re.sub(r"[:._-]+:", ":", re.sub(r":[:._-]+", ":", cleaned))
    return cleaned == pid


def page_path(page_id: str) -> str:
    """`ns:sub:page` -> `ns/sub/page.txt`, its file under DokuWiki's data/pages."""
    return page_id.replace(":", "/") + ".txt"


def page_id(path: str) -> str:
    """The inverse of `page_path`."""
    if not path.endswith(".txt"):
        raise CurriculumError(f"'{path}' is not a DokuWiki page file (NAME.txt)")
    return path[: -len(".txt")].replace("/", ":")


def _member_pages(team: TeamPlan) -> dict[str, str]:
    """Member name -> page name in the team's namespace; never `start`, the overview."""
    taken = set(team.slugs.values())
    pages = {}
    for name, slug in team.slugs.items():
        page = slug.replace("_", "-").lower() or "member"
        if page == "start" or not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", page):
            candidate = "member-" + (slugify(page) or "x")
            while candidate in taken:
                candidate += "-x"
            taken.add(candidate)
            page = candidate
        pages[name] = page
    return pages


def dokuwiki_environment(templates: Templates = Templates(), namespace: str = DEFAULT_NAMESPACE) -> jinja2.Environment:
    env = make_environment(templates)
    env.filters.update(dw=dw_text, dw_markdown=dw_markdown, dw_title=dw_title, dw_heading=dw_heading,
                       dw_url=dw_url)
    env.globals.update(dw_link=dw_link, dw_external=dw_external, namespace=namespace,
                       module_body_dw=_ModuleBodies(env), SITE_NAME=SITE_NAME)
    return env


class _ModuleBodies:
    """`module_body_dw(module)`: a module's own text, rendered once per build."""

    def __init__(self, env: jinja2.Environment):
        self.env = env
        self.cache: dict[str, str] = {}

    def __call__(self, module) -> str:
        body = self.cache.get(module.id)
        if body is None:
            body = self.cache[module.id] = _render(self.env, "dokuwiki/module.txt.j2", module=module)
        return body


# --- escaping -------------------------------------------------------------------------


def dw_text(text: object) -> str:
    """Untrusted text as one line of literal DokuWiki text: wrapped in
    `%%...%%` (nowiki), so no markup inside it is parsed. A `%` cannot be
    inside `%%...%%` safely (two would close it), so each one is written as
    `<nowiki>%</nowiki>`. Safe in paragraphs, lists, table cells and
    formatting such as `**...**`; not in headings or link texts (see
    `dw_heading` and `dw_title`)."""
    line = " ".join(str(text).split())
    if not line:
        return ""
    parts = []
    for index, chunk in enumerate(line.split("%")):
        if index:
            parts.append("<nowiki>%</nowiki>")
        if chunk:
            parts.append(f"%%{chunk}%%")
    return "".join(parts)


def dw_title(text: object) -> str:
    """Untrusted text as the text of a `[[target|text]]` link, which DokuWiki
    does not parse for nowiki: brackets, braces (media) and pipes become
    harmless look-alikes; the renderer escapes the rest for HTML."""
    line = " ".join(str(text).split())
    line = line.translate(str.maketrans({"[": "(", "]": ")", "{": "(", "}": ")", "|": "/"}))
    return line or "-"


def dw_heading(text: object) -> str:
    """Untrusted text inside `== ... ==`: one line, with no '=' at its ends
    (DokuWiki trims them, and they would change the level). Heading text is
    not parsed for markup, only escaped for HTML."""
    line = " ".join(str(text).split())
    return line.strip("= \t") or "-"


def dw_url(url: object) -> str:
    """An http(s) URL made safe inside `[[...]]`: characters that could end
    the link, start its text or open media are percent-encoded."""
    url = safe_url(str(url).strip())
    if url == "#":
        return ""
    return quote(url, safe=":/?#@!$&'()*+,;=%~-._")


def dw_link(target: str, text: object) -> str:
    """An internal link to a page id this tool generated."""
    if not canonical_id(target):
        raise CurriculumError(f"'{target}' is not a DokuWiki page id")
    return f"[[{target}|{dw_title(text)}]]"


def dw_external(url: object, text: object) -> str:
    """An external link, or the text alone where the URL is not http(s)."""
    safe = dw_url(url)
    if not safe:
        return dw_text(text)
    return f"[[{safe}|{dw_title(text)}]]"


_FENCE = re.compile(r"^[ \t]{0,3}(```+|~~~+)[ \t]*([^\n`]*)$")
_BULLET = re.compile(r"^[ \t]{0,3}[-*+][ \t]+(.*)$")
_NUMBERED = re.compile(r"^[ \t]{0,3}\d{1,9}[.)][ \t]+(.*)$")
_ATX = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t#]*$")
_LANGUAGE = re.compile(r"^[a-z0-9][a-z0-9_+-]{0,30}$")


def dw_markdown(text: object) -> str:
    """Untrusted Markdown -> DokuWiki, conservatively: paragraphs, bullet and
    numbered lists and fenced code blocks keep their shape, Markdown headings
    become bold lines; everything else (inline formatting, links, HTML) is
    shown as the literal text it is, inside nowiki."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(dw_text(" ".join(paragraph)))
            paragraph.clear()
        if items:
            blocks.append("\n".join(items))
            items.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line)
        if fence:
            flush()
            marker = fence.group(1)
            language = fence.group(2).strip().split(" ")[0].lower()
            body = []
            index += 1
            while index < len(lines) and not re.match(
                rf"^[ \t]{{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$", lines[index]
            ):
                body.append(lines[index])
                index += 1
            index += 1  # the closing fence, if any
            blocks.append(dw_code("\n".join(body), language))
            continue
        if not line.strip():
            flush()
        elif _ATX.match(line):
            flush()
            blocks.append(f"**{dw_text(_ATX.match(line).group(1))}**")
        elif _BULLET.match(line):
            if paragraph:
                flush()
            items.append(f"  * {dw_text(_BULLET.match(line).group(1))}")
        elif _NUMBERED.match(line):
            if paragraph:
                flush()
            items.append(f"  - {dw_text(_NUMBERED.match(line).group(1))}")
        elif items and line[:1] in (" ", "\t"):
            # A list item's continuation line.
            last = items.pop()
            items.append(last + " " + dw_text(line))
        else:
            if items:
                flush()
            paragraph.append(line.strip())
        index += 1
    flush()
    return "\n\n".join(b for b in blocks if b)


def dw_code(code: str, language: str = "") -> str:
    """A `<code>` block that its content cannot end early: a literal
    `</code>` inside it is written `</code >`, which DokuWiki does not take
    as the end."""
    code = re.sub(r"</code>", "</code >", code, flags=re.I)
    language = language if _LANGUAGE.match(language or "") else ""
    opening = f"<code {language}>" if language else "<code>"
    return f"{opening}\n{code}\n</code>"


# --- pushing ----------------------------------------------------------------------------


def push_dokuwiki(
    pages: Mapping[str, str] | Iterable[tuple[str, str]],
    url: str,
    user: str,
    password: str,
    namespace: str = DEFAULT_NAMESPACE,
    summary: str = "Updated by curriculum",
) -> dict[str, list[str]]:
    """Write `pages` (path -> text from `dokuwiki_pages`) to the DokuWiki at
    `url` through its XML-RPC API, as `user`. Pages this tool generated before
    (listed in the page `NAMESPACE:curriculum-manifest`) but not now are
    deleted; every other page is left as it is, and a generated page whose id
    is already taken by a page this tool did not write is an error, before
    anything is written. Returns the ids written, unchanged and deleted.

    The manifest page is untrusted: anyone who may edit the namespace may
    edit it. Its entries count only as canonical page ids under the
    namespace (never the manifest itself), and a listed page is replaced or
    deleted only while the wiki says `user` changed it last: a page someone
    else wrote or edited since is left alone, so a doctored manifest cannot
    make the publisher change other people's pages with its own rights."""
    namespace = check_namespace(namespace)
    base = check_dokuwiki_url(url)
    items = dict(pages.items() if isinstance(pages, Mapping) else pages)
    wanted: dict[str, str] = {}
    for path, text in items.items():
        pid = page_id(path)
        if not pid.startswith(namespace + ":") or not canonical_id(pid):
            raise CurriculumError(f"page '{path}' is not under the namespace '{namespace}'")
        wanted[pid] = _normalise(text)
    manifest_id = f"{namespace}:{MANIFEST_PAGE}"
    if manifest_id in wanted:
        raise CurriculumError(f"'{manifest_id}' is the page where curriculum keeps its list of pages")

    wiki = _Wiki(base, user, password)
    wiki.login()
    listing = wiki.page_list(namespace)
    existing = {pid: str(info.get("hash", "")) for pid, info in listing.items()}
    previous = _previous_ids(wiki, listing, manifest_id, namespace)
    # Pages a push would change: each must still be the publisher's own.
    changing = sorted(pid for pid in previous if pid in existing
                      and (pid not in wanted or existing[pid] != _text_hash(wanted[pid])))
    others = {}
    for pid in changing:
        author = wiki.last_author(pid)
        if not _same_user(author, user):
            others[pid] = author
    previous -= set(others)
    clashes = sorted(pid for pid in wanted if pid in existing and pid not in previous)
    shown_user = clean_text(user, 100)
    if clashes:
        first = clashes[0]
        why = (f"was last changed by {clean_text(others[first] or 'someone else', 100)}, not by {shown_user}"
               if first in others else "curriculum did not write")
        raise CurriculumError(
            f"the wiki already has a page '{first}' that {why}"
            + (f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else "")
            + "; move it or publish to another namespace")
    left = sorted(set(others) - set(wanted))
    for pid in left[:_MAX_WARNINGS]:
        log.warning("DokuWiki page %s is no longer generated but was last changed by %s, not by %s: left as it is",
                    pid, clean_text(others[pid] or "someone else", 100), shown_user)
    if len(left) > _MAX_WARNINGS:
        log.warning("... and %d more pages changed by others left as they are", len(left) - _MAX_WARNINGS)

    result: dict[str, list[str]] = {"written": [], "unchanged": [], "deleted": []}
    # The manifest first lists old and new pages, so an interrupted push can be rerun.
    wiki.put_page(manifest_id, _manifest_text(sorted(previous | set(wanted))), summary)
    for pid, text in sorted(wanted.items()):
        if existing.get(pid) == _text_hash(text):
            result["unchanged"].append(pid)
            continue
        wiki.put_page(pid, text, summary)
        result["written"].append(pid)
    for pid in sorted(previous - set(wanted)):
        if pid in existing:
            wiki.put_page(pid, "", summary + " (page no longer generated)")
            result["deleted"].append(pid)
    wiki.put_page(manifest_id, _manifest_text(sorted(wanted)), summary)
    return result


def check_dokuwiki_url(url: str) -> str:
    """The wiki's base URL (http or https, a host, a path; no user, query
    or fragment), or a CurriculumError in one line."""
    text = str(url).strip()
    shown = display_url(text)
    if not text:
        raise CurriculumError("the DokuWiki URL is empty")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise CurriculumError(f"the DokuWiki URL '{shown}' contains spaces or control characters")
    parts = parse_url(text, "the DokuWiki URL")
    if parts.scheme.lower() not in ("http", "https"):
        raise CurriculumError(f"'{shown}' is not a DokuWiki URL (http:// or https://)")
    if not parts.hostname:
        raise CurriculumError(f"the DokuWiki URL '{shown}' has no host")
    if parts.username or parts.password:
        raise CurriculumError("give the DokuWiki user and password separately, not in the URL")
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path.rstrip("/"), "", ""))


def _text_hash(text: str) -> str:
    """The hash getPagelist gives a page: md5 of its text after PHP's trim."""
    return hashlib.md5(text.strip(" \t\n\r\0\x0b").encode("utf-8")).hexdigest()


def _same_user(author: str | None, user: str) -> bool:
    """Whether the wiki's record of an author is `user`. DokuWiki records a
    login as its auth backend cleans it (authplain: lower case, with ':',
    '/', ';' and spaces as '_'); an author not recognised is someone else."""
    def clean(name: str) -> str:
        return re.sub(r"[\s:/;_]+", "_", name.strip().casefold())

    return bool(author) and clean(str(author)) == clean(user)


def _previous_ids(wiki: _Wiki, listing: Mapping[str, Mapping], manifest_id: str, namespace: str) -> set[str]:
    """The page ids the manifest page lists, each checked (see `_manifest_ids`)."""
    info = listing.get(manifest_id)
    if info is None:
        return set()
    where = f"the DokuWiki page {manifest_id}"
    try:
        size = int(info.get("size", 0))
    except (TypeError, ValueError):
        size = 0
    check_size(size, where, MAX_MANIFEST_BYTES)
    text = wiki.get_page(manifest_id)
    check_size(len(text.encode("utf-8")), where, MAX_MANIFEST_BYTES)
    return _manifest_ids(text, namespace)


def _normalise(text: str) -> str:
    """The text as DokuWiki stores it (cleanText: LF line ends, no trailing
    blank lines)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n") + "\n"


def _manifest_text(ids: Sequence[str]) -> str:
    lines = [
        "====== curriculum manifest ======",
        "",
        "The pages below were generated by the curriculum tool, which replaces them, and deletes those it no longer "
        "generates, on each publish, as long as the publishing account changed them last. Do not edit them or "
        "this page by hand: a page someone else changed is left alone, and publishing stops until it is moved.",
        "",
        "<code>",
        *ids,
        "</code>",
    ]
    return "\n".join(lines) + "\n"


def _manifest_ids(text: str, namespace: str) -> set[str]:
    """The ids listed in the manifest page that are canonical page ids under
    the namespace, other than the manifest; the rest are ignored, with a
    warning."""
    match = re.search(r"<code>\n(.*?)\n?</code>", text or "", re.S)
    if not match:
        return set()
    manifest_id = f"{namespace}:{MANIFEST_PAGE}"

    def problem(pid: str) -> str | None:
        if pid == manifest_id:
            return "the list itself"
        if not (canonical_id(pid) and pid.startswith(namespace + ":")):
            return f"not a page id under {namespace}"
        return None

    listed = (line.strip() for line in match.group(1).splitlines())
    return accepted([pid for pid in listed if pid], problem, f"the DokuWiki page {manifest_id}", "page")


class _CookieMixin:
    """An xmlrpc transport that keeps the session cookies DokuWiki sets at
    login and sends them back, with a timeout on every connection."""

    def __init__(self, *args, timeout: float = TIMEOUT, **kwargs):
        super().__init__(*args, **kwargs)
        self.cookies: dict[str, str] = {}
        self.timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection

    def send_headers(self, connection, headers):
        if self.cookies:
            connection.putheader("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        super().send_headers(connection, headers)

    def parse_response(self, response):
        for header in response.msg.get_all("Set-Cookie") or []:
            pair = header.split(";", 1)[0]
            name, _, value = pair.partition("=")
            if name.strip():
                if value.strip() in ("", "deleted"):
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = value.strip()
        return super().parse_response(response)


class _CookieTransport(_CookieMixin, xmlrpc.client.Transport):
    pass


class _SafeCookieTransport(_CookieMixin, xmlrpc.client.SafeTransport):
    pass


class _Wiki:
    def __init__(self, url: str, user: str, password: str):
        self.base = check_dokuwiki_url(url)
        self.endpoint = self.base + "/lib/exe/xmlrpc.php"
        self.user = user
        self._password = password
        transport = _SafeCookieTransport() if self.base.startswith("https:") else _CookieTransport()
        self.proxy = xmlrpc.client.ServerProxy(self.endpoint, transport=transport, allow_none=True)

    def login(self) -> None:
        if not self._call("dokuwiki.login", self.user, self._password):
            raise CurriculumError(f"DokuWiki refused the login for user {clean_text(self.user, 100)} at {self.base}")

    def page_list(self, namespace: str) -> dict[str, dict]:
        """Every page under the namespace (any depth) -> its listing: `hash`
        (md5 of its text) and `size`."""
        listed = self._call("dokuwiki.getPagelist", namespace, {"depth": 0, "hash": True})
        return {str(p.get("id")): p for p in listed or [] if isinstance(p, dict)}

    def last_author(self, pid: str) -> str | None:
        """Who changed the page last, as the wiki records it (a user, or an IP address)."""
        info = self._call("wiki.getPageInfo", pid)
        author = info.get("author") if isinstance(info, dict) else None
        return str(author) if author else None

    def get_page(self, pid: str) -> str:
        return str(self._call("wiki.getPage", pid) or "")

    def put_page(self, pid: str, text: str, summary: str) -> None:
        self._call("wiki.putPage", pid, text, {"sum": summary, "minor": False})

    def _call(self, method: str, *args):
        try:
            return getattr(self.proxy, method)(*args)
        except (xmlrpc.client.Error, ExpatError, OSError, http.client.HTTPException) as exc:
            raise CurriculumError(redact(self._failure(method, exc), None, [self._password])) from None

    def _failure(self, method: str, exc: Exception) -> str:
        """A failed call as one line; what the server sent is cleaned, as it is untrusted."""
        where, user = self.base, clean_text(self.user, 100)
        if isinstance(exc, xmlrpc.client.Fault):
            detail = clean_text(exc.faultString, 300)
            if exc.faultCode in (-32604, -32603) and "not enabled" in detail.lower():
                detail += " (turn on the remote API: $conf['remote'] = 1 and remoteuser)"
            return f"DokuWiki at {where} refused {method}: {detail}"
        if isinstance(exc, xmlrpc.client.ProtocolError):
            if exc.errcode in (401, 403):
                return (f"DokuWiki at {where} did not let user {user} use its API ({method}: HTTP {exc.errcode}); "
                        "the remote API must be on ($conf['remote']) and the user listed in $conf['remoteuser']")
            hint = " (is this a DokuWiki, and is its XML-RPC API enabled?)" if exc.errcode in (403, 404, 405) else ""
            return f"DokuWiki at {where} answered HTTP {exc.errcode} {clean_text(exc.errmsg, 100)} to {method}{hint}"
        if isinstance(exc, (xmlrpc.client.ResponseError, ExpatError)):
            return (f"{where} did not answer {method} as a DokuWiki XML-RPC API does; "
                    "check the URL (the wiki's base address) and that the remote API is on")
        if isinstance(exc, ssl.SSLError):
            return f"could not reach DokuWiki at {where}: TLS error ({clean_text(exc.reason or exc, 200)})"
        if isinstance(exc, socket.gaierror):
            return f"could not reach DokuWiki at {where}: unknown host"
        if isinstance(exc, (TimeoutError, socket.timeout)):
            return f"could not reach DokuWiki at {where}: timed out"
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        return f"could not reach DokuWiki at {where}: {clean_text(reason, 200)}"


__all__ = ["dokuwiki_pages", "push_dokuwiki", "dw_text", "dw_markdown", "dw_title", "dw_heading", "dw_url",
           "page_path", "page_id", "check_namespace", "DEFAULT_NAMESPACE", "MANIFEST_PAGE"]
