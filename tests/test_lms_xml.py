"""The LMS targets: Common Cartridge 1.1 packages (Moodle, Canvas) and cmi5
course structures, validated against the schemas Moodle ships and the cmi5
XSD (with xmlschema, and with xmllint where it is installed) on the built-in
catalog, the real third-party catalogs and a hostile one; the packages are
the same bytes on every run; and the ids an LMS records come back as
progress."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
import xmlschema
import yaml

from curriculum.cli import main
from curriculum.model import Member, Resource, Team
from curriculum.pipeline import all_plans, load, team_plan
from curriculum.progress import read_progress
from curriculum.publish import Publication, collect_pages, publish_pages, team_folders

from .conftest import SMALL
from .test_xss import PAYLOADS, dangers

SAMPLE_TEAM = Path(__file__).parents[1] / "examples" / "payments-risk.yaml"
BASE_URL = "https://learn.example.com/ml/"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
LOM = "{http://ltsc.ieee.org/xsd/imsccv1p1/LOM/manifest}"
WEBLINK = "{http://www.imsglobal.org/xsd/imsccv1p1/imswl_v1p1}"
CMI5 = "{https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd}"
XMLLINT = shutil.which("xmllint")
# Beyond the XSS corpus: text that breaks XML or CSV if written as it is.
XML_PAYLOADS = [
    "]]><script>alert(1)</script><![CDATA[",
    "<![CDATA[<script>alert(2)</script>]]>",
    "controls \x01\x02\x0b\x0c\x1b[31m\x7f\x85 end",
    "=HYPERLINK(\"https://x.example\",\"x\")",
    "+1+1", "-2+3", "@SUM(1,2)",
    "quotes \" and ' and &quot; &amp; &lt;a&gt;, commas, and\nline\r\nbreaks",
    "</title></webLink><webLink><title>injected",
    "\" onload=\"alert(3)\" x=\"",
]


# --- helpers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def schemas(third_party):
    formats = third_party / "lms-formats"
    cc = formats / "moodle" / "backup" / "cc" / "schemas11"
    files = {
        "manifest": cc / "ccv1p1_imscp_v1p2_v1p0.xsd",
        "moodle": cc / "cc11libxml2validator.xsd",  # the entry point of Moodle's validator.php
        "weblink": cc / "ccv1p1_imswl_v1p1.xsd",
        "cmi5": formats / "cmi5" / "v1" / "CourseStructure.xsd",
    }
    return SimpleNamespace(files=files, xsd={kind: xmlschema.XMLSchema(str(path)) for kind, path in files.items()},
                           formats=formats)


def validate(schemas, kind: str, documents: dict[str, bytes], folder: Path) -> None:
    """Every document valid against the schema of `kind`: by xmlschema, and
    by xmllint (libxml2, which Moodle's validator uses) where installed."""
    assert documents
    for name, data in documents.items():
        error = next(iter(schemas.xsd[kind].iter_errors(io.BytesIO(data))), None)
        assert error is None, f"{name}: {error}"
    if XMLLINT:
        folder = folder / f"xmllint-{kind}"
        paths = []
        for index, data in enumerate(documents.values()):
            paths.append(folder / f"{index}.xml")
            paths[-1].parent.mkdir(parents=True, exist_ok=True)
            paths[-1].write_bytes(data)
        result = subprocess.run([XMLLINT, "--noout", "--nonet", "--schema", str(schemas.files[kind]), *map(str, paths)],
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]


def export(target: str, plans, teams=(), base_url: str | None = None) -> dict[str, bytes]:
    return collect_pages(publish_pages(target, Publication(tuple(plans), tuple(teams), base_url=base_url)))


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def courses(plans, teams, extension: str) -> dict[str, object]:
    """Each course's path in the export, and its plan."""
    found = {f"{plan.slug}{extension}": plan for plan in plans}
    for team, folder in zip(teams, team_folders(teams)):
        found.update({f"teams/{folder}/{team.slugs[member.name]}{extension}": plan for member, plan in team.plans})
    return found


def module_items(manifest: ET.Element) -> list[tuple[str, str]]:
    """(week title, page resource) of every module in the organization, in order."""
    root = manifest.find(f"{CP}organizations/{CP}organization/{CP}item")
    return [(week.findtext(f"{CP}title"), item.get("identifierref"))
            for week in root.findall(f"{CP}item") for item in week.findall(f"{CP}item")]


def check_cartridges(pages: dict[str, bytes], plans: dict, schemas, folder: Path) -> None:
    """Each package: its manifest valid (the CC 1.1 schema and Moodle's
    validator), every web link valid, exactly the files the manifest names,
    the path's modules in its order under the week each starts in, every
    page's activity id recorded, and no script in any page."""
    assert set(pages) == set(plans)
    manifests, links = {}, {}
    for path, plan in plans.items():
        files = unzip(pages[path])
        manifest = ET.fromstring(files["imsmanifest.xml"])
        assert [page for _, page in module_items(manifest)] == [f"PAGE_{step.module.id}" for step in plan.steps]
        weeks = [week.split(" (")[0] for week, _ in module_items(manifest)]
        assert weeks == [f"Week {step.week}" for step in plan.steps]
        named = {file.get("href") for file in manifest.iter(f"{CP}file")}
        assert named == set(files) - {"imsmanifest.xml"}
        recorded = {resource.get("identifier"): resource.findtext(f".//{LOM}identifier/{LOM}entry")
                    for resource in manifest.iter(f"{CP}resource") if resource.get("type") == "webcontent"}
        assert recorded == {f"PAGE_{step.module.id}": plan.activity_base + step.module.id for step in plan.steps}
        for name, data in files.items():
            if name.endswith(".html"):
                assert dangers(data.decode("utf-8")) == [], name
        manifests[f"{path}/imsmanifest.xml"] = files["imsmanifest.xml"]
        links.update({f"{path}/{name}": data for name, data in files.items() if name.startswith("weblinks/")})
    validate(schemas, "manifest", manifests, folder)
    validate(schemas, "moodle", manifests, folder)
    if links:
        validate(schemas, "weblink", links, folder)


def check_cmi5(pages: dict[str, bytes], plans: dict, site: dict, schemas, folder: Path) -> None:
    """Each course structure valid, an AU per module in the path's order
    under the week it starts in, its id the module's activity id and its URL
    a page the site target writes; every id in a course its own."""
    assert set(pages) == set(plans)
    for path, plan in plans.items():
        course = ET.fromstring(pages[path])
        blocks = course.findall(f"{CMI5}block")
        units = [(block.findtext(f"{CMI5}title/{CMI5}langstring"), unit)
                 for block in blocks for unit in block.findall(f"{CMI5}au")]
        assert [unit.get("id") for _, unit in units] == [plan.activity_base + step.module.id for step in plan.steps]
        assert [week.split(" (")[0] for week, _ in units] == [f"Week {step.week}" for step in plan.steps]
        for _, unit in units:
            url = unit.findtext(f"{CMI5}url")
            assert url.startswith(BASE_URL) and url[len(BASE_URL):] in site
        ids = [element.get("id") for element in course.iter() if element.get("id")]
        assert len(ids) == len(set(ids)) == 1 + len(blocks) + len(units)
    validate(schemas, "cmi5", pages, folder)


# --- every catalog ------------------------------------------------------------


def test_built_in_catalog_and_a_team_export_valid_courses_in_path_order(schemas, tmp_path):
    plans = all_plans(load())
    team = team_plan(SAMPLE_TEAM)[1]
    check_cartridges(export("common-cartridge", plans, [team]), courses(plans, [team], ".imscc"), schemas, tmp_path)
    site = export("site", plans, [team])
    check_cmi5(export("cmi5", plans, [team], BASE_URL), courses(plans, [team], "/cmi5.xml"), site, schemas, tmp_path)


@pytest.mark.parametrize("catalog, hours_per_week", [("metacademy_content", 5.0), ("ossu_cs", 10.0)])
def test_real_third_party_catalogs_export_valid_courses(schemas, third_party, tmp_path, catalog, hours_per_week):
    # OSSU's longest path needs 7.8 hours a week to fit in ten years.
    plans = all_plans(load([third_party / catalog / "modules"]), hours_per_week)
    assert max(len(plan.steps) for plan in plans) > 60
    check_cartridges(export("common-cartridge", plans), courses(plans, [], ".imscc"), schemas, tmp_path)
    check_cmi5(export("cmi5", plans, base_url=BASE_URL), courses(plans, [], "/cmi5.xml"), export("site", plans),
               schemas, tmp_path)


def test_the_schemas_accept_the_shipped_examples_and_reject_broken_documents(schemas):
    """The validation is real: the examples that come with the schemas pass
    and a small break fails."""
    example = (schemas.formats / "cmi5" / "v1" / "examples" / "simple-cmi5.xml").read_text(encoding="utf-8")
    schemas.xsd["cmi5"].validate(example)
    for broken in (example.replace("<url>", "<launch>").replace("</url>", "</launch>"),
                   example.replace("<au id=", '<au moveOn="Sometimes" id='),
                   example.replace(' id="http://course-repository.example.edu/identifiers/courses/02baafcf"', "", 1)):
        assert not schemas.xsd["cmi5"].is_valid(broken)
    manifest = (schemas.formats / "samples" / "cc11" / "imsmanifest.xml").read_text(encoding="utf-8")
    schemas.xsd["moodle"].validate(manifest)
    assert not schemas.xsd["moodle"].is_valid(manifest.replace("imswl_xmlv1p1", "imswl_xmlv1p0"))  # CC 1.0's type
    assert not schemas.xsd["manifest"].is_valid(manifest.replace("<schemaversion>1.1.0", "<schemaversion>1.2.0"))


# --- hostile text ----------------------------------------------------------------


def hostile_catalog(folder: Path, payloads: list[str]) -> Path:
    """A module per payload, the payload in every text field, and a role
    and size named by payloads."""
    folder.mkdir()
    for index, payload in enumerate(payloads):
        module = {
            "id": f"x-{index}", "title": f"T {payload}", "hours": 1, "level": "foundation", "stage": "data",
            "roles": ["x-role"], "prerequisites": [f"x-{index - 1}"] if index else [],
            "summary": f"S {payload}", "description": f"D {payload}\n\n{payload}\n", "outcomes": [f"O {payload}"],
            "exercise": f"E {payload}", "assessment": f"A {payload}", "standard_models": [f"M {payload}"],
            "resources": [{"title": f"R {payload}", "url": "https://example.org/r", "kind": "docs"}],
            "why": f"W {payload}",
        }
        (folder / f"x-{index}.yaml").write_text(yaml.safe_dump(module, allow_unicode=True), encoding="utf-8")
    settings = {"roles": [{"id": "x-role", "title": payloads[0]}], "sizes": [{"id": "small", "title": payloads[1]}]}
    (folder / "catalog.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return folder


def xml_text(text: str) -> str:
    """What an XML parser gives back for `text` written into a document:
    itself, less the characters XML cannot hold, with CR LF as LF."""
    kept = "".join(ch for ch in text if ch in "\t\n\r" or 0x20 <= ord(ch) <= 0xD7FF or 0xE000 <= ord(ch) <= 0xFFFD
                   or ord(ch) > 0xFFFF)
    return kept.replace("\r\n", "\n").replace("\r", "\n")


class _Heading(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside, self.text = False, ""

    def handle_starttag(self, tag, attrs):
        self.inside = self.inside or tag == "h1"

    def handle_endtag(self, tag):
        self.inside = self.inside and tag != "h1"

    def handle_data(self, data):
        if self.inside:
            self.text += data


def test_hostile_text_stays_text_in_every_lms_file(schemas, tmp_path):
    """Markup, CDATA ends, quotes, formula prefixes and control characters
    in every field: each XML file is valid, parses to the elements we wrote
    with the text intact, and the HTML pages hold no script, event handler
    or script URL."""
    payloads = PAYLOADS + XML_PAYLOADS
    loaded = load([hostile_catalog(tmp_path / "catalog", payloads)])
    plans = all_plans(loaded)
    modules = loaded.catalog.modules
    cartridges = export("common-cartridge", plans)
    check_cartridges(cartridges, courses(plans, [], ".imscc"), schemas, tmp_path)
    files = unzip(cartridges["x-role-small.imscc"])
    manifest = ET.fromstring(files["imsmanifest.xml"])
    assert {element.tag for element in manifest.iter()} <= {
        f"{CP}{name}" for name in ("manifest", "metadata", "schema", "schemaversion", "organizations", "organization",
                                   "item", "title", "resources", "resource", "file")
    } | {f"{LOM}{name}" for name in ("lom", "general", "title", "description", "string", "identifier", "catalog",
                                     "entry")}
    titles = {item.get("identifierref"): item.findtext(f"{CP}title") for item in manifest.iter(f"{CP}item")}
    assert manifest.findtext(f"{CP}metadata/{LOM}lom/{LOM}general/{LOM}title/{LOM}string") == xml_text(
        f"{payloads[0]} at a {payloads[1].lower()}: ML upskilling syllabus")
    for module_id, module in modules.items():
        assert titles[f"PAGE_{module_id}"] == xml_text(module.title)
        assert titles[f"LINK_{module_id}_1"] == xml_text(module.resources[0].title)
        link = ET.fromstring(files[f"weblinks/{module_id}-1.xml"])
        assert [element.tag for element in link.iter()] == [f"{WEBLINK}webLink", f"{WEBLINK}title", f"{WEBLINK}url"]
        assert link.findtext(f"{WEBLINK}title") == xml_text(module.resources[0].title)
        heading = _Heading()
        heading.feed(files[f"wiki_content/{module_id}.html"].decode("utf-8"))
        assert heading.text.replace("\r\n", "\n").replace("\r", "\n") == xml_text(module.title)
    structures = export("cmi5", plans, base_url=BASE_URL)
    check_cmi5(structures, courses(plans, [], "/cmi5.xml"), export("site", plans), schemas, tmp_path)
    course = ET.fromstring(structures["x-role-small/cmi5.xml"])
    assert {element.tag for element in course.iter()} == {
        f"{CMI5}{name}" for name in ("courseStructure", "course", "title", "description", "langstring", "block", "au",
                                     "url")}
    units = {unit.get("id"): unit for unit in course.iter(f"{CMI5}au")}
    for module_id, module in modules.items():
        unit = units[loaded.catalog.activity_base + module_id]
        assert unit.findtext(f"{CMI5}title/{CMI5}langstring") == xml_text(module.title)
        assert unit.findtext(f"{CMI5}description/{CMI5}langstring") == xml_text(module.summary)


# --- reproducible packages -----------------------------------------------------


def test_packages_are_the_same_bytes_on_every_run(tmp_path):
    """Two runs in two processes (with different hash seeds) write the same
    bytes; entries are sorted, dated 1980-01-01 and plain files."""
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"run{seed}"
        subprocess.run([sys.executable, "-m", "curriculum", "-q", "publish", "--target", "common-cartridge",
                        "--team", str(SAMPLE_TEAM), "--start", "2027-01-11", "-o", str(out)],
                       check=True, env={**os.environ, "PYTHONHASHSEED": seed}, timeout=600)
        outputs.append({path.relative_to(out).as_posix(): path.read_bytes()
                        for path in sorted(out.rglob("*.imscc"))})
    assert outputs[0] == outputs[1] and len(outputs[0]) > 15
    with zipfile.ZipFile(tmp_path / "run1" / "ml-engineer-small.imscc") as archive:
        entries = archive.infolist()
    assert [entry.filename for entry in entries] == sorted(entry.filename for entry in entries)
    assert {(entry.date_time, entry.external_attr >> 16, entry.compress_type) for entry in entries} == {
        ((1980, 1, 1, 0, 0, 0), 0o100644, zipfile.ZIP_DEFLATED)}
    manifest = ET.fromstring(unzip((tmp_path / "run1" / "ml-engineer-small.imscc").read_bytes())["imsmanifest.xml"])
    assert module_items(manifest)[0][0] == "Week 1 (from 2027-01-11)"


# --- links ---------------------------------------------------------------------


def test_only_http_and_https_resources_become_web_links(loaded):
    plan = all_plans(loaded({"python": {"stage": "foundations", "roles": ["all"]}}))[0]
    resources = (Resource("Script", "javascript:alert(1)", "docs"),
                 Resource("Tutorial", "https://docs.python.org/3/", "docs"),
                 Resource("Mail", "mailto:a@example.org", "docs"), Resource("Old", "http://example.org/", "docs"))
    step = dataclasses.replace(plan.steps[0], module=dataclasses.replace(plan.steps[0].module, resources=resources))
    files = unzip(export("common-cartridge", [dataclasses.replace(plan, steps=(step,))])[f"{plan.slug}.imscc"])
    links = [ET.fromstring(files[name]).find(f"{WEBLINK}url").get("href")
             for name in sorted(files) if name.startswith("weblinks/")]
    assert links == ["https://docs.python.org/3/", "http://example.org/"]
    assert b"javascript:" not in files["wiki_content/python.html"]


# --- cmi5 and progress ---------------------------------------------------------


TEAM = Team(name="T", size="medium", start=dt.date(2027, 1, 11),
            members=(Member("Ben Okafor", "ml-engineer", email="ben@example.com"),))


def test_statements_about_exported_assignable_units_come_back_as_progress(tmp_path, catalog_dir):
    """An AU's id is its module's activity id, under the catalog's
    activity_base: a statement about it reads back as that module, whether
    its object is the AU id or, as cmi5 LMSs send it, an id the LMS made
    with the AU id in the grouping context."""
    loaded = load([catalog_dir(SMALL, {"activity_base": "https://learn.example.com/m/"})])
    plans = all_plans(loaded)
    structures = export("cmi5", plans, base_url=BASE_URL)
    plan = next(plan for plan in plans if plan.slug == "ml-engineer-medium")
    course = ET.fromstring(structures["ml-engineer-medium/cmi5.xml"])
    assert course.find(f"{CMI5}course").get("id") == "https://learn.example.com/m/paths/ml-engineer-medium"
    units = [unit.get("id") for unit in course.iter(f"{CMI5}au")]
    first, second = plan.steps[0].module.id, plan.steps[1].module.id

    def statement(verb, obj, when, grouping=()):
        return {"actor": {"mbox": "mailto:ben@example.com"}, "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
                "object": {"id": obj, "objectType": "Activity"}, "timestamp": when,
                "context": {"contextActivities": {
                    "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
                    "grouping": [{"id": group} for group in grouping]}}}

    course_id = course.find(f"{CMI5}course").get("id")
    path = tmp_path / "statements.json"
    path.write_text(json.dumps([
        statement("completed", units[0], "2027-01-20T10:00:00Z"),
        # cmi5: the object is the LMS's id for the AU; the AU's own id is a grouping activity.
        statement("launched", "https://lms.example.com/activities/7f3a", "2027-01-27T10:00:00Z",
                  [course_id, units[1]]),
    ]), encoding="utf-8")
    progress = read_progress([path], TEAM, loaded.catalog, dt.date(2027, 3, 1))
    assert {key: entry.status for key, entry in progress.entries.items()} == {
        ("Ben Okafor", first): "done", ("Ben Okafor", second): "in-progress"}


def test_a_statement_about_no_module_is_skipped_naming_its_object(tmp_path, catalog_dir, caplog):
    loaded = load([catalog_dir(SMALL)])
    path = tmp_path / "statements.json"
    path.write_text(json.dumps([{
        "actor": {"mbox": "mailto:ben@example.com"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://lms.example.com/activities/9"}, "timestamp": "2027-01-20T10:00:00Z",
        "context": {"contextActivities": {"grouping": {"id": "urn:curriculum:module:paths/ml-engineer-small"}}},
    }]), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="curriculum"):
        assert read_progress([path], TEAM, loaded.catalog, dt.date(2027, 3, 1)).entries == {}
    assert any("unknown module 'https://lms.example.com/activities/9'" in message for message in caplog.messages)


@pytest.mark.parametrize("arguments, message", [
    (["--target", "cmi5"], "--target cmi5 needs --base-url URL"),
    (["--target", "cmi5", "--base-url", "ftp://files.example.com/site/"], "is not an http:// or https:// URL"),
    (["--target", "cmi5", "--base-url", "learn.example.com/ml"], "is not an http:// or https:// URL"),
    (["--target", "cmi5", "--base-url", "http://[::1/"], "is not a valid URL"),
    (["--target", "cmi5", "--base-url", "https://learn.example.com:http/"], "is not a valid URL"),
    (["--target", "cmi5", "--base-url", "https:///ml/"], "has no host"),
    (["--target", "cmi5", "--base-url", "https://learn.example.com/a b/"], "holds spaces"),
    (["--target", "cmi5", "--base-url", 'https://learn.example.com/"x'], "holds spaces"),
    (["--target", "cmi5", "--base-url", "https://learn.example.com/ml?x=1"], "has a query or fragment"),
    (["--target", "cmi5", "--base-url", "https://learn.example.com/ml#top"], "has a query or fragment"),
    (["--target", "cmi5", "--base-url", "https://ana:s3cret-pw@learn.example.com/"], "must not hold a user name"),
    (["--target", "site", "--base-url", BASE_URL], "--base-url works with --target cmi5, not site"),
    (["--target", "common-cartridge", "--base-url", BASE_URL], "works with --target cmi5, not common-cartridge"),
])
def test_a_missing_or_bad_base_url_is_one_clear_line(tmp_path, capsys, arguments, message):
    out = tmp_path / "out"
    assert main(["publish", *arguments, "-o", str(out)]) == 1
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1 and "s3cret" not in error
    assert not out.exists()


def test_cmi5_from_the_command_line_launches_the_sites_module_pages(tmp_path):
    out = tmp_path / "cmi5"
    assert main(["-q", "publish", "--target", "cmi5", "--base-url", "https://learn.example.com/ml",
                 "--team", str(SAMPLE_TEAM), "-o", str(out)]) == 0
    course = ET.parse(out / "teams" / "payments-risk" / "ana-ruiz" / "cmi5.xml").getroot()
    url = next(course.iter(f"{CMI5}au")).findtext(f"{CMI5}url")
    assert url.startswith("https://learn.example.com/ml/modules/") and url.endswith(".html")
    assert course.find(f"{CMI5}course").get("id") == "urn:curriculum:module:teams/payments-risk/ana-ruiz"


def test_a_member_with_nothing_to_take_gets_no_course(tmp_path, catalog_dir):
    """A course needs a module (cmi5 requires an AU): a member who knows
    everything on their path gets neither a package nor a course structure."""
    modules = catalog_dir(SMALL)
    team_file = tmp_path / "team.yaml"
    team_file.write_text(yaml.safe_dump({"team": "Lab", "company_size": "small", "members": [
        {"name": "Ana", "role": "ml-engineer"}, {"name": "Rae", "role": "ml-researcher", "knows": ["framing"]}]}))
    _, team = team_plan(team_file, [modules])
    assert [len(plan.steps) > 0 for _, plan in team.plans] == [True, False]
    assert [path for path in export("common-cartridge", [], [team]) if path.startswith("teams/")] == [
        "teams/lab/ana.imscc"]
    assert [path for path in export("cmi5", [], [team], BASE_URL) if path.startswith("teams/")] == [
        "teams/lab/ana/cmi5.xml"]
