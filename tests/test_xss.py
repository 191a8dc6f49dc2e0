"""Module and catalog text is untrusted: an XSS corpus in every text field
must produce pages in which no script can run.

The corpus (corpus/xss-payloads.txt) is one payload a line; `⏎` stands for a
line break inside a payload. Every HTML page is checked, and so is every
Markdown page (syllabi from `build`, team pages from `team`, the pages of
`publish --target git-wiki` and `--target mkdocs`) rendered by two real
renderers: Python-Markdown with the extensions our mkdocs.yml names (and a
real `mkdocs build` of the MkDocs target), and markdown-it-py in CommonMark
mode with raw HTML on, as many wikis render Markdown.

Checked twice: statically with Python's HTML parser (always), and for real in
headless Chromium (when Chromium and Playwright are installed; CI sets
CURRICULUM_REQUIRE_BROWSER=1 so a missing browser fails instead of skipping).
"""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import markdown
import pytest
import yaml
from markdown_it import MarkdownIt

from curriculum.cli import main
from curriculum.render import make_environment

PAYLOADS = [line.replace("\u23ce", "\n") for line in
            (Path(__file__).parent / "corpus" / "xss-payloads.txt").read_text(encoding="utf-8").splitlines()]
CHROMIUM = os.environ.get("CURRICULUM_CHROMIUM", "/usr/lib/chromium/chromium")
# Our own pages draw inline SVG pictures; injected SVG would show up as a
# script or an event handler, which are looked for everywhere.
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "base", "link", "form", "frame", "frameset"}
URL_ATTRIBUTES = {"href", "src", "action", "data", "formaction", "xlink:href", "srcdoc", "background", "poster"}
COMMONMARK = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# A large prerequisite map's pan, zoom and focus view, and a large team's
# sortable people table: the inline scripts a page may hold, always these
# texts (they read the page's escaped markup and write text only).
INLINE_SCRIPTS = [make_environment().get_template(name).render().strip()
                  for name in ("path_map.js.j2", "team_table.js")]


