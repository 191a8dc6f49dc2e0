"""Print a page to PDF with headless Chromium (or Chrome): the HTML syllabus
with its print stylesheet, as a browser would print it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import CurriculumError

# Debian's /usr/bin/chromium is a shell wrapper; the real binary starts faster.
_CANDIDATES = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
          # Printing reaches no network, whatever module text points at: every
          # request, loopback included (which Chromium would otherwise let
          # past), goes to a proxy that is not there, and no host name resolves.
          # This also stops navigation (a meta refresh), which a policy cannot.
          "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
          "--host-resolver-rules=MAP * ~NOTFOUND", "--dns-prefetch-disable")
# And in the page itself nothing may load but inline styles and data: images
# and fonts: the policy goes first in <head>, so it covers everything after it.
_NO_NETWORK = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    'style-src \'unsafe-inline\'; img-src data:; font-src data:">'
    '<meta http-equiv="x-dns-prefetch-control" content="off">'
)
_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)
# Chromium stamps the time of printing; a fixed stamp of the same length keeps
# the file byte-for-byte reproducible (and its offsets valid).
_STAMP = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}")


def find_browser(configured: str | None = None) -> str:
    """`configured`, or the first Chromium or Chrome on the PATH."""
    for candidate in ([configured] if configured else []) + list(_CANDIDATES):
        found = candidate if os.path.isfile(candidate) and os.access(candidate, os.X_OK) else shutil.which(candidate)
        if found:
            return found
    raise CurriculumError("PDF output needs Chromium or Chrome: install one, or point CURRICULUM_CHROMIUM at it")


def html_to_pdf(html: str, browser: str | None = None) -> bytes:
    browser = find_browser(browser)
    with tempfile.TemporaryDirectory(prefix="curriculum-pdf-") as folder:
        page, pdf = Path(folder) / "page.html", Path(folder) / "page.pdf"
        page.write_text(offline(html), encoding="utf-8")
        command = [browser, *_FLAGS, f"--user-data-dir={Path(folder) / 'profile'}", f"--print-to-pdf={pdf}",
                   page.as_uri()]
        try:
            subprocess.run(command, capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CurriculumError(f"printing to PDF with {browser} failed: {exc}") from None
        if not pdf.is_file() or pdf.stat().st_size == 0:
            raise CurriculumError(f"printing to PDF with {browser} produced nothing")
        return _STAMP.sub(lambda m: b"/" + m.group(1) + b" (D:20000101000000", pdf.read_bytes())


def offline(html: str) -> str:
    """`html` with the policy that lets it load nothing, at the start of its
    <head> (or of the document, when a template has none: the parser then
    puts it in the head it makes)."""
    head = _HEAD.search(html)
    at = head.end() if head else 0
    return html[:at] + _NO_NETWORK + html[at:]
