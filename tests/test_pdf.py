import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from curriculum import pdf
from curriculum.cli import main
from curriculum.errors import CurriculumError


def require_browser():
    try:
        return pdf.find_browser()
    except CurriculumError:
        if os.environ.get("CURRICULUM_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here")
        pytest.skip("needs Chromium or Chrome")


def test_syllabus_prints_to_a_reproducible_pdf(tmp_path, capsys):
    require_browser()
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert main(["-q", "path", "--role", "ml-engineer", "--size", "small", "--format", "pdf", "-o", str(out)]) == 0
        outputs.append((out / "ml-engineer-small.pdf").read_bytes())
    document = outputs[0]
    assert document.startswith(b"%PDF-") and document.rstrip().endswith(b"%%EOF")
    assert document.count(b"/Type /Page\n") + document.count(b"/Type /Page>>") + document.count(b"/Type /Page ") >= 2
    assert outputs[0] == outputs[1]  # same input, same bytes


def test_pdf_to_stdout(capsysbinary):
    require_browser()
    assert main(["path", "--role", "ml-engineer", "--size", "small", "--format", "pdf", "-o", "-"]) == 0
    assert capsysbinary.readouterr().out.startswith(b"%PDF-")


def test_no_browser_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CURRICULUM_CHROMIUM", str(tmp_path / "no-browser"))
    monkeypatch.setattr(pdf, "_CANDIDATES", ())
    assert main(["path", "--role", "ml-engineer", "--size", "small", "--format", "pdf", "-o", str(tmp_path / "o")]) == 1
    assert "PDF output needs Chromium or Chrome" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# --- printing reaches no network --------------------------------------------------


@pytest.fixture
def loopback():
    """A web server on the loopback interface that records every request it gets."""
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        do_POST = do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], requests
    server.shutdown()
    server.server_close()


def fetching_page(port: int) -> str:
    """HTML that asks for something from the server in every way a page can,
    as if the sanitiser had let it all through."""
    u, host = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<link rel="stylesheet" href="{u}/stylesheet"><link rel="prefetch" href="{u}/prefetch"><link rel="preload" as="image" href="{u}/preload">
<link rel="icon" href="{u}/icon"><link rel="dns-prefetch" href="{u}"><link rel="preconnect" href="{u}">
<style>@import url({u}/import); body {{ background: url({u}/background) }}
@font-face {{ font-family: f; src: url({u}/font) }} p {{ font-family: f }}</style></head>
<body><p>text</p><img src="{u}/image" alt="b"><img src="{host}/localhost-image" alt="b"><img srcset="{u}/srcset 1x" alt="b">
<iframe src="{u}/iframe"></iframe><object data="{u}/object"></object><embed src="{u}/embed">
<video poster="{u}/poster" src="{u}/video"></video><audio src="{u}/audio" autoplay></audio>
<svg width="10" height="10"><image href="{u}/svg-image" width="10" height="10"/></svg>
<script src="{u}/script"></script><script>fetch("{u}/fetch"); new Image().src = "{u}/script-image";</script>
<a href="{u}/link">a link</a></body></html>"""


def test_printing_reaches_no_network(loopback):
    require_browser()
    port, requests = loopback
    document = pdf.html_to_pdf(fetching_page(port))
    assert document.startswith(b"%PDF-")
    assert requests == []


@pytest.mark.parametrize("layer", ["browser flags", "content security policy"])
def test_each_layer_alone_blocks_the_network(loopback, monkeypatch, layer):
    require_browser()
    port, requests = loopback
    if layer == "browser flags":
        monkeypatch.setattr(pdf, "offline", lambda html: html)
    else:
        monkeypatch.setattr(pdf, "_FLAGS", tuple(f for f in pdf._FLAGS if not re.match(r"--(proxy|host-resolver|dns)", f)))
    pdf.html_to_pdf(fetching_page(port))
    assert requests == []


def test_navigation_reaches_no_network(loopback):
    """A policy cannot stop a page navigating away: the browser flags do. The
    print may then find nothing to print, which is a clear error."""
    require_browser()
    port, requests = loopback
    page = f'<!DOCTYPE html><html><head><meta http-equiv="refresh" content="0;url=http://127.0.0.1:{port}/r"></head>'
    try:
        pdf.html_to_pdf(page + "<body><p>text</p></body></html>")
    except CurriculumError as exc:
        assert "produced nothing" in exc.message
    assert requests == []


def test_without_either_layer_the_page_does_fetch(loopback, monkeypatch):
    """The control: the server and the page above do make requests."""
    require_browser()
    port, requests = loopback
    monkeypatch.setattr(pdf, "offline", lambda html: html)
    monkeypatch.setattr(pdf, "_FLAGS", tuple(f for f in pdf._FLAGS if not re.match(r"--(proxy|host-resolver|dns)", f)))
    pdf.html_to_pdf(fetching_page(port))
    assert {"/image", "/localhost-image", "/stylesheet", "/iframe", "/background"} <= set(requests)


def test_a_syllabus_whose_modules_point_at_the_build_machine_prints_offline(loopback, catalog_dir, tmp_path):
    require_browser()
    port, requests = loopback
    catalog = catalog_dir({"a": {"roles": ["all"], "description": (
        f"![b](http://127.0.0.1:{port}/x) ![c](http://localhost:{port}/y)\n\n"
        f"<img src='http://127.0.0.1:{port}/raw'> [link](http://127.0.0.1:{port}/link)"
    ), "resources": [{"title": "R", "url": f"http://127.0.0.1:{port}/resource", "kind": "docs"}]}})
    assert main(["-q", "path", "--role", "ml-engineer", "--size", "small", "--modules", str(catalog), "--format",
                 "pdf", "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "ml-engineer-small.pdf").read_bytes().startswith(b"%PDF-")
    assert requests == []


@pytest.mark.parametrize("html, expected", [
    ('<!DOCTYPE html><html><head lang="x"><title>t</title>', '<!DOCTYPE html><html><head lang="x">POLICY<title>t</title>'),
    ("<HTML><HEAD><title>t</title>", "<HTML><HEAD>POLICY<title>t</title>"),
    ("<header>no head</header>", "POLICY<header>no head</header>"),
])
def test_the_policy_comes_first_in_the_head(html, expected):
    assert pdf.offline(html) == expected.replace("POLICY", pdf._NO_NETWORK)
