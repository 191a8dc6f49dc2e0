"""Names that collide get unique, stable names in every publish target:
teams whose names give one slug (`X` and `x`), team and member pages that
meet in a git wiki's flat namespace, Confluence titles; and the pipeline
never keeps one of two pages with the same path."""

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

from curriculum.errors import CurriculumError
from curriculum.pipeline import all_plans, load, publish
from curriculum.publish import Publication, collect_pages, publish_pages
from curriculum.publish.dokuwiki import page_id

from .test_publish import CONFLUENCE_ROOT, links_in

# (team name, [(member name, role)]): `X` and `x` share a slug; team `a` member
# `b c` and team `a-b` member `c` meet as `team-a-b-c` in a flat wiki, as do
# member `b` of `a` and the overview of `a-b`; the last team is named like a
# Confluence syllabus page and the home page.
TEAMS = [
    ("X", [("Ana Upper", "software-engineer"), ("b", "data-engineer")]),
    ("x", [("Ben Lower", "data-engineer")]),
    ("a", [("b c", "ml-engineer"), ("b", "software-engineer")]),
    ("a-b", [("c", "software-engineer")]),
    ("ML engineer at a small company", [("Eve Title", "ml-engineer")]),
    ("ML upskilling syllabi", [("Finn Home", "software-engineer")]),
]


def write_teams(folder, teams=TEAMS):
    folder.mkdir(exist_ok=True)
    files = []
    for index, (name, members) in enumerate(teams):
        data = {"team": name, "company_size": "small",
                "members": [{"name": member, "role": role} for member, role in members]}
        path = folder / f"team{index}.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        files.append(path)
    return files


@pytest.fixture(scope="module")
def team_files(tmp_path_factory):
    return write_teams(tmp_path_factory.mktemp("teams"))


@pytest.fixture(scope="module")
def planned(team_files):
    from curriculum.pipeline import team_plan

    loaded = load()
    return all_plans(loaded), [team_plan(path)[1] for path in team_files]


def test_site_gives_each_team_its_folder_and_every_link_resolves(tmp_path, team_files):
    out, _, _ = publish("site", out_dir=tmp_path / "site", team_files=team_files)
    upper, lower = out / "teams" / "x" / "index.html", out / "teams" / "x-2" / "index.html"
    assert "Ana Upper" in upper.read_text() and "Ben Lower" not in upper.read_text()
    assert "Ben Lower" in lower.read_text() and "Ana Upper" not in lower.read_text()
    assert (out / "teams" / "x" / "ana-upper.html").is_file() and (out / "teams" / "x-2" / "ben-lower.html").is_file()
    home = (out / "index.html").read_text()
    assert 'href="teams/x/index.html">X</a>' in home and 'href="teams/x-2/index.html">x</a>' in home
    for page in out.rglob("*.html"):
        for link in links_in(page):
            assert (page.parent / link).resolve().is_file(), f"{page.relative_to(out)} links to missing {link}"


def test_mkdocs_gives_each_team_its_folder_and_builds_strict(tmp_path, team_files):
    out, _, _ = publish("mkdocs", out_dir=tmp_path / "mk", team_files=team_files)
    config = yaml.safe_load((out / "mkdocs.yml").read_text())
    teams = config["nav"][2]["Teams"]
    assert teams[0]["X"][0] == "teams/x/index.md" and teams[1]["x"][0] == "teams/x-2/index.md"
    assert "Ana Upper" in (out / "docs" / "teams" / "x" / "index.md").read_text()
    assert "Ben Lower" in (out / "docs" / "teams" / "x-2" / "index.md").read_text()
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=out,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr  # --strict: a missing link or nav page is an error


def wiki_links(text):
    # Markdown link destinations, bare or in <...>, that name a page of the wiki.
    return [target for target in re.findall(r"\]\(<?([^)\s>]+)>?\)", text) if not re.match(r"[a-z]+:|#", target)]


def test_git_wiki_names_are_unique_in_its_flat_namespace(tmp_path, team_files):
    out, written, _ = publish("git-wiki", out_dir=tmp_path / "gw", team_files=team_files)
    pages = {name[:-3]: (out / name).read_text() for name in written if name.endswith(".md")}
    assert len({name.casefold() for name in pages}) == len(pages)
    # Overviews keep their natural names; member pages that meet another page get a number.
    assert "Ana Upper" in pages["team-x"] and "Ben Lower" in pages["team-x-2"]
    assert pages["team-x-ana-upper"].startswith("# Software engineer")
    assert pages["team-x-2-ben-lower"].startswith("# Data engineer")
    assert "[c](team-a-b-c-2)" in pages["team-a-b"]
    assert "[b c](team-a-b-c)" in pages["team-a"] and "[b](team-a-b-2)" in pages["team-a"]
    sidebar = pages["_Sidebar"]
    assert "- [X](team-x)" in sidebar and "- [x](team-x-2)" in sidebar and "- [a-b](team-a-b)" in sidebar
    for name, text in pages.items():
        for target in wiki_links(text):
            assert target in pages, f"{name} links to missing {target}"


