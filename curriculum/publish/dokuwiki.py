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
from urllib.parse import quote, urlsplit, urlunsplit
from xml.parsers.expat import ExpatError

import jinja2

from ..errors import CurriculumError
from ..model import Plan, TeamPlan
from ..render import _render, _team_overview, index_grid, make_environment, safe_url
from ..team import slugify
from . import SITE_NAME, team_folders

log = logging.getLogger(__name__)

DEFAULT_NAMESPACE = "ml-upskilling"
MANIFEST_PAGE = "curriculum-manifest"
TIMEOUT = 30.0

# A DokuWiki namespace as this tool accepts it: what DokuWiki's cleanID keeps.
_NAMESPACE = re.compile(r"^[a-z0-9_.-]+(?::[a-z0-9_.-]+)*$")
_PAGE_ID = re.compile(r"^[a-z0-9_.-]+(?::[a-z0-9_.-]+)*$")


# --- pages --------------------------------------------------------------------------


def dokuwiki_pages(
    plans: Sequence[Plan],
    teams: Sequence[TeamPlan],
    template_dirs: Sequence[Path] = (),
    namespace: str = DEFAULT_NAMESPACE,
) -> Iterator[tuple[str, str]]:
    """Pages in DokuWiki syntax under `namespace`: `start` (the role x size
    grid), one page per syllabus, and per team `teams:TEAM:start` (the
    overview) and one page per member. Yields (path, text), the path being the
    page id with ':' as '/' plus '.txt', as in DokuWiki's `data/pages` tree."""
    namespace = check_namespace(namespace)
    env = dokuwiki_environment(template_dirs, namespace)
    folders = team_folders(teams)
    team_links = [(f"{namespace}:teams:{folders[i]}:start", team.team.name) for i, team in enumerate(teams)]
    yield page_path(f"{namespace}:start"), _render(
        env, "dokuwiki/start.txt.j2", plans=plans, teams=team_links, **index_grid(plans))
    for plan in plans:
        yield page_path(f"{namespace}:{plan.slug}"), _render(
            env, "dokuwiki/syllabus.txt.j2", plan=plan, up=f"{namespace}:start", member=None)
    for index, team in enumerate(teams):
        team_ns = f"{namespace}:teams:{folders[index]}"
        pages = _member_pages(team)
        overview = _team_overview(team)
        yield page_path(f"{team_ns}:start"), _render(
            env, "dokuwiki/team.txt.j2", team=team, team_ns=team_ns, pages=pages, up=f"{namespace}:start",
            **overview)
        for member, plan in team.plans:
            yield page_path(f"{team_ns}:{pages[member.name]}"), _render(
                env, "dokuwiki/syllabus.txt.j2", plan=plan, up=f"{team_ns}:start", member=member)


def check_namespace(namespace: str) -> str:
    """The namespace without surrounding colons, or a CurriculumError."""
    cleaned = str(namespace).strip().strip(":")
    if not _NAMESPACE.match(cleaned):
        raise CurriculumError(
            f"'{namespace}' is not a DokuWiki namespace this tool can write to; use lower-case letters, digits, "
            "'-', '_' and '.', with ':' between levels (for example 'ml-upskilling' or 'training:ml')")
    return cleaned


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


def dokuwiki_environment(template_dirs: Sequence[Path] = (), namespace: str = DEFAULT_NAMESPACE) -> jinja2.Environment:
    env = make_environment(template_dirs)
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
    if not _PAGE_ID.match(target):
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
    anything is written. Returns the ids written, unchanged and deleted."""
    namespace = check_namespace(namespace)
    items = dict(pages.items() if isinstance(pages, Mapping) else pages)
    wanted: dict[str, str] = {}
    for path, text in items.items():
        pid = page_id(path)
        if not pid.startswith(namespace + ":") or not _PAGE_ID.match(pid):
            raise CurriculumError(f"page '{path}' is not under the namespace '{namespace}'")
        wanted[pid] = _normalise(text)
    manifest_id = f"{namespace}:{MANIFEST_PAGE}"
    if manifest_id in wanted:
        raise CurriculumError(f"'{manifest_id}' is the page where curriculum keeps its list of pages")

    wiki = _Wiki(url, user, password)
    wiki.login()
    existing = wiki.page_hashes(namespace)
    previous = _manifest_ids(wiki.get_page(manifest_id), namespace) if manifest_id in existing else set()
    clashes = sorted(pid for pid in wanted if pid in existing and pid not in previous)
    if clashes:
        raise CurriculumError(
            f"the wiki already has a page '{clashes[0]}' that curriculum did not write"
            + (f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else "")
            + "; move it or publish to another namespace")

    result: dict[str, list[str]] = {"written": [], "unchanged": [], "deleted": []}
    # The manifest first lists old and new pages, so an interrupted push can be rerun.
    wiki.put_page(manifest_id, _manifest_text(sorted(previous | set(wanted))), summary)
    for pid, text in sorted(wanted.items()):
        # getPagelist's hash is md5(trim(text)), PHP's trim.
        if existing.get(pid) == hashlib.md5(text.strip(" \t\n\r\0\x0b").encode("utf-8")).hexdigest():
            result["unchanged"].append(pid)
            continue
        wiki.put_page(pid, text, summary)
        result["written"].append(pid)
    for pid in sorted(previous - set(wanted)):
        if pid.startswith(namespace + ":") and pid != manifest_id and pid in existing:
            wiki.put_page(pid, "", summary + " (page no longer generated)")
            result["deleted"].append(pid)
    wiki.put_page(manifest_id, _manifest_text(sorted(wanted)), summary)
    return result


def _normalise(text: str) -> str:
    """The text as DokuWiki stores it (cleanText: LF line ends, no trailing
    blank lines)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n") + "\n"


