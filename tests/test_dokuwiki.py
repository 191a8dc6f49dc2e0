"""The DokuWiki target: pages in DokuWiki syntax, and pushes to a REAL
DokuWiki (Debian's package served by `php -S`, see dokuwiki_server.py) that
keep other pages, remove stale ones, fail clearly, and never let module text
inject HTML, PHP or media into the rendered wiki."""

import re
from pathlib import Path

import pytest
import yaml

from curriculum.publish.dokuwiki import (
    MANIFEST_PAGE,
    canonical_id,
    dokuwiki_pages,
    dw_code,
    dw_markdown,
    dw_text,
    dw_title,
    dw_url,
    page_id,
    push_dokuwiki,
)
from curriculum.errors import CurriculumError
from curriculum.publish import Publication
from curriculum.pipeline import all_plans, load, team_plan

from .dokuwiki_server import (  # noqa: F401 (the fixture)
    EDITOR_PASSWORD,
    EDITOR_USER,
    READER_PASSWORD,
    READER_USER,
    dokuwiki,
    free_port,
)

SAMPLE_TEAM = Path(__file__).parents[1] / "examples" / "payments-risk.yaml"
PAYLOADS = (Path(__file__).parent / "corpus" / "xss-payloads.txt").read_text(encoding="utf-8").splitlines()
HOSTILE_TITLE = "</code><html><script>alert(1)</script></html>"
HOSTILE_MEDIA = "{{http://evil.example/x.png}}"
# Everything that would let page text run HTML or PHP, embed media or macros, or end a block.
HOSTILE = [
    HOSTILE_TITLE, HOSTILE_MEDIA, "<php>echo 'owned';</php>", "<PHP>echo 'owned';</PHP>",
    "<HTML><script>alert(2)</script></HTML>", "~~NOCACHE~~ ~~NOTOC~~", "[[http://evil.example/|{{http://evil.example/y.png}}]]",
    "a | b ^ c", "50%% off %% <html><script>alert(3)</script></html> %%", "</nowiki><html><script>alert(4)</script></html>",
    "</file><html><script>alert(5)</script></html>", "{{ :wiki:dokuwiki-128.png }}",
]


@pytest.fixture(scope="module")
def plans():
    return all_plans(load())


@pytest.fixture(scope="module")
def team():
    return team_plan(SAMPLE_TEAM)[1]


@pytest.fixture(scope="module")
def pages(plans, team):
    return dict(dokuwiki_pages(Publication(plans, (team,))))


# --- pages ------------------------------------------------------------------------------


def test_pages_are_a_data_pages_tree_under_the_namespace(pages, plans, team):
    assert "ml-upskilling/start.txt" in pages
    for plan in plans:
        assert f"ml-upskilling/{plan.slug}.txt" in pages
    assert "ml-upskilling/teams/payments-risk/start.txt" in pages
    for member, _ in team.plans:
        assert f"ml-upskilling/teams/payments-risk/{team.slugs[member.name]}.txt" in pages
    assert len(pages) == 1 + len(plans) + 1 + len(team.plans)
    assert all(re.fullmatch(r"[a-z0-9_.-]+(/[a-z0-9_.-]+)*\.txt", path) for path in pages)


def test_start_page_links_every_syllabus_in_a_grid(pages, plans):
    start = pages["ml-upskilling/start.txt"]
    assert start.startswith("====== ML upskilling syllabi ======\n")
    grid = [line for line in start.splitlines() if line.startswith(("^", "|"))]
    assert grid[0].startswith("^ Role ^") and grid[0].endswith("^")
    assert len(grid) == 1 + len({p.role.id for p in plans})
    linked = set(re.findall(r"\[\[ml-upskilling:([a-z0-9-]+)\|[^\]|]+\]\]", "\n".join(grid)))
    assert linked == {plan.slug for plan in plans}
    # Every row has as many cells as the header.
    cells = {len(re.findall(r"[|^]", _outside_nowiki(re.sub(r"\[\[.*?\]\]", "", row)))) for row in grid}
    assert cells == {2 + len({p.size.id for p in plans})}  # Role column + sizes, one more separator
    assert "[[ml-upskilling:teams:payments-risk:start|Payments Risk]]" in start


