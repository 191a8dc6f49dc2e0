import os

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