def _manifest_text(ids: Sequence[str]) -> str:
    lines = [
        "====== curriculum manifest ======",
        "",
        "The pages below were generated by the curriculum tool, which replaces them, and deletes those it no longer "
        "generates, on each publish. Do not edit them or this page by hand: edits are overwritten.",
        "",
        "<code>",
        *ids,
        "</code>",
    ]
    return "\n".join(lines) + "\n"


def _manifest_ids(text: str, namespace: str) -> set[str]:
    match = re.search(r"<code>\n(.*?)\n?</code>", text or "", re.S)
    if not match:
        return set()
    return {line.strip() for line in match.group(1).splitlines()
            if _PAGE_ID.match(line.strip()) and line.strip().startswith(namespace + ":")}


def _display_url(url: str) -> str:
    """The URL without any user or password in it, for messages."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


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
        parts = urlsplit(str(url).strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CurriculumError(f"'{_display_url(str(url))}' is not a DokuWiki URL (http:// or https://)")
        if parts.username or parts.password:
            raise CurriculumError("give the DokuWiki user and password separately, not in the URL")
        self.base = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        self.endpoint = self.base + "/lib/exe/xmlrpc.php"
        self.user = user
        self._password = password
        transport = _SafeCookieTransport() if parts.scheme == "https" else _CookieTransport()
        self.proxy = xmlrpc.client.ServerProxy(self.endpoint, transport=transport, allow_none=True)

    def login(self) -> None:
        if not self._call("dokuwiki.login", self.user, self._password):
            raise CurriculumError(f"DokuWiki refused the login for user {self.user} at {self.base}")

    def page_hashes(self, namespace: str) -> dict[str, str]:
        """Every page under the namespace (any depth) -> md5 of its text."""
        listed = self._call("dokuwiki.getPagelist", namespace, {"depth": 0, "hash": True})
        return {str(p.get("id")): str(p.get("hash", "")) for p in listed or [] if isinstance(p, dict)}

    def get_page(self, pid: str) -> str:
        return str(self._call("wiki.getPage", pid) or "")

    def put_page(self, pid: str, text: str, summary: str) -> None:
        self._call("wiki.putPage", pid, text, {"sum": summary, "minor": False})

    def _call(self, method: str, *args):
        where = self.base
        try:
            return getattr(self.proxy, method)(*args)
        except xmlrpc.client.Fault as fault:
            detail = " ".join(str(fault.faultString).split())
            if fault.faultCode in (-32604, -32603) and "not enabled" in detail.lower():
                detail += " (turn on the remote API: $conf['remote'] = 1 and remoteuser)"
            raise CurriculumError(f"DokuWiki at {where} refused {method}: {detail}") from None
        except xmlrpc.client.ProtocolError as exc:
            if exc.errcode in (401, 403):
                raise CurriculumError(
                    f"DokuWiki at {where} did not let user {self.user} use its API ({method}: HTTP {exc.errcode}); "
                    "the remote API must be on ($conf['remote']) and the user listed in $conf['remoteuser']"
                ) from None
            hint = " (is this a DokuWiki, and is its XML-RPC API enabled?)" if exc.errcode in (403, 404, 405) else ""
            raise CurriculumError(
                f"DokuWiki at {where} answered HTTP {exc.errcode} {exc.errmsg} to {method}{hint}") from None
        except (xmlrpc.client.ResponseError, ExpatError):
            raise CurriculumError(
                f"{where} did not answer {method} as a DokuWiki XML-RPC API does; "
                "check the URL (the wiki's base address) and that the remote API is on") from None
        except ssl.SSLError as exc:
            raise CurriculumError(f"could not reach DokuWiki at {where}: TLS error ({exc.reason or exc})") from None
        except socket.gaierror:
            raise CurriculumError(f"could not reach DokuWiki at {where}: unknown host") from None
        except (TimeoutError, socket.timeout):
            raise CurriculumError(f"could not reach DokuWiki at {where}: timed out") from None
        except (OSError, http.client.HTTPException) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise CurriculumError(f"could not reach DokuWiki at {where}: {reason}") from None


__all__ = ["dokuwiki_pages", "push_dokuwiki", "dw_text", "dw_markdown", "dw_title", "dw_heading", "dw_url",
           "page_path", "page_id", "check_namespace", "DEFAULT_NAMESPACE", "MANIFEST_PAGE"]