def test_every_internal_link_points_at_a_generated_page(pages):
    ids = {page_id(path) for path in pages}
    for path, text in pages.items():
        for target in re.findall(r"\[\[([^|\]]+)\|", text):
            if not target.startswith("http"):
                assert target in ids, (path, target)


def test_syllabus_and_team_pages_use_dokuwiki_syntax(pages, plans, team):
    plan = plans[0]
    text = pages[f"ml-upskilling/{plan.slug}.txt"]
    assert re.search(r"^====== .+ ======$", text, re.M)
    assert "===== Schedule =====" in text and "^ # ^ Module ^" in text
    assert re.search(r"^==== 1\. .+ ====$", text, re.M)
    assert re.search(r"^  \* \[\[https://[^|\]]+\|[^\]]+\]\]", text, re.M)  # resources
    assert "#" not in "".join(re.findall(r"^#+ ", text, re.M))  # no Markdown headings
    overview = pages["ml-upskilling/teams/payments-risk/start.txt"]
    member = team.plans[0][0]
    assert f"[[ml-upskilling:teams:payments-risk:{team.slugs[member.name]}|{member.name}]]" in overview
    assert "===== Who does what, when =====" in overview


def test_namespace_option_and_bad_namespaces(plans):
    pages = dict(dokuwiki_pages(Publication(plans[:1], namespace=":training:ml:")))
    assert set(pages) == {"training/ml/start.txt", f"training/ml/{plans[0].slug}.txt"}
    assert f"[[training:ml:{plans[0].slug}|" in pages["training/ml/start.txt"]
    # DokuWiki's cleanID would map the last ones to other namespaces (`x`, `a:b`, `x`, `a_b`).
    for bad in ("", "Has Spaces", "a::b", "../etc", "a/b", ".x", "a:..:b", "x-", "a__b", "A"):
        with pytest.raises(CurriculumError, match="not a DokuWiki namespace"):
            list(dokuwiki_pages(Publication(plans[:1], (), namespace=bad)))


# --- escaping ---------------------------------------------------------------------------


def _outside_nowiki(text: str) -> str:
    """What DokuWiki parses as markup: the text with %%...%% and <nowiki>...</nowiki> removed."""
    return re.sub(r"%%.*?%%|<nowiki>.*?</nowiki>", "", text, flags=re.S)


@pytest.mark.parametrize("payload", HOSTILE + PAYLOADS)
def test_plain_text_is_wrapped_in_nowiki(payload):
    escaped = dw_text(payload)
    outside = _outside_nowiki(escaped)
    assert outside == "", (payload, escaped)
    # Read back, the nowiki pieces are the text (whitespace collapsed).
    pieces = re.findall(r"%%(.*?)%%|<nowiki>(.*?)</nowiki>", escaped, flags=re.S)
    assert "".join(a or b for a, b in pieces) == " ".join(payload.split())


@pytest.mark.parametrize("payload", HOSTILE + PAYLOADS)
def test_link_titles_and_urls_cannot_break_out(payload):
    title = dw_title(payload)
    assert not set("[]{}|") & set(title) and "\n" not in title
    url = dw_url("https://example.org/" + payload.replace(" ", "%20"))
    assert not set("[]{}|<>\" \n") & set(url)


def test_markdown_keeps_its_shape_and_defuses_the_rest():
    text = ("Intro with **bold** and <html><script>alert(1)</script></html>.\n\n"
            "- first {{http://evil.example/x.png}}\n- second\n\n1. one\n2. two\n\n"
            "```python\nprint('</code><html>x</html>')\n```\n\n## A heading\n")
    out = dw_markdown(text)
    assert "  * %%first {{http://evil.example/x.png}}%%" in out
    assert "  - %%one%%" in out
    assert "<code python>\nprint('</code ><html>x</html>')\n</code>" in out
    assert "**%%A heading%%**" in out
    outside = _outside_nowiki(re.sub(r"<code python>.*?</code>", "", out, flags=re.S))
    assert "<html" not in outside and "{{" not in outside
    assert dw_code("x", 'py"><html>') == "<code>\nx\n</code>"


