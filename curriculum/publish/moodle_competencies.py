"""The Moodle competencies target: the whole catalog as a competency
framework CSV for Site administration > Competencies > Import competency
framework (admin/tool/lpimportcsv).

The columns are those of Moodle's own fixture (tests/fixtures/example.csv),
which Moodle maps by position. One framework row; a competency per
lifecycle stage at the top (modules without a stage under "Other"); under
it, a competency per module whose ID number is the module id, whose
description is the module's sanitised HTML, and whose cross-referenced
competencies are its prerequisites."""

from __future__ import annotations

import html
from collections.abc import Iterator

from ..exports import csv_text, spreadsheet_cell
from . import SITE_NAME, Publication
from .catalog_export import (catalog_of, description_html, fitted_title, module_title, modules_by_stage,
                             stage_title)

HEADER = ("Parent id number", "Id number", "Shortname", "Description", "Description format", "Scale values",
          "Scale configuration", "Rule type (optional)", "Rule outcome (optional)", "Rule config (optional)",
          "Cross referenced competency id numbers", "Exported id (optional)", "Is framework", "Taxonomy")
FRAMEWORK_ID = "ml-upskilling"
FORMAT_HTML = "1"  # Moodle's FORMAT_HTML, as in the fixture
# The fixture's scale: Moodle's default competence scale, which the importer
# finds by its items on any site; the configuration makes "Competent" (item
# 2) both the default rating and proficient.
SCALE_VALUES = "Not yet competent,Competent"
SCALE_CONFIGURATION = '[{"scaleid":"2"},{"id":2,"scaledefault":1,"proficient":1}]'
# What Moodle calls each level of the tree: stages, then modules.
TAXONOMY = "domain,competency"
# Moodle cuts ID numbers and short names to 100 characters (shorten_text).
NAME_LIMIT = 100
# A stage's ID number: a module id (a slug) never holds a colon.
STAGE_PREFIX = "stage:"


def moodle_competencies_pages(publication: Publication) -> Iterator[tuple[str, str]]:
    catalog = catalog_of(publication, "moodle-competencies")
    groups = modules_by_stage(catalog)
    rows = [HEADER, (
        "", FRAMEWORK_ID, SITE_NAME,
        f"<p>The {len(catalog.modules)} modules of the catalog, grouped by lifecycle stage.</p>",
        FORMAT_HTML, SCALE_VALUES, SCALE_CONFIGURATION, "", "", "", "", "", "1", TAXONOMY,
    )]
    for stage, modules in groups:
        # As Moodle's exporter writes a competency without a rule: outcome 0, config "null".
        rows.append(("", STAGE_PREFIX + stage, stage_title(stage), "", FORMAT_HTML, "", "", "", "0", "null",
                     "", "", "", ""))
        for module in modules:
            shortname, cut = fitted_title(module_title(module), NAME_LIMIT, _text)
            related = ",".join(p.replace(",", "%2C") for p in module.prerequisites)
            rows.append((STAGE_PREFIX + stage, module.id, shortname,
                         spreadsheet_cell(_no_backslash(description_html(module, catalog, cut))), FORMAT_HTML, "", "", "",
                         "0", "null", related, "", "", ""))
    yield "moodle-competencies.csv", csv_text(rows)


def _text(text: str) -> str:
    """A short name as Moodle shows it: HTML (tags are stripped, entities
    shown), so the text is escaped; defused for spreadsheets."""
    return spreadsheet_cell(_no_backslash(html.escape(text)))


def _no_backslash(markup: str) -> str:
    """PHP's fgetcsv, which Moodle reads with, takes a backslash as escaping
    the next character: inside a quoted cell, a backslash before a quote
    would end the cell elsewhere than the file says. In HTML the character
    reference means the same."""
    return markup.replace("\\", "&#92;")
