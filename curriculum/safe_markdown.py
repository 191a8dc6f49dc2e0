"""Untrusted Markdown made safe by parsing, not by patterns.

Module text is parsed with markdown-it-py (CommonMark, plus GFM tables and
strikethrough) and written back from its syntax tree as canonical Markdown
that renders the same, and safely, in both renderers our pages meet:
Python-Markdown as MkDocs configures it (tables, fenced_code, toc) and any
CommonMark renderer with raw HTML enabled. Nothing the author wrote reaches
the output as syntax; only what we emit is syntax:

- raw HTML (blocks and inline) becomes text; every text character either
  renderer could read as markup is escaped: `<`, `>`, `&` and `~` as
  entities, the rest with the backslash escapes both honour
  (Python-Markdown's are limited to ``\\ ` * _ { } [ ] ( ) > # + - . !`` and
  `|` with tables); `=`, `-`, `+`, `1.`, `1)` are escaped where a line starts;
- link and image destinations are checked after entity and percent decoding
  against an allow-list (http, https, mailto, relative, #fragment), then
  written percent-encoded (no space, quote, angle bracket, parenthesis,
  backslash or backtick); a refused link keeps its text, a refused image its
  alt text; reference links are resolved by the parser and checked the same;
- code spans get a backtick delimiter longer than any run inside (one that
  holds `<` or `&#` is written as a `<code>` element with escaped text, as
  Python-Markdown scans the page for raw HTML before it sees code spans, and
  so is one that starts or ends with a space, which markdownlint rejects); code
  blocks become fences longer than any backtick run inside with a plain
  language word, always at column 0: Python-Markdown's fenced_code only sees
  fences there, so code inside a list or quote is moved out of it, to top
  level, where it stood in the text (the container continues after it);
- headings become bold paragraphs, so module text never outranks the page's
  own headings (module text sits under `###` and `####`).

Known differences that are not about safety: Python-Markdown numbers every
ordered list from 1 and shows `~~strikethrough~~` as written.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote, unquote

__all__ = ["safe_markdown", "safe_inline", "safe_destination", "encode_destination"]


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt  # deferred: commands that render no Markdown start faster

    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    # Keep every link as a link: safe_destination judges it, so that a refused
    # one keeps its text instead of showing its Markdown source.
    parser.validateLink = lambda url: True
    return parser


# --- destinations -------------------------------------------------------------------

ALLOWED_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
# What a browser skips inside or before a scheme: C0/C1 controls, spaces and
# invisible format characters.
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\xa0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]")
# Characters that stay as they are in a written destination: nothing either
# renderer could end the destination at, or read as code or an entity.
_URL_SAFE = "%!#$&*+,-./:;=?@_~"


def safe_destination(url: str) -> str | None:
    """The destination encoded for a Markdown link, or None when it is not
    http, https, mailto, relative or a fragment."""
    decoded = url
    for _ in range(5):  # entities and %-escapes nested in each other
        step = unquote(html.unescape(decoded))
        if step == decoded:
            break
        decoded = step
    squeezed = _INVISIBLE.sub("", unicodedata.normalize("NFKC", decoded)).lower()
    scheme = _SCHEME.match(squeezed)
    if scheme and scheme.group(1) not in ALLOWED_SCHEMES:
        return None
    return encode_destination(url)


def encode_destination(url: str) -> str:
    """Percent-encoded so that the destination holds no space, quote, angle
    bracket, parenthesis, backslash, backtick or bracket; `&` that could start
    an entity (or trip Python-Markdown's raw-HTML scan, `&#`) is written as
    `&amp;`, which both renderers read back as `&`."""
    url = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", url)
    url = quote(url, safe=_URL_SAFE)
    return re.sub(r"&(?=#|[0-9A-Za-z]+;)", "&amp;", url)


def _title(title: str) -> str:
    """A link title: everything but letters, digits and plain punctuation as
    a numeric entity, which both renderers decode in a title."""
    if not title:
        return ""
    written = "".join(c if c.isalnum() or c in " .,:;!?-/@" else f"&#{ord(c)};" for c in title)
    return f' "{written}"'


# --- text -----------------------------------------------------------------------------

_TEXT_ESCAPES = {c: "\\" + c for c in "\\`*_{}[]#|"}
_TEXT_ESCAPES.update({"<": "&lt;", ">": "&gt;", "&": "&amp;", "~": "&#126;"})
_TEXT_SPECIAL = re.compile("[" + re.escape("".join(_TEXT_ESCAPES)) + "]")
# What opens a block where a line starts: a list item, a setext underline.
_LINE_START = re.compile(r"([-+])|(=)|(\d+)([.)])")
_HARD_BREAK = "\x00"  # the parser turns NUL into U+FFFD, so text never holds one


def _text(text: str) -> str:
    return _TEXT_SPECIAL.sub(lambda m: _TEXT_ESCAPES[m.group()], text)


# A web address in running text, up to a space, quote or angle bracket; the
# sentence's closing punctuation is not part of it.
_BARE_URL = re.compile(r"https?://[^\s<>\"'`\\]+", re.IGNORECASE)
_URL_TRAILER = ".,;:!?*_"


def _text_with_links(text: str) -> str:
    out, done = [], 0
    for match in _BARE_URL.finditer(text):
        url = match.group()
        while url and (url[-1] in _URL_TRAILER or (url[-1] == ")" and url.count("(") < url.count(")"))):
            url = url[:-1]
        if url.endswith("://"):  # nothing left after the scheme
            continue
        out.append(_text(text[done:match.start()]))
        out.append(f"[{_text(url)}]({encode_destination(url)})")
        done = match.start() + len(url)
    out.append(_text(text[done:]))
    return "".join(out)


def _finish_line(line: str) -> str:
    """One line of a paragraph: whitespace at its ends (from entities) would
    be read as indentation or a hard break, and its start could open a block."""
    hard = line.endswith(_HARD_BREAK)
    line = line.rstrip(_HARD_BREAK)
    body = line.lstrip(" \t")
    lead = "".join(f"&#{ord(c)};" for c in line[: len(line) - len(body)])
    core = body.rstrip(" \t")
    trail = "".join(f"&#{ord(c)};" for c in body[len(core):])
    if not lead:
        match = _LINE_START.match(core)
        if match and match.group(1):
            core = "\\" + core
        elif match and match.group(2):
            core = "&#61;" + core[1:]
        elif match:
            digits = match.group(3)
            core = digits + "\\" + core[len(digits):]
    return lead + core + trail + ("  " if hard else "")


def _lines(inline: str) -> list[str]:
    return [_finish_line(line) for line in inline.split("\n")]


# --- inline -----------------------------------------------------------------------------


def _inline(nodes, mode: str = "block", in_link: bool = False) -> str:
    """Inline nodes as Markdown; soft breaks as newlines, hard breaks marked.
    mode "cell" is a table cell (no pipe inside code), "heading" drops bold
    (the heading itself becomes bold). Outside a link, a bare web address in
    the text becomes a link to itself (GitHub would link it, Python-Markdown
    would not, and Markdown linters flag it)."""
    out = []
    for node in nodes:
        kind = node.type
        if kind == "text" and not in_link:
            out.append(_text_with_links(node.content))
        elif kind in ("text", "text_special"):
            out.append(_text(node.content))
        elif kind == "html_inline":
            out.append(_text(node.content))
        elif kind == "softbreak":
            out.append("\n")
        elif kind == "hardbreak":
            out.append(_HARD_BREAK + "\n")
        elif kind == "code_inline":
            out.append(_code_span(node.content, mode))
        elif kind == "em":
            out.append("*" + _inline(node.children, mode) + "*")
        elif kind == "strong":
            inner = _inline(node.children, mode)
            out.append(inner if mode == "heading" else "**" + inner + "**")
        elif kind == "s":
            out.append("~~" + _inline(node.children, mode) + "~~")
        elif kind == "link":
            inner = _inline(node.children, mode, in_link=True)
            href = safe_destination(node.attrs.get("href", ""))
            out.append(inner if href is None else f"[{inner}]({href}{_title(node.attrs.get('title') or '')})")
        elif kind == "image":
            alt = _text(_plain(node.children))
            src = safe_destination(node.attrs.get("src", ""))
            out.append(alt if src is None else f"![{alt}]({src}{_title(node.attrs.get('title') or '')})")
        else:  # a rule we did not enable: its text, escaped
            out.append(_text(_plain([node])))
    return "".join(out)


def _plain(nodes) -> str:
    """The text of inline nodes, as an image's alt text is."""
    parts = []
    for node in nodes:
        if node.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif node.children:
            parts.append(_plain(node.children))
        else:
            parts.append(node.content)
    return "".join(parts)


def _code_span(content: str, mode: str) -> str:
    if "<" in content or "&#" in content or (content.strip() and content != content.strip()):
        # Python-Markdown looks for raw HTML in the whole page before it
        # finds code spans: a `<script>` or `&#` in one can swallow the text
        # after it. As an element whose text is escaped, both read it alike.
        # So is code that starts or ends with a space (LaTeX quotes, as in
        # ``this'', open a span that ends at the next pair of backticks):
        # markdownlint rejects such a span (MD038), and a padded one too.
        return "<code>" + _text(content) + "</code>"
    if mode == "cell" and "|" in content:
        # Python-Markdown and GFM disagree about `\|` in code in a table cell:
        # write the pipe as text between two code spans instead.
        return "&#124;".join(_code_span(piece, mode) for piece in content.split("|") if piece)
    longest = max((len(run) for run in re.findall("`+", content)), default=0)
    fence = "`" * (longest + 1)
    # One space each side is stripped by both renderers: needed when the code
    # starts or ends with a backtick.
    pad = " " if content[:1] == "`" or content[-1:] == "`" else ""
    return fence + pad + content + pad + fence


# --- blocks -----------------------------------------------------------------------------
# A block is (kind, lines); kind "code" blocks are fenced and must stand at
# column 0, so containers pass them up instead of holding them.


def _blocks(node) -> list[tuple[str, list[str]]]:
    kind = node.type
    if kind == "paragraph":
        return [("text", _lines(_inline(node.children[0].children)))]
    if kind == "heading":
        inner = _inline(node.children[0].children, "heading")
        return [("text", _lines("**" + inner + "**"))] if inner.strip() else []
    if kind in ("fence", "code_block"):
        return [("code", _fenced(node.content, node.info if kind == "fence" else ""))]
    if kind == "html_block":
        return [("text", _lines(_text("\n".join(paragraph))))
                for paragraph in _html_paragraphs(node.content)]
    if kind == "hr":
        return [("text", ["---"])]
    if kind == "table":
        return [("table", _table(node))]
    if kind == "blockquote":
        return _blockquote(node)
    if kind in ("bullet_list", "ordered_list"):
        return _list(node)
    return []


def _html_paragraphs(content: str) -> list[list[str]]:
    paragraphs, current = [], []
    for line in content.split("\n"):
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


_INFO = re.compile(r"[A-Za-z0-9][A-Za-z0-9_#.+-]{0,39}")


def _fenced(content: str, info: str) -> list[str]:
    longest = max((len(run) for run in re.findall("`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    words = info.split()
    # Only a plain language word, as both renderers take it for a class name.
    language = words[0] if words and _INFO.fullmatch(words[0]) else ""
    # Lines end at "\n" only, as in both renderers (not at str.splitlines' breaks).
    lines = content[:-1].split("\n") if content.endswith("\n") else content.split("\n")
    return [fence + language, *(lines if content else []), fence]


def _table(node) -> list[str]:
    rows = [row for section in node.children for row in section.children]
    header, body = rows[0], rows[1:]
    width = len(header.children)
    aligns = {"text-align:left": ":--", "text-align:right": "--:", "text-align:center": ":-:"}

    def line(cells) -> str:
        texts = [_inline(cell.children[0].children, "cell").strip() if cell.children else "" for cell in cells]
        texts += [""] * (width - len(texts))
        return "| " + " | ".join(texts) + " |"

    separator = "| " + " | ".join(aligns.get(c.attrs.get("style", ""), "---") for c in header.children) + " |"
    return [line(header.children), separator, *(line(row.children) for row in body)]


def _join(blocks, tight: bool = False) -> list[str]:
    """Blocks one after another: a blank line between them (in a tight list
    item a nested list follows its paragraph directly); two lists or two
    quotes in a row are kept apart by an HTML comment, as Python-Markdown
    would merge them."""
    lines: list[str] = []
    previous = None
    for kind, block in blocks:
        if previous is not None:
            if previous == kind and kind in ("list", "quote"):
                lines += ["", "<!-- -->"]
            if not (tight and kind == "list"):
                lines.append("")
        lines += block
        previous = kind
    return lines


def _split_at_code(blocks):
    """Runs of blocks a container can hold, with the code blocks between them."""
    run: list = []
    for block in blocks:
        if block[0] == "code":
            yield run
            yield block
            run = []
        else:
            run.append(block)
    yield run


def _children(node):
    return [block for child in node.children for block in _blocks(child)]


def _blockquote(node) -> list[tuple[str, list[str]]]:
    out = []
    for part in _split_at_code(_children(node)):
        if isinstance(part, tuple):
            out.append(part)
        elif part:
            out.append(("quote", [("> " + line).rstrip() for line in _join(part)]))
    return out


def _list(node) -> list[tuple[str, list[str]]]:
    ordered = node.type == "ordered_list"
    number = int(node.attrs.get("start", 1)) if ordered else 0
    tight = all(p.hidden for item in node.children for p in item.children if p.type == "paragraph")
    out: list[tuple[str, list[str]]] = []
    items: list[list[str]] = []  # the current list's items, as lines

    def close():
        if items:
            gap = [] if tight else [""]
            lines = [line for i, item in enumerate(items) for line in (gap if i else []) + item]
            out.append(("list", lines))
            items.clear()

    for item in node.children:
        marker = f"{number}. " if ordered else "- "
        indent = " " * max(4, len(marker))  # Python-Markdown nests by 4 columns
        for part in _split_at_code(_children(item)):
            if isinstance(part, tuple):
                close()
                out.append(part)
            elif part:
                lines = _join(part, tight)
                items.append([marker + lines[0]] + [indent + line if line else "" for line in lines[1:]])
        number += 1
    close()
    return out


# --- entry points -------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def safe_markdown(text: str) -> str:
    """Untrusted block Markdown -> canonical safe Markdown (no final newline)."""
    from markdown_it.tree import SyntaxTreeNode

    root = SyntaxTreeNode(_parser().parse(str(text)))
    return "\n".join(_join([block for child in root.children for block in _blocks(child)]))


@lru_cache(maxsize=4096)
def safe_inline(text: str, cell: bool = False) -> str:
    """Untrusted inline Markdown -> safe Markdown on one line; with `cell`,
    for a table cell."""
    line = " ".join(str(text).split())
    if not line:
        return ""
    from markdown_it.tree import SyntaxTreeNode

    root = SyntaxTreeNode(_parser().parseInline(line))
    nodes = root.children[0].children if root.children else []
    return _finish_line(_inline(nodes, "cell" if cell else "block"))
