"""The built-in catalog and templates must ship inside the wheel: a plain
(non-editable) `pip install .` works from any directory."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheel")
    # Build from a copy: setuptools writes build/ and *.egg-info into the
    # source tree, which must not race with another build of the checkout.
    source = folder / "source"
    shutil.copytree(
        Path(__file__).resolve().parents[1], source,
        ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "output", "__pycache__", "tests"),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(source)],
        check=True, capture_output=True, timeout=600,
    )
    (path,) = folder.glob("curriculum-*.whl")
    return path


def test_wheel_carries_catalog_templates_and_schema(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "curriculum/_data/modules/catalog.yaml" in names
    assert "curriculum/_data/templates/syllabus.html.j2" in names
    assert "curriculum/schema/module.schema.json" in names
    assert sum(n.startswith("curriculum/_data/modules/") and n.endswith(".yaml") for n in names) >= 15


def test_installed_wheel_builds_from_another_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=600,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import curriculum.cli as c; "
        "assert c.__file__.startswith(sys.argv[1]), c.__file__; sys.exit(c.main(['build']))"
    )
    result = subprocess.run([sys.executable, "-c", code, str(target)], cwd=work, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (work / "output" / "index.html").is_file()
    assert (work / "output" / "ml-engineer-small.md").is_file()
