"""What the LMS exports of the whole catalog share: the modules grouped by
lifecycle stage in a fixed order, a module's description as sanitised HTML,
titles fitted to an LMS's length limit, and CSV text."""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import escape

from ..errors import CurriculumError
from ..model import STAGES, Catalog, Module
from ..render import markdown_html
from . import Publication

OTHER_STAGE = "other"  # the group of modules that name no stage
# Marks the paragraphs this export adds to a description (module text cannot
# give a <p> a class: the sanitiser drops it), so a reader can find them.
FULL_TITLE_CLASS = "curriculum-title"
PREREQUISITES_CLASS = "curriculum-prerequisites"
# Control characters other than tab and line breaks: not text in HTML, and a
# NUL is refused by the databases behind an LMS.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def catalog_of(publication: Publication, target: str) -> Catalog:
    if publication.catalog is None:
        raise CurriculumError(f"the {target} target exports the whole catalog and needs one; none was given")
    return publication.catalog


def modules_by_stage(catalog: Catalog) -> list[tuple[str, list[Module]]]:
    """(stage, its modules by id) in lifecycle order, modules without a stage
    last under OTHER_STAGE; stages without modules are left out."""
    order = {stage: index for index, stage in enumerate(STAGES)}
    groups: dict[str, list[Module]] = {}
    for module in sorted(catalog.modules.values(), key=lambda m: (order.get(m.stage, len(STAGES)), m.id)):
        groups.setdefault(module.stage or OTHER_STAGE, []).append(module)
    return list(groups.items())


def stage_title(stage: str) -> str:
    return stage.replace("-", " ").capitalize()


def module_title(module: Module) -> str:
    """The title on one line, without control characters; the id if nothing is left."""
    return re.sub(r"[ \t\r\n]+", " ", _CONTROL.sub("", module.title)).strip(" ") or module.id


def fitted_title(title: str, limit: int, encode: Callable[[str], str]) -> tuple[str, bool]:
    """`encode(title)` if it is at most `limit` characters, else the longest
    start of the title (cut at a word where one is near) that fits with an
    ellipsis; and whether it was cut. An LMS that shortens titles itself
    would do it silently, and differently on each."""
    if len(encode(title)) <= limit:
        return encode(title), False
    cut = title
    while len(encode(cut) + "…") > limit:
        cut = cut[:-1]
    space = cut.rfind(" ")
    if space > len(cut) // 2:
        cut = cut[:space]
    return encode(cut.rstrip()) + "…", True


def description_html(module: Module, catalog: Catalog, title_cut: bool) -> str:
    """The module's summary, description and outcomes as sanitised HTML (as
    the syllabi show them), then the modules it builds on; a title the LMS
    could not take whole comes first, in full."""
    parts = []
    if title_cut:
        parts.append(f'<p class="{FULL_TITLE_CLASS}"><strong>{escape(module_title(module))}</strong></p>')
    if module.summary:
        parts.append(f"<p><em>{escape(module.summary)}</em></p>")
    if module.description:
        parts.append(str(markdown_html(module.description)).strip())
    if module.outcomes:
        items = "".join(f"<li>{escape(outcome)}</li>" for outcome in module.outcomes)
        parts.append(f"<h4>Outcomes</h4>\n<ul>{items}</ul>")
    if module.prerequisites:
        names = ", ".join(f"{escape(module_title(catalog.modules[p]))} (<code>{p}</code>)"
                          for p in module.prerequisites)
        parts.append(f'<p class="{PREREQUISITES_CLASS}"><strong>Builds on:</strong> {names}</p>')
    return _CONTROL.sub("", "\n".join(parts))
