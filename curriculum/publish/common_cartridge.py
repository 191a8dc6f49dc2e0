"""The Common Cartridge target: an IMS Common Cartridge 1.1 package
(`.imscc`) per syllabus and per team member, which Moodle and Canvas import
as a course: a section per week, each module a page with a web link per
resource."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import jinja2

from ..model import Module, Plan, Resource, Step
from ..render import make_environment, safe_url
from . import Publication
from .lms import member_plans, path_description, path_title, steps_by_week, week_title, xml_document

# Canvas makes a page of an HTML file in this folder (and a plain file of one
# elsewhere); Moodle takes either.
PAGES_FOLDER = "wiki_content"
LINKS_FOLDER = "weblinks"
# Zip entries as every run writes them: the earliest time a zip can hold
# (zips store local time and no zone), a plain file's permissions, a fixed
# compression level.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_ZIP_MODE = 0o100644 << 16
_ZIP_LEVEL = 9


@dataclass(frozen=True)
class _Link:
    identifier: str  # of its resource in the manifest
    title: str
    url: str
    file: str


@dataclass(frozen=True)
class _Page:
    module: Module
    step: Step
    activity_id: str
    file: str
    links: tuple[_Link, ...]


@dataclass(frozen=True)
class _Week:
    number: int
    title: str
    pages: tuple[_Page, ...]


def common_cartridge_pages(publication: Publication) -> Iterator[tuple[str, bytes]]:
    """`ROLE-SIZE.imscc` for every syllabus, and for each team
    `teams/TEAM/MEMBER.imscc` for every member with modules to take."""
    env = make_environment(publication.templates)
    for plan in publication.plans:
        yield f"{plan.slug}.imscc", cartridge(env, plan, path_title(plan), f"M_{plan.slug}")
    for path, title, plan in member_plans(publication):
        yield f"{path}.imscc", cartridge(env, plan, title, "M_" + path.replace("/", "_"))


def cartridge(env: jinja2.Environment, plan: Plan, title: str, identifier: str) -> bytes:
    """The package: `imsmanifest.xml`, a page per module and a web link per
    resource with an http(s) URL, zipped the same way on every run."""
    weeks = [_Week(week, week_title(plan, week), tuple(_page(plan, step) for step in steps))
             for week, steps in steps_by_week(plan)]
    files = {"imsmanifest.xml": xml_document(env, "cartridge/imsmanifest.xml.j2", identifier=identifier,
                                             title=title, description=path_description(plan), weeks=weeks)}
    for week in weeks:
        for page in week.pages:
            files[page.file] = xml_document(env, "cartridge/module.html.j2", plan=plan, step=page.step,
                                            module=page.module)
            for link in page.links:
                files[link.file] = xml_document(env, "cartridge/weblink.xml.j2", link=link)
    return _zip(files)


def _page(plan: Plan, step: Step) -> _Page:
    module = step.module
    links = tuple(
        _Link(f"LINK_{module.id}_{number}", resource.title, url, f"{LINKS_FOLDER}/{module.id}-{number}.xml")
        for number, (resource, url) in enumerate(_linkable(module.resources), start=1)
    )
    return _Page(module, step, plan.activity_base + module.id, f"{PAGES_FOLDER}/{module.id}.html", links)


def _linkable(resources: tuple[Resource, ...]) -> list[tuple[Resource, str]]:
    """The resources with a safe (http or https) URL, each with it."""
    return [(resource, url) for resource in resources if (url := safe_url(resource.url)) != "#"]


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            entry = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            entry.create_system = 3  # Unix, whatever system writes it: the permissions below are Unix ones
            entry.external_attr = _ZIP_MODE
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, files[name], compresslevel=_ZIP_LEVEL)
    return buffer.getvalue()