def hostile_catalog(folder: Path) -> Path:
    """One module per payload, the payload in every text field; and a role
    and size whose texts are payloads too."""
    folder.mkdir()
    for index, payload in enumerate(PAYLOADS):
        module = {
            "id": f"xss-{index}",
            "title": f"T {payload}",
            "hours": 1,
            "level": "foundation",
            "stage": "data",
            "roles": ["xss-role"],
            "prerequisites": [f"xss-{index - 1}"] if index else [],
            "summary": f"S {payload}",
            "description": f"D {payload}\n\n{payload}\n",
            "outcomes": [f"O {payload}", payload],
            "exercise": f"E {payload}",
            "assessment": f"A {payload}",
            "standard_models": [f"M {payload}"],
            # Percent-encoded: a URL with quotes or angle brackets is refused on load.
            "resources": [{"title": f"R {payload}", "url": f"https://example.org/{quote(payload)}", "kind": "docs"}],
            "tags": [f"G {payload}", "capstone"],
        }
        (folder / f"xss-{index}.yaml").write_text(yaml.safe_dump(module, allow_unicode=True), encoding="utf-8")
    joined = "\n\n".join(PAYLOADS)
    settings = {
        "roles": [{"id": "xss-role", "title": PAYLOADS[0], "description": PAYLOADS[2], "why": joined}],
        "sizes": [{"id": "small", "title": PAYLOADS[13], "description": PAYLOADS[6], "why": joined}],
        "paths": [{"role": "xss-role", "size": "small", "why": joined}],
    }
    (folder / "catalog.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return folder


def python_markdown(text: str, config: Path) -> str:
    """Python-Markdown with the extensions (and their options) of mkdocs.yml."""
    extensions, options = [], {}
    for entry in yaml.safe_load(config.read_text(encoding="utf-8"))["markdown_extensions"]:
        name, settings = next(iter(entry.items())) if isinstance(entry, dict) else (entry, {})
        extensions.append(name)
        options[name] = settings or {}
    return markdown.markdown(text, extensions=extensions, extension_configs=options)


def _page(body: str) -> str:
    return f"<!DOCTYPE html><html><body>{body}</body></html>"


def render_markdown_pages(folder: Path, group: str, wiki: Path, config: Path, seen: set) -> list[Path]:
    """Every .md page under folder, rendered by both renderers into wiki/;
    a page whose text was seen already (every member's syllabus is the
    role's syllabus again) only once."""
    rendered = []
    for page in sorted(folder.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        if text in seen:
            continue
        seen.add(text)
        stem = f"{group}--{page.relative_to(folder).with_suffix('').as_posix().replace('/', '--')}"
        for renderer, html in (("pm", python_markdown(text, config)), ("cm", COMMONMARK.render(text))):
            target = wiki / f"{stem}.{renderer}.html"
            target.write_text(_page(html), encoding="utf-8")
            rendered.append(target)
    return rendered


def mkdocs_build(folder: Path, wiki: Path) -> list[Path]:
    """A real `mkdocs build` of the MkDocs target, with a theme that shows
    only the page content (MkDocs' own themes bring scripts of their own)."""
    theme = folder / "bare-theme"
    theme.mkdir()
    (theme / "main.html").write_text("<!DOCTYPE html><html><body>{{ page.content }}</body></html>\n")
    config = yaml.safe_load((folder / "mkdocs.yml").read_text(encoding="utf-8"))
    config.update(theme={"name": None, "custom_dir": "bare-theme"}, plugins=[])
    (folder / "mkdocs-bare.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", "mkdocs-bare.yml"], cwd=folder,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    built = []
    for page in sorted((folder / "site").rglob("*.html")):
        target = wiki / f"mkdocs-build--{page.relative_to(folder / 'site').as_posix().replace('/', '--')}"
        target.write_text(page.read_text(encoding="utf-8"), encoding="utf-8")
        built.append(target)
    return built


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """`all`: the built HTML pages, plus each Markdown page rendered to HTML
    the way a Markdown wiki would; `browser`: one page of each kind (every
    member's syllabus is the role's syllabus again) for Chromium."""
    root = tmp_path_factory.mktemp("xss")
    catalog = hostile_catalog(root / "catalog")
    out = root / "out"
    assert main(["-q", "build", "--modules", str(catalog), "-o", str(out)]) == 0
    # A team whose name and member names are payloads too.
    team_file = root / "team.yaml"
    members = [{"name": f"{index} {payload}", "role": "xss-role", "email": "a@example.org"}
               for index, payload in enumerate(PAYLOADS)]
    team_file.write_text(yaml.safe_dump({"team": PAYLOADS[0], "company_size": "small", "start": "2027-01-11",
                                         "members": members}, allow_unicode=True), encoding="utf-8")
    team_out = root / "team"
    assert main(["-q", "team", str(team_file), "--modules", str(catalog), "-o", str(team_out)]) == 0
    # The wikis: every Markdown page in both renderers, and a real MkDocs build.
    published = {}
    for target in ("mkdocs", "git-wiki"):
        published[target] = root / target
        assert main(["-q", "publish", "--target", target, "--modules", str(catalog), "--team", str(team_file),
                     "-o", str(published[target])]) == 0
    config = published["mkdocs"] / "mkdocs.yml"
    wiki = root / "wiki"
    wiki.mkdir()
    seen: set[str] = set()
    rendered = [page for folder, group in ((out, "build"), (team_out, "team"), (published["git-wiki"], "git-wiki"),
                                           (published["mkdocs"] / "docs", "mkdocs"))
                for page in render_markdown_pages(folder, group, wiki, config, seen)]
    rendered += mkdocs_build(published["mkdocs"], wiki)
    # The static site: its own search scripts, fed with hostile module text.
    site = root / "site"
    assert main(["-q", "publish", "--target", "site", "--modules", str(catalog), "--team", str(team_file),
                 "-o", str(site)]) == 0
    found = (sorted(out.glob("*.html")) + sorted(team_out.glob("*.html")) + rendered
             + [site / "index.html", site / "modules" / "index.html", site / "modules" / "xss-3.html",
                site / "assess" / "xss-role-small.html"])
    assert any(p.name == "xss-role-small.html" for p in found)
    assert {"build--xss-role-small.pm.html", "build--xss-role-small.cm.html", "team--index.cm.html",
            "git-wiki--Home.pm.html", "mkdocs-build--xss-role-small.html"} <= {p.name for p in rendered}
    member = re.compile(r"(^|--)(team-[^.]*-)?\d+-")  # a member's page: NUMBER-payload-slug
    browser = [p for p in found if not member.search(p.name)]
    return SimpleNamespace(all=found, browser=browser)


def test_corpus_is_large_enough():
    assert len(PAYLOADS) >= 100
    assert any("\n" in payload for payload in PAYLOADS)


# The static site's own search and self-assessment: script files only, never inline code.
OUR_SCRIPTS = {"search.js", "search-index.js", "../search.js", "../search-index.js", "../assess.js",
               "xss-role-small.js"}


class _Audit(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.styles = 0
        self.in_our_script = False
        self.inline_script: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script" and dict(attrs).get("src") in OUR_SCRIPTS and len(attrs) == 1:
            self.in_our_script = True
            return
        if tag == "script" and not attrs:
            self.inline_script = []  # allowed if it is one of INLINE_SCRIPTS
            return
        if tag == "form" and dict(attrs) == {"class": "search", "role": "search", "data-root": dict(attrs).get("data-root")}:
            return  # the site's search box: no action, nothing submitted anywhere
        if tag in DANGEROUS_TAGS or (tag == "meta" and "http-equiv" in dict(attrs)):
            self.problems.append(f"<{tag}>")
        if tag == "style":
            self.styles += 1
        for name, value in attrs:
            # Both Markdown renderers align table columns with a style of their own.
            if name.startswith("on") or (name == "style" and not re.fullmatch(r"text-align: ?(left|right|center);?", value or "")):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and value is not None:
                scheme = re.sub(r"[\s\x00-\x1f]", "", value).lower()
                if scheme.startswith(("javascript:", "data:", "vbscript:")) or name == "srcdoc":
                    self.problems.append(f"<{tag} {name}={value!r}>")


    def handle_data(self, data):
        if self.in_our_script and data.strip():
            self.problems.append("inline code in a script element")
        if self.inline_script is not None:
            self.inline_script.append(data)

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_our_script = False
            if self.inline_script is not None and "".join(self.inline_script).strip() not in INLINE_SCRIPTS:
                self.problems.append("<script>")
            self.inline_script = None


def dangers(html: str) -> list[str]:
    """Script elements, event handlers, script URLs and styles in HTML."""
    audit = _Audit()
    audit.feed(html)
    audit.close()
    return audit.problems + ["<style>"] * audit.styles


def test_no_dangerous_markup_in_any_page(pages):
    found = {}
    for page in pages.all:
        audit = _Audit()
        audit.feed(page.read_text(encoding="utf-8"))
        # Our own stylesheet in the page head, nothing else.
        styles = audit.styles - (0 if page.parent.name == "wiki" else 1)
        if audit.problems or styles:
            found[page.name] = sorted(set(audit.problems)) + ["<style>"] * styles
    assert found == {}


def _browser():
    missing = not Path(CHROMIUM).exists()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = True
    if missing:
        if os.environ.get("CURRICULUM_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium ({CHROMIUM}) and Playwright are required here")
        pytest.skip("needs Chromium and Playwright")
    return sync_playwright


HOOK = """
window.__xss = [];
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  window[name] = (...args) => window.__xss.push(name + ':' + args.join(','));
}
"""

AUDIT = """(inlineScripts) => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    const ours = (tag === 'script' && /^(\\.\\.\\/)?(search(-index)?|assess|xss-role-small)\\.js$/.test(el.getAttribute('src') || '') && !el.textContent.trim())
      || (tag === 'script' && !el.attributes.length && inlineScripts.includes(el.textContent.trim()))
      || (tag === 'form' && el.getAttribute('role') === 'search' && !el.hasAttribute('action'));
    if (!ours && ['script', 'iframe', 'object', 'embed', 'base', 'link', 'form'].includes(tag)) found.push(tag);
    if (tag === 'meta' && el.hasAttribute('http-equiv')) found.push('meta http-equiv');
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) found.push(tag + ' ' + attr.name);
      if (/^\\s*(javascript|data|vbscript):/i.test(attr.value) && ['href', 'src', 'action', 'data'].includes(attr.name))
        found.push(tag + ' ' + attr.name + '=' + attr.value);
    }
  }
  return found;
}"""


def test_no_script_runs_in_chromium(pages):
    sync_playwright = _browser()
    # Every syllabus holds every payload module, so one of each kind of page
    # covers all the text; the static audit above reads every page.
    pages = pages.browser
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            context = browser.new_context()
            context.add_init_script(HOOK)
            for page_file in pages:
                page = context.new_page()
                dialogs = []
                page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
                page.goto(page_file.as_uri(), wait_until="load")
                page.wait_for_timeout(150)  # let error and load handlers fire, if any
                # Hover and focus everything, as a reader's mouse and keyboard would.
                page.evaluate("() => document.querySelectorAll('*').forEach(e => { "
                              "e.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); e.focus && e.focus(); })")
                assert dialogs == [], page_file.name
                assert page.evaluate("() => window.__xss") == [], page_file.name
                if page.locator("#search").count():  # the site's search shows hostile titles as text
                    page.fill("#search", "xss")
                    assert page.locator("#search-results li").count() > 0
                    page.wait_for_timeout(100)
                    assert dialogs == [] and page.evaluate("() => window.__xss") == [], page_file.name
                if page.locator("#assess").count():  # the self-assessment: hostile titles as text, to the end
                    answered = 0
                    while page.locator("#assess-result").is_hidden() and answered < len(PAYLOADS):
                        shown = page.locator(".assess-module:not([hidden])").get_attribute("data-module")
                        title = page.locator("#assess-question-title").text_content()
                        assert title == f"T {PAYLOADS[int(shown.removeprefix('xss-'))]}"  # as text, not markup
                        page.keyboard.press("ny"[answered % 2])
                        answered += 1
                    assert answered > 0 and page.locator("#assess-result").is_visible()
                    assert page.locator("#assess-snippet").text_content().startswith("knows: ")
                    page.wait_for_timeout(100)
                    assert dialogs == [] and page.evaluate("() => window.__xss") == [], page_file.name
                if page.locator("#people-filter").count():  # a large team's table: hostile names as text
                    page.fill("#people-filter", "<")
                    page.click("#people thead th button")
                    page.wait_for_timeout(100)
                    assert dialogs == [] and page.evaluate("() => window.__xss") == [], page_file.name
                assert page.evaluate(AUDIT, INLINE_SCRIPTS) == [], page_file.name
                page.close()
        finally:
            browser.close()