def test_dokuwiki_gives_each_team_its_namespace_and_every_link_resolves(planned):
    plans, teams = planned
    pages = collect_pages(publish_pages("dokuwiki", Publication(plans, teams)))
    ids = {page_id(path): text for path, text in pages.items()}
    assert "Ana Upper" in ids["ml-upskilling:teams:x:start"] and "Ben Lower" in ids["ml-upskilling:teams:x-2:start"]
    assert "ml-upskilling:teams:x-2:ben-lower" in ids
    for pid, text in ids.items():
        for target in re.findall(r"\[\[([^|\]]+)\|", text):
            if not target.startswith("http"):
                assert target in ids, (pid, target)


def test_confluence_titles_are_unique_and_every_link_resolves(planned, tmp_path):
    plans, teams = planned
    pages = collect_pages(publish_pages("confluence", Publication(plans, teams)))
    manifest = json.loads(pages["manifest.json"])
    titles = [page["title"] for page in manifest["pages"]]
    assert len({title.casefold() for title in titles}) == len(titles)
    assert manifest["root"] == "ML upskilling syllabi" and "ML upskilling syllabi (2)" in titles
    assert "ML engineer at a small company" in titles and "ML engineer at a small company (2)" in titles
    by_title = {page["title"]: page for page in manifest["pages"]}
    # Titles are unique in any case, as Confluence wants them.
    assert by_title["X"]["file"] == "pages/teams/x/index.xml"
    assert by_title["x (2)"]["file"] == "pages/teams/x-2/index.xml"
    assert by_title["X: b"]["parent"] == "X" and by_title["x (2): Ben Lower"]["parent"] == "x (2)"
    assert by_title["ML engineer at a small company (2): Eve Title"]["parent"] == "ML engineer at a small company (2)"
    for page in manifest["pages"]:
        assert page["parent"] is None or page["parent"] in by_title
        root = ET.fromstring(CONFLUENCE_ROOT.format(pages[page["file"]]))
        for link in root.iter("{http://atlassian.com/resource/identifier}page"):
            assert link.get("{http://atlassian.com/resource/identifier}content-title") in by_title, page["file"]
    assert "Ben Lower" in pages["pages/teams/x-2/index.xml"] and "Ben Lower" not in pages["pages/teams/x/index.xml"]


@pytest.mark.parametrize("target", ["site", "mkdocs", "git-wiki", "dokuwiki", "confluence"])
def test_names_are_stable_for_the_same_input(planned, target):
    plans, teams = planned
    publication = Publication(plans, teams)
    assert collect_pages(publish_pages(target, publication)) == collect_pages(publish_pages(target, publication))


def test_two_teams_with_one_name_are_a_clear_error(tmp_path, capsys):
    from curriculum.cli import main

    files = write_teams(tmp_path / "t", [("Same", [("A", "software-engineer")]), ("Same", [("B", "data-engineer")])])
    args = ["publish", "--target", "site", "-o", str(tmp_path / "o"), "--team", str(files[0]), "--team", str(files[1])]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "two teams are named 'Same'" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_the_pipeline_never_keeps_one_of_two_pages_with_one_path(tmp_path, monkeypatch):
    with pytest.raises(CurriculumError, match="two published pages would be one file: 'a.md' and 'a.md'"):
        collect_pages([("a.md", "one"), ("b.md", "two"), ("a.md", "three")])
    with pytest.raises(CurriculumError, match="'Home.md' and 'home.md'"):
        collect_pages([("Home.md", "one"), ("home.md", "two")])

    from curriculum.publish import mkdocs

    def twice(publication):
        yield "docs/index.md", "first"
        yield "docs/index.md", "second"

    monkeypatch.setattr(mkdocs, "mkdocs_pages", twice)
    with pytest.raises(CurriculumError, match="two published pages would be one file"):
        publish("mkdocs", out_dir=tmp_path / "mk")
    assert not (tmp_path / "mk").exists()