def hostile_catalog(folder: Path) -> Path:
    """Modules whose every text field is hostile DokuWiki (and the shared XSS corpus)."""
    folder.mkdir()
    payloads = HOSTILE + PAYLOADS
    for index, payload in enumerate(payloads):
        module = {
            "id": f"evil-{index}",
            "title": HOSTILE_TITLE if index == 0 else f"T {payload}",
            "hours": 1,
            "level": "foundation",
            "stage": "data",
            "roles": ["evil-role"],
            "prerequisites": [f"evil-{index - 1}"] if index else [],
            "summary": f"S {payload} {HOSTILE_MEDIA}",
            "description": f"D {payload}\n\n{payload}\n\n```\n{payload}\n```\n",
            "outcomes": [f"O {payload}", HOSTILE_MEDIA],
            "exercise": f"E {payload}",
            "assessment": f"A {payload}",
            "standard_models": [f"M {payload}"],
            "resources": [{"title": f"R {payload} {HOSTILE_MEDIA}",
                           "url": "https://example.org/x|" + HOSTILE_MEDIA.replace(" ", ""), "kind": "docs"}],
            "tags": ["capstone"],
        }
        (folder / f"evil-{index}.yaml").write_text(yaml.safe_dump(module, allow_unicode=True), encoding="utf-8")
    settings = {
        "roles": [{"id": "evil-role", "title": HOSTILE_TITLE, "description": HOSTILE_MEDIA, "why": "\n\n".join(HOSTILE)}],
        "sizes": [{"id": "small", "title": "Small " + HOSTILE_MEDIA, "description": HOSTILE[2], "why": HOSTILE[4]}],
    }
    (folder / "catalog.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return folder


# --- a real DokuWiki ------------------------------------------------------------------------


def _by_id(pages: dict[str, str]) -> dict[str, str]:
    return {page_id(path): text for path, text in pages.items()}


def test_push_writes_pages_keeps_hand_made_ones_and_removes_stale_ones(dokuwiki, plans, team):  # noqa: F811
    rpc = dokuwiki.rpc()
    hand = "push-test:our-team-rules"
    rpc.wiki.putPage(hand, "====== Written by a person ======\n", {"sum": "by hand", "minor": False})
    other = "elsewhere:start"
    rpc.wiki.putPage(other, "Outside the namespace.\n", {"sum": "by hand", "minor": False})

    first = dict(dokuwiki_pages(Publication(plans, (team,), namespace="push-test")))
    result = push_dokuwiki(first, dokuwiki.url, dokuwiki.user, dokuwiki.password, "push-test")
    assert sorted(result["written"]) == sorted(_by_id(first)) and not result["deleted"]
    for pid, text in _by_id(first).items():
        assert rpc.wiki.getPage(pid) == text.rstrip("\n") + "\n" or rpc.wiki.getPage(pid).strip() == text.strip()
    manifest = rpc.wiki.getPage(f"push-test:{MANIFEST_PAGE}")
    assert "push-test:start" in manifest and hand not in manifest

    # The same pages again: nothing to write.
    again = push_dokuwiki(first, dokuwiki.url, dokuwiki.user, dokuwiki.password, "push-test")
    assert not again["written"] and sorted(again["unchanged"]) == sorted(_by_id(first))

    # Fewer pages: the stale generated ones go, the hand-made one stays.
    second = dict(dokuwiki_pages(Publication(plans[:2], (), namespace="push-test")))
    result = push_dokuwiki(second, dokuwiki.url, dokuwiki.user, dokuwiki.password, "push-test")
    stale = set(_by_id(first)) - set(_by_id(second))
    assert set(result["deleted"]) == stale
    listed = {p["id"] for p in rpc.dokuwiki.getPagelist("push-test", {"depth": 0})}
    assert listed == set(_by_id(second)) | {hand, f"push-test:{MANIFEST_PAGE}"}
    for pid in stale:
        assert rpc.wiki.getPage(pid) == ""
        assert not dokuwiki.page_file(pid).exists()
    assert rpc.wiki.getPage(hand) == "====== Written by a person ======\n"
    assert rpc.wiki.getPage(other) == "Outside the namespace.\n"
    # The wiki shows the pushed start page to anonymous readers.
    assert "ML upskilling syllabi" in dokuwiki.html("push-test:start")


def test_push_refuses_to_overwrite_a_page_it_did_not_write(dokuwiki, plans):  # noqa: F811
    rpc = dokuwiki.rpc()
    rpc.wiki.putPage("clash-test:start", "A person's start page.\n", {"sum": "by hand", "minor": False})
    pages = dict(dokuwiki_pages(Publication(plans[:1], (), namespace="clash-test")))
    with pytest.raises(CurriculumError, match="already has a page 'clash-test:start' that curriculum did not write"):
        push_dokuwiki(pages, dokuwiki.url, dokuwiki.user, dokuwiki.password, "clash-test")
    assert rpc.wiki.getPage("clash-test:start") == "A person's start page.\n"
    assert rpc.wiki.getPage(f"clash-test:{plans[0].slug}") == ""  # nothing was written


def test_wrong_password_is_a_clear_one_line_error(dokuwiki, plans):  # noqa: F811
    pages = dict(dokuwiki_pages(Publication(plans[:1], (), namespace="login-test")))
    secret = "not-the-password-" + "x" * 8
    with pytest.raises(CurriculumError) as caught:
        push_dokuwiki(pages, dokuwiki.url + "/", dokuwiki.user, secret, "login-test")
    message = str(caught.value)
    assert message == f"DokuWiki refused the login for user admin at {dokuwiki.url}"
    assert secret not in message and "\n" not in message
    assert dokuwiki.rpc().wiki.getPage("login-test:start") == ""


def test_unreachable_and_wrong_urls_are_clear_errors(dokuwiki, plans):  # noqa: F811
    pages = dict(dokuwiki_pages(Publication(plans[:1], (), namespace="nowhere")))
    port = free_port()
    with pytest.raises(CurriculumError, match=rf"^could not reach DokuWiki at http://127\.0\.0\.1:{port}: "):
        push_dokuwiki(pages, f"http://127.0.0.1:{port}", "admin", "secret-pw", "nowhere")
    with pytest.raises(CurriculumError, match="HTTP 404") as caught:
        push_dokuwiki(pages, dokuwiki.url + "/no/wiki/here", "admin", "secret-pw", "nowhere")
    assert "secret-pw" not in str(caught.value)
    with pytest.raises(CurriculumError, match="not in the URL"):
        push_dokuwiki(pages, "http://admin:secret-pw@127.0.0.1:1", "admin", "secret-pw", "nowhere")


def test_user_without_api_rights_is_a_clear_error(dokuwiki, plans):  # noqa: F811
    pages = dict(dokuwiki_pages(Publication(plans[:1], (), namespace="reader-test")))
    with pytest.raises(CurriculumError) as caught:
        push_dokuwiki(pages, dokuwiki.url, READER_USER, READER_PASSWORD, "reader-test")
    message = str(caught.value)
    assert message.startswith(f"DokuWiki at {dokuwiki.url} did not let user reader use its API")
    assert READER_PASSWORD not in message and "\n" not in message


def test_hostile_module_text_stays_text_in_the_real_wiki(dokuwiki, tmp_path):  # noqa: F811
    loaded = load([hostile_catalog(tmp_path / "evil")])
    plans = all_plans(loaded)
    assert plans and any(step.module.title == HOSTILE_TITLE for plan in plans for step in plan.steps)
    pages = dict(dokuwiki_pages(Publication(plans, (), namespace="evil-test")))
    push_dokuwiki(pages, dokuwiki.url, dokuwiki.user, dokuwiki.password, "evil-test")
    rpc = dokuwiki.rpc()
    rpc.wiki.putPage("evil-test:clean", "Just text.\n", {"sum": "baseline", "minor": False})
    # DokuWiki's own template carries a few scripts; a hostile page must have no more.
    baseline = dokuwiki.html("evil-test:clean").lower().count("<script")
    for pid, text in _by_id(pages).items():
        assert rpc.wiki.getPage(pid).strip() == text.strip()
        html = dokuwiki.html(pid)
        content = _rendered_content(html).lower()
        assert "<script" not in content and "<html" not in content and "<php" not in content, pid
        assert html.lower().count("<script") == baseline, pid
        assert not re.search(r"[>\s]owned", content), pid  # no PHP ran (its text shows as &#039;owned)
        assert not re.search(r"<img[^>]*evil\.example", html), pid
        # No link, frame or object to the evil host (a resource URL may still contain it, percent-encoded, in its path).
        assert not re.search(r"<(a|iframe|object|embed)[^>]*(href|src|data)=\"(https?:)?//evil\.example", html), pid
    syllabus = dokuwiki.html(f"evil-test:{plans[0].slug}")
    # The hostile title is shown, as text.
    assert "&lt;/code&gt;&lt;html&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;/html&gt;" in syllabus
    assert "{{http://evil.example/x.png}}" in syllabus


def _rendered_content(html: str) -> str:
    """The wiki page's own content area, without DokuWiki's template around it."""
    match = re.search(r"<!-- wikipage start -->(.*?)<!-- wikipage stop -->", html, re.S)
    assert match, "no page content found"
    return match.group(1)


def test_cli_publishes_to_a_real_dokuwiki(dokuwiki, tmp_path, monkeypatch, capsys):  # noqa: F811
    from curriculum.cli import main

    monkeypatch.setenv("CURRICULUM_DOKUWIKI_PASSWORD", dokuwiki.password)
    assert main(["publish", "--target", "dokuwiki", "--namespace", "cli-test", "-o", str(tmp_path / "dw"),
                 "--push", dokuwiki.url, "--user", "admin"]) == 0
    assert "page(s) written" in capsys.readouterr().out
    assert (tmp_path / "dw" / "cli-test" / "start.txt").is_file()
    assert "ML engineer" in dokuwiki.rpc().wiki.getPage("cli-test:ml-engineer-small")
    monkeypatch.delenv("CURRICULUM_DOKUWIKI_PASSWORD")
    assert main(["publish", "--target", "dokuwiki", "-o", str(tmp_path / "dw2"), "--push", dokuwiki.url,
                 "--user", "admin"]) == 1
    assert "CURRICULUM_DOKUWIKI_PASSWORD" in capsys.readouterr().err


# --- the wiki is untrusted: a doctored manifest page ------------------------------------------


def test_only_ids_dokuwiki_keeps_as_written_are_page_ids():
    for good in ("ns:start", "ns:teams:x-2:ana-ruiz", "a.b:c_d", "ml-upskilling:software-engineer-small"):
        assert canonical_id(good), good
    for bad in ("ns:..:x", "ns:.x", "ns:x.", "NS:x", "ns/x", "ns::x", ":ns:x", "ns:x:", "ns:_x", "ns:a__b", "ns:-x",
                "ns:x -y", "ns:é", "", None, 7):
        assert not canonical_id(bad), bad


def _put(rpc, pid, text, summary="by hand"):
    rpc.wiki.putPage(pid, text, {"sum": summary, "minor": False})


def test_a_doctored_manifest_cannot_change_other_peoples_pages(dokuwiki, plans, caplog):  # noqa: F811
    ns = "tamper-test"
    first = dict(dokuwiki_pages(Publication(plans[:2], (), namespace=ns)))
    push_dokuwiki(first, dokuwiki.url, dokuwiki.user, dokuwiki.password, ns)
    # Someone who may edit the wiki, but not those pages of other people, doctors the manifest.
    editor = dokuwiki.rpc(EDITOR_USER, EDITOR_PASSWORD)
    theirs = {f"{ns}:x": "x", f"{ns}:y": "y", f"{ns}:z": "z", f"{ns}:w": "w", f"{ns}:people": "people",
              f"{ns}:sub:deep": "deep", f"{ns}:a_b": "a_b", "elsewhere:victim": "victim"}
    for pid, text in theirs.items():
        _put(editor, pid, f"Written by a person: {text}\n")
    manifest_id = f"{ns}:{MANIFEST_PAGE}"
    listed = re.search(r"<code>\n(.*?)\n</code>", editor.wiki.getPage(manifest_id), re.S).group(1).splitlines()
    planted = [f"{ns}:..:x", f"{ns}:.y", f"{ns.upper()}:Z", f"{ns}/w", manifest_id, "elsewhere:victim", f"{ns}:a__b",
               f"{ns}:people", f"{ns}:sub:deep", f"{ns}:x", "%%:start", "<code>"]
    _put(editor, manifest_id, "<code>\n" + "\n".join(listed + planted) + "\n</code>\n")

    second = dict(dokuwiki_pages(Publication(plans[:1], (), namespace=ns)))
    with caplog.at_level("WARNING", logger="curriculum"):
        result = push_dokuwiki(second, dokuwiki.url, dokuwiki.user, dokuwiki.password, ns)
    # The one generated page no longer generated goes; no page of the editor's does.
    assert result["deleted"] == [f"{ns}:{plans[1].slug}"]
    for pid, text in theirs.items():
        assert dokuwiki.rpc().wiki.getPage(pid) == f"Written by a person: {text}\n", pid
    warnings = caplog.text
    for entry in (f"{ns}:..:x", f"{ns}:.y", f"{ns.upper()}:Z", f"{ns}/w", manifest_id):
        assert f'lists "{entry}" (' in warnings and "): not a page curriculum wrote; ignored" in warnings, entry
    assert f"... and 4 more entries of the DokuWiki page {manifest_id} ignored" in warnings  # elsewhere:victim, a__b, %%:start, <code>
    assert f"{ns}:people is no longer generated but was last changed by editor, not by admin" in warnings
    manifest = dokuwiki.rpc().wiki.getPage(manifest_id)
    assert set(re.search(r"<code>\n(.*?)\n</code>", manifest, re.S).group(1).splitlines()) == set(_by_id(second))


def test_a_generated_page_someone_else_edited_is_not_replaced(dokuwiki, plans):  # noqa: F811
    ns = "edited-test"
    push_dokuwiki(dict(dokuwiki_pages(Publication(plans[:1], (), namespace=ns))), dokuwiki.url, dokuwiki.user,
                  dokuwiki.password, ns)
    editor = dokuwiki.rpc(EDITOR_USER, EDITOR_PASSWORD)
    _put(editor, f"{ns}:start", "The editor's own start page now.\n")
    with pytest.raises(CurriculumError) as caught:
        push_dokuwiki(dict(dokuwiki_pages(Publication(plans[:2], (), namespace=ns))), dokuwiki.url, dokuwiki.user,
                      dokuwiki.password, ns)
    assert str(caught.value) == (f"the wiki already has a page '{ns}:start' that was last changed by editor, not by "
                                 "admin; move it or publish to another namespace")
    assert dokuwiki.rpc().wiki.getPage(f"{ns}:start") == "The editor's own start page now.\n"
    assert dokuwiki.rpc().wiki.getPage(f"{ns}:{plans[1].slug}") == ""  # nothing was written


def test_an_oversized_manifest_page_is_refused(dokuwiki, plans, monkeypatch):  # noqa: F811
    from curriculum.publish import dokuwiki as target

    monkeypatch.setattr(target, "MAX_MANIFEST_BYTES", 2000)
    ns = "big-manifest-test"
    editor = dokuwiki.rpc(EDITOR_USER, EDITOR_PASSWORD)
    _put(editor, f"{ns}:{MANIFEST_PAGE}", "<code>\n" + "\n".join(f"{ns}:page-{n}" for n in range(200)) + "\n</code>\n")
    with pytest.raises(CurriculumError, match=f"the DokuWiki page {ns}:{MANIFEST_PAGE} is larger than any list"):
        push_dokuwiki(dict(dokuwiki_pages(Publication(plans[:1], (), namespace=ns))), dokuwiki.url, dokuwiki.user,
                      dokuwiki.password, ns)


# --- URLs and what a wiki answers ---------------------------------------------------------------


@pytest.mark.parametrize("url, message", [
    ("http://[::1", "is not a valid URL: a bracketed IPv6 host is not closed"),
    ("http://wiki.example.org:99999", "is not a valid URL: its port"),
    ("http://wiki example.org", "contains spaces"),
    ("http://", "has no host"),
    ("ftp://wiki.example.org", "is not a DokuWiki URL (http:// or https://)"),
    ("wiki.example.org", "is not a DokuWiki URL (http:// or https://)"),
    ("", "the DokuWiki URL is empty"),
])
def test_malformed_dokuwiki_urls_are_one_clear_line(tmp_path, monkeypatch, capsys, url, message):
    from curriculum.cli import main

    monkeypatch.setenv("CURRICULUM_DOKUWIKI_PASSWORD", "pw")
    assert main(["publish", "--target", "dokuwiki", "-o", str(tmp_path / "o"), f"--push={url}", "--user", "u"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("curriculum: error: ") and message in err and len(err.splitlines()) == 1, err
    assert "Traceback" not in err and not (tmp_path / "o").exists()


def test_dokuwiki_errors_never_show_a_secret(plans):
    pages = dict(dokuwiki_pages(Publication(plans[:1], (), namespace="secret-test")))
    port = free_port()
    with pytest.raises(CurriculumError) as caught:
        push_dokuwiki(pages, f"http://127.0.0.1:{port}/wiki/?access_token=s3cret-token#s3cret-token", "admin",
                      "pw", "secret-test")
    assert str(caught.value).startswith(f"could not reach DokuWiki at http://127.0.0.1:{port}/wiki: ")
    assert "s3cret" not in str(caught.value)


def test_what_a_hostile_server_answers_is_cleaned(plans):
    """A server that answers every call with a fault full of terminal escapes,
    control characters and the password it was sent."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from xmlrpc.client import Fault, dumps

    password = "the-password-sent"

    class Hostile(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = dumps(Fault(1, f"bad\u009b31m red\u009b0m \u202eevil\u2028line {password}\n\rnext"),
                         methodresponse=True).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        with pytest.raises(CurriculumError) as caught:
            push_dokuwiki(dict(dokuwiki_pages(Publication(plans[:1], (), namespace="x"))), url, "admin", password, "x")
    finally:
        server.shutdown()
        server.server_close()
    assert str(caught.value) == f"DokuWiki at {url} refused dokuwiki.login: bad red evil line *** next"


# --- a department's overview ------------------------------------------------------------------


def test_a_1000_person_overview_renders_with_its_tables_and_links(dokuwiki, department):  # noqa: F811
    """The overview of the benchmark's department, as the wiki shows it: its
    tables (roles, paths, finishing months, weeks, people, sessions by
    module, ...) render as tables, and the people table links every member's
    page, which exists."""
    planned, _ = department
    pages = _by_id(dict(dokuwiki_pages(Publication((), (planned,), namespace="scale-test"))))
    overview = "scale-test:teams:department-1000:start"
    for pid, text in pages.items():  # the member pages as files, so links find them; the overview through the API
        if pid != overview:
            dokuwiki.page_file(pid).parent.mkdir(parents=True, exist_ok=True)
            dokuwiki.page_file(pid).write_text(text, encoding="utf-8")
    dokuwiki.rpc().wiki.putPage(overview, pages[overview], {"sum": "department", "minor": False})
    content = _rendered_content(dokuwiki.html(overview))
    text_tables = len(re.findall(r"^[|^].*\n(?![|^])", pages[overview], re.M))
    assert content.count("<table") == text_tables >= 8
    members = {pid for pid in pages if pid.startswith("scale-test:teams:") and pid != overview}
    assert len(members) == len(planned.plans)
    linked = set(re.findall(r'<a href="/doku\.php\?id=(scale-test:teams:department-1000:[a-z0-9-]+)" '
                            r'class="wikilink1"', content))
    assert linked == members and "wikilink2" not in content  # every member one click away, no missing page
    people = content.split('id="people"', 1)[1].split("</table>", 1)[0]
    assert people.count("<tr") == 1 + len(planned.plans)
    for heading in ("Roles and paths", "When people finish", "Sessions and facilitators by week", "People"):
        assert f">{heading}</h" in content, heading


def test_a_small_teams_tables_render_whole(dokuwiki, team):  # noqa: F811
    """Each table of the sample team's overview is one table in the wiki,
    header and rows together (a blank line would split it in two)."""
    pages = _by_id(dict(dokuwiki_pages(Publication((), (team,), namespace="small-team"))))
    overview = next(pid for pid in pages if pid.startswith("small-team:teams:") and pid.endswith(":start"))
    dokuwiki.rpc().wiki.putPage(overview, pages[overview], {"sum": "team", "minor": False})
    content = _rendered_content(dokuwiki.html(overview))
    text_tables = len(re.findall(r"^[|^].*\n(?![|^])", pages[overview], re.M))
    assert content.count("<table") == text_tables >= 3
    people = content.split('id="people"', 1)[1].split("</table>", 1)[0]
    assert people.count("<tr") == 1 + len(team.plans) + 1  # the header, one row each, the team's totals
