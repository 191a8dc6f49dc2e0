"""A real DokuWiki for the tests: Debian's `dokuwiki` package (2022-07-31
"Igor"), copied into a temporary folder with its own conf/ and data/, and
served by PHP's built-in web server on 127.0.0.1.

The copy has ACL on, the XML-RPC API on for the groups admin and editor, one
admin user (`ADMIN_USER` / `ADMIN_PASSWORD`), one editor who may write and
delete pages (`EDITOR_USER`: a person whose pages a publisher must leave
alone), read-only access for everyone else, and
raw HTML and PHP in pages turned ON (`htmlok`, `phpok`): the hostile-text
tests then show that curriculum's escaping, not the wiki's defaults, keeps
injected `<html>`/`<php>` blocks from running.

Without php or the package, tests using the `dokuwiki` fixture skip, or fail
when CURRICULUM_REQUIRE_DOKUWIKI=1 (CI installs them: .ci/dokuwiki-setup.sh).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path

import pytest

DOKUWIKI_DIR = Path("/usr/share/dokuwiki")  # the code (Debian)
DOKUWIKI_CONF = Path("/etc/dokuwiki")  # its configuration (Debian)
ADMIN_USER = "admin"
ADMIN_PASSWORD = "correct horse battery staple"
READER_USER = "reader"  # a user who may log in but not use the API
READER_PASSWORD = "reader password"
EDITOR_USER = "editor"  # another person with the API and the right to edit and delete pages
EDITOR_PASSWORD = "editor password"
DATA_DIRS = ("pages", "attic", "media", "media_attic", "media_meta", "meta", "cache", "index", "locks", "tmp", "log")
# Debian's conf files the copy does not take: they point at the system's data or web servers.
SKIP_CONF = {"local.php", "local.protected.php", "acl.auth.php", "users.auth.php", "apache.conf",
             "lighttpd.conf", "preload.php", "farm"}


def missing() -> str | None:
    """Why a DokuWiki cannot be run here, or None."""
    if shutil.which("php") is None:
        return "php is not installed (apt-get install php-cli php-xml; see .ci/dokuwiki-setup.sh)"
    if not (DOKUWIKI_DIR / "doku.php").is_file() or not (DOKUWIKI_CONF / "dokuwiki.php").is_file():
        return "the dokuwiki package is not installed (apt-get install dokuwiki; see .ci/dokuwiki-setup.sh)"
    check = subprocess.run(["php", "-r", "echo extension_loaded('xml') ? 'ok' : 'no';"],
                           capture_output=True, text=True)
    if check.stdout.strip() != "ok":
        return "PHP's xml extension is missing (apt-get install php-xml)"
    return None


def require_dokuwiki() -> None:
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CURRICULUM_REQUIRE_DOKUWIKI") == "1":
        pytest.fail(f"CURRICULUM_REQUIRE_DOKUWIKI=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass
class DokuWiki:
    url: str  # base URL, e.g. http://127.0.0.1:PORT
    root: Path  # the copy: doku.php, conf/, data/
    user: str = ADMIN_USER
    password: str = ADMIN_PASSWORD

    def rpc(self, user: str | None = None, password: str | None = None) -> xmlrpc.client.ServerProxy:
        """An XML-RPC proxy logged in with HTTP basic auth (admin by default)."""
        user, password = user or self.user, password or self.password
        host = self.url.split("://", 1)[1]
        quoted = urllib.request.quote(user, safe="") + ":" + urllib.request.quote(password, safe="")
        return xmlrpc.client.ServerProxy(f"http://{quoted}@{host}/lib/exe/xmlrpc.php", allow_none=True)

    def html(self, page: str) -> str:
        """The page as the wiki shows it to an anonymous reader."""
        with urllib.request.urlopen(f"{self.url}/doku.php?id={urllib.request.quote(page)}", timeout=30) as answer:
            return answer.read().decode("utf-8")

    def page_file(self, page: str) -> Path:
        return self.root / "data" / "pages" / (page.replace(":", "/") + ".txt")


def build_copy(root: Path) -> Path:
    """A self-contained, writable DokuWiki under `root`/wiki."""
    wiki = root / "wiki"

    def ignore(folder, names):
        skipped = set()
        for name in names:
            path = Path(folder) / name
            # Unreadable or unneeded parts: the test plugin, the installer.
            if name in ("install.php",) or (path.parent.name == "plugins" and name == "testing"):
                skipped.add(name)
            elif not os.access(path, os.R_OK):
                skipped.add(name)
        return skipped

    shutil.copytree(DOKUWIKI_DIR, wiki, symlinks=False, ignore=ignore, ignore_dangling_symlinks=True)
    conf = wiki / "conf"
    conf.mkdir(exist_ok=True)
    for source in DOKUWIKI_CONF.iterdir():
        if source.name in SKIP_CONF or source.is_dir() or not os.access(source, os.R_OK):
            continue
        try:
            shutil.copyfile(source, conf / source.name)
        except OSError:
            continue
    # Debian's preload.php points DokuWiki at /etc/dokuwiki; the copy's points at its own conf/.
    (wiki / "inc" / "preload.php").write_text(
        f"<?php\nif (!defined('DOKU_CONF')) define('DOKU_CONF', {php_string(str(conf) + '/')});\n")
    data = wiki / "data"
    for name in DATA_DIRS:
        (data / name).mkdir(parents=True, exist_ok=True)
    (conf / "local.php").write_text("\n".join([
        "<?php",
        f"$conf['savedir'] = {php_string(str(data))};",
        "$conf['title'] = 'curriculum test wiki';",
        "$conf['useacl'] = 1;",
        "$conf['authtype'] = 'authplain';",
        "$conf['superuser'] = '@admin';",
        "$conf['remote'] = 1;",
        "$conf['remoteuser'] = '@admin,@editor';",
        # On purpose: raw HTML and PHP allowed, so only curriculum's escaping stops injected blocks.
        "$conf['htmlok'] = 1;",
        "$conf['phpok'] = 1;",
        "$conf['dnslookups'] = 0;",
        "$conf['updatecheck'] = 0;",
        "$conf['userewrite'] = 0;",
        "",
    ]))
    def digest(password: str) -> str:
        return subprocess.run(["php", "-r", "echo password_hash($argv[1], PASSWORD_BCRYPT);", password],
                              check=True, capture_output=True, text=True).stdout.strip()

    (conf / "users.auth.php").write_text(
        "# users: login:passwordhash:Real Name:email:groups\n"
        f"{ADMIN_USER}:{digest(ADMIN_PASSWORD)}:Test Admin:admin@example.org:admin,user\n"
        f"{READER_USER}:{digest(READER_PASSWORD)}:Test Reader:reader@example.org:user\n"
        f"{EDITOR_USER}:{digest(EDITOR_PASSWORD)}:Test Editor:editor@example.org:editor,user\n")
    (conf / "acl.auth.php").write_text(
        "# acl: page-or-namespace group-or-user permission\n"
        "*\t@ALL\t1\n"
        "*\t@admin\t255\n"
        "*\t@editor\t16\n")
    return wiki


def php_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(wiki: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        ["php", "-d", "display_errors=stderr", "-d", "error_reporting=E_ALL & ~E_DEPRECATED",
         "-S", f"127.0.0.1:{port}", "-t", str(wiki)],
        cwd=wiki, stdout=log.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, stopped as one (see stop_server)
    )
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"php -S exited with {process.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/doku.php?id=start", timeout=5) as answer:
                if answer.status == 200:
                    return process, url
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            stop_server(process)
            raise RuntimeError(f"DokuWiki did not answer at {url} within 30 s:\n"
                               f"{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def dokuwiki():
    """A running DokuWiki (see the module's docstring), for the whole session."""
    require_dokuwiki()
    with tempfile.TemporaryDirectory(prefix="curriculum-dokuwiki-") as folder:
        root = Path(folder)
        wiki = build_copy(root)
        process, url = start_server(wiki, root / "php-server.log")
        try:
            yield DokuWiki(url=url, root=wiki)
        finally:
            stop_server(process)


def stop_server(process: subprocess.Popen) -> None:
    """Stop the php server this module started (its process group only)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
