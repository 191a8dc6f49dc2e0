import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from curriculum.cli import main
from curriculum.errors import CurriculumError
from curriculum.pipeline import publish

from .conftest import SMALL

SAMPLE_TEAM = Path(__file__).parents[1] / "examples" / "payments-risk.yaml"


def git(*args, cwd=None):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def wiki_remote(tmp_path):
    """A real bare git repository holding a wiki with one page of a user's own."""
    remote = tmp_path / "wiki.git"
    git("init", "--quiet", "--bare", str(remote))
    seed = tmp_path / "seed"
    git("clone", "--quiet", str(remote), str(seed))
    (seed / "Our-Team-Rules.md").write_text("# Written by a person\n")
    git("add", ".", cwd=seed)
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "-m", "seed", cwd=seed)
    git("push", "--quiet", "origin", "HEAD", cwd=seed)
    return remote


def clone(remote, where):
    git("clone", "--quiet", str(remote), str(where))
    return where


def test_mkdocs_target_builds_strict(tmp_path):
    out = tmp_path / "mk"
    assert main(["-q", "publish", "--target", "mkdocs", "--team", str(SAMPLE_TEAM), "-o", str(out)]) == 0
    config = yaml.safe_load((out / "mkdocs.yml").read_text())
    syllabi = config["nav"][1]["Syllabi"]
    assert len(syllabi) == 5 and all(len(list(role.values())[0]) == 3 for role in syllabi)
    assert config["nav"][2]["Teams"][0]["Payments Risk"][0] == "teams/payments-risk/index.md"
    assert (out / "docs" / "teams" / "payments-risk" / "ana-ruiz.md").is_file()
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=out,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    assert (out / "site" / "ml-engineer-small.html").is_file()


def test_git_wiki_layout(tmp_path):
    out = tmp_path / "wiki"
    assert main(["-q", "publish", "--target", "git-wiki", "--team", str(SAMPLE_TEAM), "-o", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"Home.md", "_Sidebar.md", "ml-engineer-small.md", "team-payments-risk.md",
            "team-payments-risk-ana-ruiz.md"} <= names
    home = (out / "Home.md").read_text()
    assert "](ml-engineer-small)" in home and ".md)" not in home  # wiki links name pages, no extension
    overview = (out / "team-payments-risk.md").read_text()
    assert "](team-payments-risk-ana-ruiz)" in overview and "team.ics" not in overview
    sidebar = (out / "_Sidebar.md").read_text()
    assert "- [ML engineer, small company](ml-engineer-small)" in sidebar
    assert "- [Payments Risk](team-payments-risk)" in sidebar


def test_push_to_a_real_git_wiki_keeps_other_pages(tmp_path, wiki_remote, catalog_dir):
    assert main(["-q", "publish", "--target", "git-wiki", "-o", str(tmp_path / "a"), "--push", str(wiki_remote),
                 "--message", "Syllabi for Q1"]) == 0
    first = clone(wiki_remote, tmp_path / "check1")
    assert (first / "Our-Team-Rules.md").read_text() == "# Written by a person\n"
    assert (first / "ml-engineer-small.md").is_file() and (first / "Home.md").is_file()
    assert git("log", "-1", "--format=%s", cwd=first).strip() == "Syllabi for Q1"

    # A smaller catalog: its pages replace ours, pages we no longer generate go, the user's page stays.
    small = catalog_dir(SMALL, name="small")
    assert main(["-q", "publish", "--target", "git-wiki", "--modules", str(small), "-o", str(tmp_path / "b"),
                 "--push", str(wiki_remote)]) == 0
    second = clone(wiki_remote, tmp_path / "check2")
    names = {p.name for p in second.iterdir()}
    assert "Our-Team-Rules.md" in names
    assert "engineering-manager-small.md" in names  # SMALL's framing targets all roles
    assert "data-engineer-small.md" in names
    generated = json.loads((second / ".curriculum-manifest.json").read_text())["generated"]
    assert set(generated) == {n for n in names if n.endswith(".md")} - {"Our-Team-Rules.md"}


def test_push_refuses_to_overwrite_a_page_it_did_not_write(tmp_path, wiki_remote):
    seed = clone(wiki_remote, tmp_path / "seed2")
    (seed / "Home.md").write_text("# The team's own home page\n")
    git("add", ".", cwd=seed)
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "-m", "home", cwd=seed)
    git("push", "--quiet", "origin", "HEAD", cwd=seed)
    with pytest.raises(CurriculumError, match="already has a page 'Home.md' that curriculum did not write"):
        publish("git-wiki", out_dir=tmp_path / "out", push=str(wiki_remote))
    check = clone(wiki_remote, tmp_path / "check")
    assert (check / "Home.md").read_text() == "# The team's own home page\n"


