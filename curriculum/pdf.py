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
          "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer")
# Chromium stamps the time of printing; a fixed stamp of the same length keeps
# the file byte-for-byte reproducible (and its offsets valid).
_STAMP = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}")


def find_browser() -> str:
    configured = os.environ.get("CURRICULUM_CHROMIUM")
    for candidate in ([configured] if configured else []) + list(_CANDIDATES):
        found = candidate if os.path.isfile(candidate) and os.access(candidate, os.X_OK) else shutil.which(candidate)
        if found:
            return found
    raise CurriculumError("PDF output needs Chromium or Chrome: install one, or point CURRICULUM_CHROMIUM at it")


def html_to_pdf(html: str) -> bytes:
    browser = find_browser()
    with tempfile.TemporaryDirectory(prefix="curriculum-pdf-") as folder:
        page, pdf = Path(folder) / "page.html", Path(folder) / "page.pdf"
        page.write_text(html, encoding="utf-8")
        command = [browser, *_FLAGS, f"--user-data-dir={Path(folder) / 'profile'}", f"--print-to-pdf={pdf}",
                   page.as_uri()]
        try:
            subprocess.run(command, capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CurriculumError(f"printing to PDF with {browser} failed: {exc}") from None
        if not pdf.is_file() or pdf.stat().st_size == 0:
            raise CurriculumError(f"printing to PDF with {browser} produced nothing")
        return _STAMP.sub(lambda m: b"/" + m.group(1) + b" (D:20000101000000", pdf.read_bytes())
