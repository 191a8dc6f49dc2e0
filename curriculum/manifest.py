"""What curriculum generated, listed where it generated it.

An output folder, a git wiki and a DokuWiki namespace each keep a list of
the files or pages curriculum wrote there, so that the next run replaces and
removes only its own and leaves everyone else's alone. Anyone who can write
there can edit the list, so it is read as untrusted: it may be no bigger
than any list curriculum writes, and each entry must pass the place's own
rule (a plain path inside the folder, a page under the namespace); the
others are ignored with a warning.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable

from .errors import CurriculumError
from .text import one_line

log = logging.getLogger(__name__)

MANIFEST = ".curriculum-manifest.json"  # in an output folder and in a git wiki
# Far above any list curriculum writes (a 10,000-person team's is about 2 MiB);
# a bigger one is not ours.
MAX_BYTES = 16 * 1024 * 1024
_MAX_WARNINGS = 5


def manifest_json(generated: Iterable[str], **more) -> str:
    """The list as the JSON file an output folder and a git wiki keep."""
    return json.dumps({"generated": sorted(generated), **more}, indent=1) + "\n"


def check_size(size: int, where: str, limit: int = MAX_BYTES) -> None:
    if size > limit:
        raise CurriculumError(f"{where} is larger than any list curriculum writes ({limit // (1024 * 1024)} MiB); "
                              "check who changed it")


def accepted(entries: Iterable, problem: Callable[[object], str | None], where: str, kind: str = "file") -> set[str]:
    """The entries `problem` finds nothing wrong with. Each other one is
    ignored with a warning saying why (the first few, then a count), shown
    as one printable line whatever it holds."""
    good, ignored = set(), []
    for entry in entries:
        why = problem(entry)
        if why:
            ignored.append((entry, why))
        else:
            good.add(entry)
    for entry, why in ignored[:_MAX_WARNINGS]:
        log.warning("%s lists %s (%s): not a %s curriculum wrote; ignored",
                    where, one_line(json.dumps(entry, ensure_ascii=True), 200), one_line(why, 200), kind)
    if len(ignored) > _MAX_WARNINGS:
        log.warning("... and %d more entries of %s ignored", len(ignored) - _MAX_WARNINGS, where)
    return good