def test_unreachable_wiki_is_a_clear_error(tmp_path, capsys):
    assert main(["publish", "--target", "git-wiki", "-o", str(tmp_path / "o"),
                 "--push", str(tmp_path / "no-such-wiki.git")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("curriculum: error: git clone:") and "Traceback" not in err


def test_push_needs_a_git_wiki(tmp_path, capsys):
    assert main(["publish", "--target", "mkdocs", "--push", "x", "-o", str(tmp_path / "o")]) == 1
    assert "--push works with --target git-wiki or dokuwiki" in capsys.readouterr().err


def test_git_errors_never_show_credentials(tmp_path):
    with pytest.raises(CurriculumError) as info:
        publish("git-wiki", out_dir=tmp_path / "o", push="https://bot:s3cret-token@127.0.0.1:1/wiki.git")
    assert "s3cret" not in str(info.value) and "git clone" in str(info.value)


CONFLUENCE_ROOT = ('<root xmlns:ac="http://atlassian.com/content" '
                   'xmlns:ri="http://atlassian.com/resource/identifier">{}</root>')


def test_confluence_pages_are_storage_format_with_a_page_tree(tmp_path):
    import xml.etree.ElementTree as ET

    out = tmp_path / "cf"
    assert main(["-q", "publish", "--target", "confluence", "--team", str(SAMPLE_TEAM), "-o", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    titles = {page["title"] for page in manifest["pages"]}
    assert len(titles) == len(manifest["pages"]) == 1 + 15 + 1 + 12  # unique titles, as Confluence requires
    for page in manifest["pages"]:
        assert page["parent"] is None or page["parent"] in titles
        ET.fromstring(CONFLUENCE_ROOT.format((out / page["file"]).read_text()))  # well-formed XML
    syllabus = (out / "pages" / "ml-engineer-small.xml").read_text()
    assert '<ac:structured-macro ac:name="info">' in syllabus  # why this path
    index = (out / "pages" / "index.xml").read_text()
    assert '<ri:page ri:content-title="ML engineer at a small company"/>' in index


def test_storage_format_code_blocks_and_hostile_text():
    import xml.etree.ElementTree as ET

    from curriculum.publish.confluence import storage_format

    text = "Run:\n\n```python\nif a < b and c > d: print(']]>')\n```\n\n<script>alert(1)</script> <br> &nbsp; x"
    storage = str(storage_format(text))
    root = ET.fromstring(CONFLUENCE_ROOT.format(storage))
    macro = root.find("{http://atlassian.com/content}structured-macro")
    assert macro.get("{http://atlassian.com/content}name") == "code"
    assert "if a < b and c > d: print(']]>')" in "".join(macro.itertext())
    # Raw HTML never becomes an element: dropped or shown as text, by the Markdown filter's choice.
    assert "<script" not in storage and not any(el.tag.endswith("script") for el in root.iter())


def links_in(page: Path) -> list[str]:
    from html.parser import HTMLParser

    found = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            for name, value in attrs:
                if name in ("href", "src") and value and not value.startswith(("http:", "https:", "#", "mailto:")):
                    found.append(value.split("#")[0])

    Links().feed(page.read_text(encoding="utf-8"))
    return found


def test_site_has_every_page_and_no_broken_link(tmp_path):
    out = tmp_path / "site"
    assert main(["-q", "publish", "--target", "site", "--team", str(SAMPLE_TEAM), "-o", str(out)]) == 0
    assert (out / "index.html").is_file() and (out / "ml-engineer-small.html").is_file()
    assert (out / "teams" / "payments-risk" / "index.html").is_file()
    assert (out / "teams" / "payments-risk" / "grace-liu.html").is_file()
    module_pages = {p.stem for p in (out / "modules").glob("*.html")} - {"index"}
    assert "sklearn-baselines" in module_pages and len(module_pages) >= 60
    pages = list(out.rglob("*.html"))
    for page in pages:
        for link in links_in(page):
            assert (page.parent / link).resolve().is_file(), f"{page.relative_to(out)} links to missing {link}"
    module = (out / "modules" / "gradient-boosting.html").read_text()
    assert 'href="sklearn-baselines.html"' in module  # builds on
    assert 'href="../ml-engineer-small.html"' in module  # in these paths


def test_site_search_works_in_a_browser_from_the_file_system(tmp_path):
    from .test_xss import CHROMIUM, _browser

    sync_playwright = _browser()
    out = tmp_path / "site"
    assert main(["-q", "publish", "--target", "site", "-o", str(out)]) == 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto((out / "index.html").as_uri())
            page.fill("#search", "drift monitoring")
            results = page.locator("#search-results a")
            assert results.count() >= 1
            titles = results.all_text_contents()
            assert any("Monitoring" in title or "monitoring" in title for title in titles)
            results.first.click()
            page.wait_for_load_state()
            assert page.url.startswith((out / "modules").as_uri()) and page.title() in titles
        finally:
            browser.close()


def test_cli_lists_the_same_targets_as_the_registry():
    from curriculum.cli import PUBLISH_TARGETS
    from curriculum.publish import TARGETS

    assert PUBLISH_TARGETS == tuple(TARGETS)


def test_the_readme_documents_every_target():
    from curriculum.publish import TARGETS

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"--target ([a-z0-9-]+)", readme))
    assert documented == set(TARGETS)


# --- the wiki is untrusted: a tampered manifest, symbolic links -------------------------


def commit_to_wiki(remote, where, files=None, links=None, message="by hand"):
    """Commit files (name -> text) and symbolic links (name -> target) to the wiki, as anyone who may edit it."""
    seed = clone(remote, where)
    for name, text in (files or {}).items():
        (seed / name).parent.mkdir(parents=True, exist_ok=True)
        (seed / name).write_text(text)
    for name, target in (links or {}).items():
        (seed / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, seed / name)
    git("add", "--all", cwd=seed)
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "-m", message, cwd=seed)
    git("push", "--quiet", "origin", "HEAD", cwd=seed)
    return git("rev-parse", "HEAD", cwd=seed).strip()


def head_of(remote):
    return git("--git-dir", str(remote), "rev-parse", "HEAD").strip()


@pytest.fixture
def victims(tmp_path):
    """Files outside the wiki that a hostile wiki tries to have deleted or overwritten."""
    folder = tmp_path / "victims"
    folder.mkdir()
    for name in ("victim.txt", "victim2.txt", "victim3.txt", "linked.txt"):
        (folder / name).write_text(f"{name} belongs to the user\n")
    return folder


def assert_untouched(victims):
    for name in ("victim.txt", "victim2.txt", "victim3.txt", "linked.txt"):
        assert (victims / name).read_text() == f"{name} belongs to the user\n", name


def test_a_tampered_manifest_cannot_delete_files_outside_the_wiki(tmp_path, wiki_remote, victims, monkeypatch,
                                                                  capsys):
    # The clone lands at tmp/curriculum-wiki-*/wiki: ../../../victims/ is the victims' folder from there.
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    assert main(["-q", "publish", "--target", "git-wiki", "-o", str(tmp_path / "a"), "--push", str(wiki_remote)]) == 0
    ours = json.loads((clone(wiki_remote, tmp_path / "before") / ".curriculum-manifest.json").read_text())["generated"]
    manifest = {"generated": [
        *ours, str(victims / "victim.txt"), "../../../victims/victim2.txt", "Home.md/../../../../victims/victim3.txt",
        ".git/config", ".git/HEAD", ".GIT/index", "./Home.md", "a//b.md", "C:\\victim.txt", 7, None, ["x"],
        ".curriculum-manifest.json", "gone-page.md",
    ]}
    commit_to_wiki(wiki_remote, tmp_path / "attacker", {".curriculum-manifest.json": json.dumps(manifest),
                                                        "gone-page.md": "a page curriculum once wrote\n"})
    assert main(["publish", "--target", "git-wiki", "-o", str(tmp_path / "b"), "--push", str(wiki_remote)]) == 0
    assert_untouched(victims)
    err = capsys.readouterr().err
    assert "victim.txt\" (an absolute path): not a page curriculum wrote; ignored" in err
    assert "victims/victim2.txt\" (not a plain relative path)" in err
    assert "and 8 more entries" in err  # warnings are capped
    check = clone(wiki_remote, tmp_path / "check")
    # A plain page entry still counts: a page listed but no longer generated goes.
    assert not (check / "gone-page.md").exists() and (check / "Home.md").is_file()
    assert (check / "Our-Team-Rules.md").read_text() == "# Written by a person\n"
    assert json.loads((check / ".curriculum-manifest.json").read_text())["generated"] == sorted(
        p.name for p in check.iterdir() if p.suffix == ".md" and p.name != "Our-Team-Rules.md")


@pytest.mark.parametrize("planted", ["Home.md", ".curriculum-manifest.json"])
@pytest.mark.parametrize("dangling", [False, True], ids=["link", "dangling-link"])
def test_a_symbolic_link_in_the_wiki_stops_the_push_before_anything_changes(tmp_path, wiki_remote, victims,
                                                                             planted, dangling, capsys):
    target = victims / ("created-by-the-wiki.txt" if dangling else "linked.txt")
    before = commit_to_wiki(wiki_remote, tmp_path / "attacker", links={planted: str(target)})
    assert main(["publish", "--target", "git-wiki", "-o", str(tmp_path / "o"), "--push", str(wiki_remote)]) == 1
    err = capsys.readouterr().err
    assert err == (f"curriculum: error: the wiki's '{planted}' is a symbolic link; curriculum never writes through "
                   "a link or over a folder: remove or rename it in the wiki\n")
    assert_untouched(victims)
    assert not (victims / "created-by-the-wiki.txt").exists()
    assert head_of(wiki_remote) == before  # nothing pushed


def test_links_listed_in_the_manifest_are_left_alone(tmp_path, wiki_remote, victims, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "page.md").write_text("outside the wiki\n")
    manifest = {"generated": ["old-link.md", "docs/page.md", "dangling.md"]}
    commit_to_wiki(wiki_remote, tmp_path / "attacker", {".curriculum-manifest.json": json.dumps(manifest)},
                   links={"old-link.md": str(victims / "victim.txt"), "docs": str(outside),
                          "dangling.md": str(tmp_path / "nowhere")})
    assert main(["publish", "--target", "git-wiki", "-o", str(tmp_path / "o"), "--push", str(wiki_remote)]) == 0
    assert_untouched(victims)
    assert (outside / "page.md").read_text() == "outside the wiki\n"
    err = capsys.readouterr().err
    assert "'old-link.md' is a symbolic link" in err and "'docs' is a symbolic link" in err
    check = clone(wiki_remote, tmp_path / "check")
    assert os.path.islink(check / "old-link.md") and os.path.islink(check / "docs")  # not ours: kept


def test_a_folder_where_a_page_goes_stops_the_push(tmp_path, wiki_remote):
    commit_to_wiki(wiki_remote, tmp_path / "attacker", {"Home.md/inside.md": "a folder named like a page\n"})
    with pytest.raises(CurriculumError, match="the wiki's 'Home.md' is not a regular file"):
        publish("git-wiki", out_dir=tmp_path / "o", push=str(wiki_remote))


def test_an_oversized_manifest_is_refused(tmp_path, wiki_remote, monkeypatch):
    from curriculum.publish import git_wiki

    monkeypatch.setattr(git_wiki, "MAX_MANIFEST_BYTES", 100)
    commit_to_wiki(wiki_remote, tmp_path / "attacker", {".curriculum-manifest.json": json.dumps(
        {"generated": [f"page-{n}.md" for n in range(50)]})})
    with pytest.raises(CurriculumError, match="larger than any list curriculum writes"):
        publish("git-wiki", out_dir=tmp_path / "o", push=str(wiki_remote))


# --- git itself: URLs, transports, time, what it says -------------------------------------


@pytest.mark.parametrize("url, message", [
    ("http://[::1", "is not a valid URL: a bracketed IPv6 host is not closed"),
    ("https://example.org:port/wiki.git", "is not a valid URL"),
    ("https://wiki.example.org/my wiki.git", "contains spaces"),
    ("https:///wiki.git", "has no host"),
    ("", "the --push URL is empty"),
    ("--upload-pack=touch /tmp/x", "starts with '-'"),
    ("-oProxyCommand=x", "starts with '-'"),
    ("ext::sh -c touch% /tmp/owned", "remote helper 'ext'"),
    ("fd::3", "remote helper 'fd'"),
    ("gopher://example.org/wiki.git", "uses 'gopher'"),
    ("https://example.org/w\x1b[2J.git", "contains control characters"),
])
def test_malformed_or_dangerous_push_urls_are_one_clear_line(tmp_path, capsys, url, message):
    assert main(["publish", "--target", "git-wiki", "-o", str(tmp_path / "o"), f"--push={url}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("curriculum: error: ") and message in err, err
    assert "Traceback" not in err and len(err.splitlines()) == 1 and "\x1b" not in err
    assert not (tmp_path / "o").exists()  # refused before any work


def test_git_runs_only_allowed_transports(tmp_path):
    from curriculum.publish.git_wiki import _git

    owned = tmp_path / "owned"
    with pytest.raises(CurriculumError, match="transport 'ext' not allowed"):
        _git("clone", "--", f"ext::sh -c touch% {owned}", str(tmp_path / "c"), url="ext::")
    assert not owned.exists()


def test_a_remote_that_never_answers_times_out(tmp_path, monkeypatch):
    import socket
    import time

    from curriculum.publish import git_wiki

    monkeypatch.setattr(git_wiki, "GIT_TIMEOUT", 2)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(CurriculumError) as info:
            publish("git-wiki", out_dir=tmp_path / "o", push=f"http://bot:s3cret-token@127.0.0.1:{port}/wiki.git")
    assert time.monotonic() - started < 30
    assert str(info.value) == f"git clone: no answer from http://***@127.0.0.1:{port}/wiki.git within 2 s"


SECRET = "s3cret-token"


def fake_ssh(tmp_path):
    """An ssh that, like a chatty one, repeats its destination in its error."""
    script = tmp_path / "fake-ssh"
    script.write_text('#!/bin/sh\nfor a; do case "$a" in *@*) echo "ssh: cannot reach $a" >&2;; esac; done\nexit 255\n')
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize("url", [
    f"https://bot:{SECRET}@127.0.0.1:1/wiki.git",
    f"https://bot:pa/ss@{SECRET}@127.0.0.1:1/wiki.git",  # a password with '/' and '@'
    f"https://bot:pa%2Fss%40{SECRET}@127.0.0.1:1/wiki.git",  # the same, percent-encoded
    f"https://{SECRET}@127.0.0.1:1/wiki.git",  # a token in the user's place
    f"https://127.0.0.1:1/wiki.git?access_token={SECRET}",
    f"https://127.0.0.1:1/wiki.git?private_token={SECRET}",
    f"https://127.0.0.1:1/wiki.git?ref=main&x={SECRET}",  # any query string
    f"http://127.0.0.1:1/wiki.git#{SECRET}",
    "file://{tmp}/missing/bot:" + SECRET + "@wiki.git",
    f"{SECRET}@127.0.0.1:wiki.git",  # scp-style, the token as the user
    f"ssh://bot:{SECRET}@127.0.0.1/wiki.git",
])
def test_git_errors_never_show_a_secret_in_any_url_form(tmp_path, monkeypatch, capsys, url):
    monkeypatch.setenv("GIT_SSH_COMMAND", fake_ssh(tmp_path))
    url = url.replace("{tmp}", str(tmp_path))
    assert main(["publish", "--target", "git-wiki", "-o", str(tmp_path / "o"), "--push", url]) == 1
    out, err = capsys.readouterr()
    # git's own failure, or for a URL git could not parse either, curriculum's.
    assert err.startswith(("curriculum: error: git clone: ", "curriculum: error: the --push URL ")), err
    assert len(err.splitlines()) == 1, err
    for form in (SECRET, "pa/ss", "pa%2Fss"):
        assert form not in err and form not in out, err


def test_a_refused_push_shows_the_hooks_reason_cleaned(tmp_path, wiki_remote, capsys):
    hook = wiki_remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\n"
                    "printf 'Pages need a review by \\033[31mthe wiki team\\033[0m\\007\\n' >&2\n"
                    "printf '\\033]0;owned title\\007see WIKI-42\\n' >&2\n"
                    "exit 1\n")
    hook.chmod(0o755)
    before = head_of(wiki_remote)
    assert main(["publish", "--target", "git-wiki", "-o", str(tmp_path / "o"), "--push", str(wiki_remote)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("curriculum: error: git push: [remote rejected] ")
    assert "(pre-receive hook declined)" in err
    assert "the remote said: Pages need a review by the wiki team / see WIKI-42" in err
    assert len(err.splitlines()) == 1 and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", err) and "owned title" not in err
    assert head_of(wiki_remote) == before


def test_urls_are_shown_without_secrets():
    from curriculum.publish.remote import display_url, redact

    assert display_url(f"https://bot:{SECRET}@git.example.org/w.git?private_token={SECRET}") == \
        "https://***@git.example.org/w.git?***"
    assert display_url("https://git.example.org/w.git") == "https://git.example.org/w.git"
    assert display_url(f"{SECRET}@git.example.org:org/w.wiki.git") == "***@git.example.org:org/w.wiki.git"
    # Short secrets are redacted where they sit in a URL, not in every word.
    url = "https://git:ab@h/x"
    assert redact(f"git push failed for {url}", url) == "git push failed for https://***@h/x"
    assert redact(f"token={SECRET}&x=1 password={SECRET}") == "token=***&x=1 password=***"


def test_a_successful_push_does_not_print_the_url_secret(tmp_path, capsys):
    # git reads a file:// URL's "query" as part of the path: a real remote whose URL carries a token.
    remote = tmp_path / f"wiki.git?access_token={SECRET}"
    git("init", "--quiet", "--bare", str(remote))
    assert main(["publish", "--target", "git-wiki", "-o", str(tmp_path / "o"), "--push", f"file://{remote}"]) == 0
    out, err = capsys.readouterr()
    assert f"pushed to file://{tmp_path}/wiki.git?***: " in out
    assert SECRET not in out + err


# --- publish --team plans as `team` does ----------------------------------------------

EXAMPLES = SAMPLE_TEAM.parent


@pytest.mark.parametrize("team_file, options", [
    (SAMPLE_TEAM, ["--hours-per-week", "3", "--start", "2027-02-01"]),
    (EXAMPLES / "payments-risk.csv", ["--size", "medium", "--start", "2027-02-01", "--no-cohorts"]),
    (SAMPLE_TEAM, ["--progress", str(EXAMPLES / "payments-risk-progress.csv"), "--as-of", "2027-03-01"]),
])
def test_publish_team_plans_exactly_as_the_team_command(tmp_path, team_file, options):
    """The same team file and options give the same schedule whether the
    team is planned by `team` or published with the syllabi."""
    assert main(["-q", "team", str(team_file), *options, "-o", str(tmp_path / "team")]) == 0
    assert main(["-q", "publish", "--target", "site", "--team", str(team_file), *options,
                 "-o", str(tmp_path / "site")]) == 0
    [published] = (tmp_path / "site" / "teams").iterdir()
    for name in ("assignments.csv", "team.ics"):
        assert (published / name).read_bytes() == (tmp_path / "team" / name).read_bytes(), name


def test_progress_re_plans_one_published_team_only(tmp_path, capsys):
    progress = str(EXAMPLES / "payments-risk-progress.csv")
    assert main(["-q", "publish", "--target", "site", "--team", str(SAMPLE_TEAM), "--team",
                 str(EXAMPLES / "payments-risk.csv"), "--size", "small", "--progress", progress,
                 "-o", str(tmp_path / "o")]) == 1
    assert capsys.readouterr().err.strip() == (
        "curriculum: error: --progress and --baseline re-plan one team: give exactly one --team")
    assert not (tmp_path / "o").exists()


def test_an_option_a_target_does_not_take_is_one_clear_line(tmp_path, capsys):
    assert main(["-q", "publish", "--target", "site", "--namespace", "x", "-o", str(tmp_path / "o")]) == 1
    assert capsys.readouterr().err.strip() == "curriculum: error: --namespace works with --target dokuwiki, not site"
    assert not (tmp_path / "o").exists()


def test_the_library_leaves_the_garbage_collector_as_it_found_it(tmp_path):
    """Process-wide settings belong to the program that calls the library:
    builds in a long-running process (a web app, a notebook) must not pile up
    frozen objects or switch the collector off."""
    import gc

    from curriculum.pipeline import build, team

    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    for index in range(3):
        build(out_dir=tmp_path / f"build-{index}", formats=("md",))
        team(SAMPLE_TEAM, out_dir=tmp_path / f"team-{index}", formats=("md",))
        assert gc.isenabled() and gc.get_freeze_count() == frozen
