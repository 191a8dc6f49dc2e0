"""What publishing says about a remote wiki: its URL without secrets, and
text the remote sent, made safe to print.

A push URL may carry a secret in several places (`https://user:TOKEN@host`,
`https://TOKEN@host`, `?access_token=TOKEN`, `TOKEN@host:path`), and git,
curl or a wiki may echo the URL back in any form. Secrets are therefore
redacted twice: first the very strings taken from the URL the user gave (as
given, percent-decoded and percent-encoded), then general patterns as a
backstop for forms the first pass cannot know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import SplitResult, quote, unquote, urlsplit

from ..errors import CurriculumError
from ..text import one_line

REDACTED = "***"
# Shorter secrets are redacted only where they sit in a URL (`x@`, `=x`):
# replaced everywhere, "git" or "1" would garble every message.
_BARE_SECRET_LENGTH = 6

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", re.S)
_BACKSTOP = (
    # user info in a URL, up to its last '@' (a password may hold '/' or '@')
    (re.compile(r"(?<=://)[^\s'\"<>]*@"), REDACTED + "@"),
    # a URL's query string and fragment
    (re.compile(r"(://[^\s'\"<>?#]*)[?#][^\s'\"<>]*"), r"\1?" + REDACTED),
    # name=value pairs that name a secret, wherever they appear
    (re.compile(r"(?i)\b([a-z_-]*(?:token|password|passwd|pwd|secret|key|auth|sig|signature|credential)s?)"
                r"=[^\s&'\"<>;]+"), r"\1=" + REDACTED),
    # scp-style user@host:path, where the user may be a token
    (re.compile(r"(^|[\s'\"(\[])[^\s'\"@/:()\[\]]+@(?=[^\s'\"@/:]+:)"), r"\1" + REDACTED + "@"),
)


def url_secrets(url: str) -> list[str]:
    """The parts of `url` that may be secret: its user info (`user:password`,
    or a token in the user's place), its password, its query string and each
    query value, its fragment; longest first."""
    url = str(url)
    match = _SCHEME.match(url)
    if match:
        rest = match.group(2)
        userinfo, at, address = rest.rpartition("@")
        if not at:
            address = rest
    else:
        # scp-style [user@]host:path, or a local path
        head = url.split("/", 1)[0]
        userinfo = head.rpartition("@")[0]
        address = ""
    found = []
    if userinfo:
        found.append(userinfo)
        found.append(userinfo.partition(":")[2])
    query, _, fragment = address.partition("#")
    query = query.partition("?")[2]
    found += [query, fragment]
    for pair in re.split(r"[&;]", query):
        found.append(pair.partition("=")[2])
    variants = set()
    for secret in found:
        if secret:
            variants |= {secret, unquote(secret), quote(secret, safe="")}
    return sorted(variants, key=lambda s: (-len(s), s))


def redact(text: str, url: str | None = None, secrets: Iterable[str] = ()) -> str:
    """`text` with the secrets of `url` (and `secrets`) replaced by ***, then
    anything shaped like a credential in a URL."""
    known = sorted({*(url_secrets(url) if url else ()), *(s for s in secrets if s)}, key=lambda s: (-len(s), s))
    for secret in known:
        if len(secret) >= _BARE_SECRET_LENGTH:
            text = text.replace(secret, REDACTED)
        else:
            escaped = re.escape(secret)
            text = re.sub(rf"(?<![^\s'\"/:]){escaped}@", REDACTED + "@", text)
            text = re.sub(rf"(?<=[=:]){escaped}(?=[@&#\s'\"]|$)", REDACTED, text)
    for pattern, replacement in _BACKSTOP:
        text = pattern.sub(replacement, text)
    return text


def display_url(url: str) -> str:
    """The URL as messages show it: no user info, query or fragment."""
    return clean_text(redact(str(url), str(url)))


def parse_url(url: str, what: str) -> SplitResult:
    """`url` split into its parts, or a CurriculumError naming `what` that
    shows neither the URL's secrets nor Python's message (which quotes them)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as exc:
        if "IPv6" in str(exc):
            reason = "a bracketed IPv6 host is not closed"
        elif "Port" in str(exc):
            reason = ("its port is not a number up to 65535 (a '/' or '@' in a user name or password "
                      "is written %2F or %40)")
        else:
            reason = "its host has characters a host cannot have"
        raise CurriculumError(f"{what} '{display_url(url)}' is not a valid URL: {reason}") from None
    return parts


def clean_text(text: str, limit: int = 500) -> str:
    """Untrusted text from a remote, or a URL, as one printable line of at
    most `limit` characters."""
    return one_line(text, limit)
