"""The Canvas outcomes target: the whole catalog as an outcomes CSV for
Outcomes > Import in a Canvas account or course (lib/outcomes/csv_importer.rb).

An outcome group per lifecycle stage (modules without a stage in "Other"),
each followed by an outcome per module. A module's vendor_guid is its
activity id, the id every export uses, so importing again updates the same
outcomes; a stage group's is the activity base + "stage:" + stage. Canvas
has no prerequisites column: prerequisites are named in the description
("Builds on: ..."). Every outcome is rated on Canvas's own default mastery
scale, mastery at 3, and keeps its highest score."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..errors import CurriculumError
from ..exports import csv_text, spreadsheet_cell
from ..model import Catalog, Module
from . import Publication
from .catalog_export import (catalog_of, description_html, fitted_title, module_title, modules_by_stage,
                             stage_title)

# The fixtures' columns (canvas_id left empty: the outcomes are new), with
# mastery_points; the ratings take the columns after "ratings".
HEADER = ("canvas_id", "vendor_guid", "object_type", "title", "description", "display_name", "calculation_method",
          "calculation_int", "mastery_points", "workflow_state", "parent_guids", "ratings")
RATINGS = ((4, "Exceeds Mastery"), (3, "Mastery"), (2, "Near Mastery"), (1, "Below Mastery"),
           (0, "Well Below Mastery"))
MASTERY_POINTS = 3
# A module is mastered once: a later, lower score does not undo it. Canvas
# takes no calculation_int with it.
CALCULATION_METHOD = "highest"
STAGE_GUID = "stage:"
# Canvas's limits: string columns (title, vendor_guid) and text columns (description).
STRING_LIMIT = 255
TEXT_LIMIT = 65535
# Canvas reads a vendor_guid holding one of these as the id of an existing object.
_CANVAS_ID = re.compile(r"canvas_outcome(_group)?:\d")


def canvas_outcomes_pages(publication: Publication) -> Iterator[tuple[str, str]]:
    catalog = catalog_of(publication, "canvas-outcomes")
    width = len(HEADER) + 2 * len(RATINGS) - 1
    rows = [HEADER + ("",) * (width - len(HEADER))]
    ratings = tuple(str(cell) for points, name in RATINGS for cell in (points, name))
    for stage, modules in modules_by_stage(catalog):
        group = _vendor_guid(catalog, STAGE_GUID + stage)
        rows.append(("", group, "group", stage_title(stage), "", "", "", "", "", "active", "")
                    + ("",) * (width - 11))
        for module in modules:
            title, cut = fitted_title(module_title(module), STRING_LIMIT, spreadsheet_cell)
            rows.append(("", _vendor_guid(catalog, module.id), "outcome", title,
                         spreadsheet_cell(_description(module, catalog, cut)), "", CALCULATION_METHOD, "",
                         str(MASTERY_POINTS), "active", group) + ratings)
    yield "canvas-outcomes.csv", csv_text(rows)


def _vendor_guid(catalog: Catalog, name: str) -> str:
    guid = catalog.activity_base + name
    if len(guid) > STRING_LIMIT or _CANVAS_ID.search(guid):
        raise CurriculumError(
            f"Canvas cannot take '{guid}' as a vendor_guid (at most {STRING_LIMIT} characters, and no "
            "'canvas_outcome:' before a number): choose a shorter or other activity_base in catalog.yaml")
    return guid


def _description(module: Module, catalog: Catalog, title_cut: bool) -> str:
    text = description_html(module, catalog, title_cut)
    if len(text) > TEXT_LIMIT:
        raise CurriculumError(
            f"module '{module.id}' is {len(text)} characters of HTML, more than a Canvas outcome's description "
            f"takes ({TEXT_LIMIT}): shorten its description or outcomes", module.location.path, module.location.line)
    return text
