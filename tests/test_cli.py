import json
import os
import subprocess
import sys

import pytest

from curriculum.cli import main

from .conftest import SMALL


def run(*args, cwd=None, env=None):
    """The installed entry point as a user runs it, in a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "curriculum", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def small_dir(catalog_dir):
    return catalog_dir(SMALL, name="small")


def test_validate_ok(small_dir, capsys):
    assert main(["validate", "--modules", str(small_dir)]) == 0
    assert capsys.readouterr().out.startswith("ok: 11 modules, 10 prerequisite links")


def test_validate_reports_every_problem_as_path_line_message(catalog_dir):
    directory = catalog_dir({"a": {"hours": "x"}, "b": {"prerequisites": ["nope"]}})
    (directory / "c.yaml").write_text("id: c\n\ttitle: C\n")
    result = run("validate", "--modules", str(directory))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{directory}/a.yaml:3: 'hours' must be a number, not text ('x')",
        f"{directory}/b.yaml:6: module 'b' has unknown prerequisite 'nope'",
        f"{directory}/c.yaml:2: invalid YAML: tab character found; indent YAML with spaces",
    ]


def test_graph_problems_are_reported_after_the_catalog_loads(catalog_dir, capsys):
    directory = catalog_dir({"b": {"prerequisites": ["nope"]}})
    assert main(["validate", "--modules", str(directory)]) == 1
    assert capsys.readouterr().err == f"{directory}/b.yaml:6: module 'b' has unknown prerequisite 'nope'\n"


def test_path_to_stdout_as_json(small_dir, capsys):
    code = main(["path", "--role", "ml-engineer", "--size", "medium", "--knows", "python", "--goal", "platforms",
                 "--hours-per-week", "4", "--start", "2027-01-11", "--format", "json", "-o", "-",
                 "--modules", str(small_dir)])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert document["profile"] == {"role": "ml-engineer", "size": "medium", "knows": ["python"],
                                   "goals": ["platforms"], "hours_per_week": 4, "start": "2027-01-11"}
    ids = [m["id"] for m in document["modules"]]
    assert "python" not in ids and "platforms" in ids and "pairing" in ids
    assert document["modules"][0]["start_date"] == "2027-01-11"


def test_path_writes_requested_formats_into_folder(small_dir, tmp_path, capsys):
    out = tmp_path / "syllabi"
    assert main(["path", "--role", "ml-engineer", "--size", "small", "--format", "md", "html", "json",
                 "--modules", str(small_dir), "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        ".curriculum-manifest.json", "ml-engineer-small.html", "ml-engineer-small.json", "ml-engineer-small.md",
    ]
    assert "wrote 3 file(s)" in capsys.readouterr().out


def test_path_to_stdout_needs_exactly_one_format(small_dir, capsys):
    assert main(["path", "--role", "ml-engineer", "--size", "small", "--modules", str(small_dir), "-o", "-"]) == 1
    assert "takes exactly one --format" in capsys.readouterr().err


def test_unknown_role_is_one_clear_line(small_dir, tmp_path):
    result = run("path", "--role", "ml-enginer", "--size", "small", "--modules", str(small_dir), "-o", str(tmp_path / "o"))
    assert result.returncode == 1
    assert result.stderr.startswith("curriculum: error: unknown role 'ml-enginer' (did you mean 'ml-engineer'?)")
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args", [
    ["path", "--role", "ml-engineer", "--size", "small", "--hours-per-week", "lots"],
    ["path", "--role", "ml-engineer", "--size", "small", "--start", "next monday"],
    ["path", "--role", "ml-engineer", "--size", "small", "--format", "docx"],
    ["build", "--no-such-flag"],
])
def test_bad_command_line_exits_1_without_traceback(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_build_renders_every_role_and_size_with_an_index(small_dir, tmp_path):
    out = tmp_path / "site"
    assert main(["build", "--modules", str(small_dir), "-o", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert "index.md" in names and "index.html" in names
    # Roles with targets in this catalog, at every size (pairing adds ml-researcher at medium).
    for slug in ("ml-engineer-small", "ml-engineer-large", "software-engineer-medium", "ml-researcher-medium"):
        assert f"{slug}.md" in names and f"{slug}.html" in names
    index = (out / "index.md").read_text()
    assert "(ml-engineer-small.md)" in index


def test_build_is_byte_for_byte_reproducible(small_dir, tmp_path):
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        result = run("build", "--modules", str(small_dir), "-o", str(out), "--format", "md", "html", "json",
                     env=os.environ | {"PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0] == outputs[1]


def test_list_commands(small_dir, capsys):
    assert main(["list", "roles"]) == 0
    assert "ml-engineer" in capsys.readouterr().out
    assert main(["list", "sizes"]) == 0
    assert capsys.readouterr().out.split()[0] == "small"  # in the order the catalog defines them
    assert main(["list", "modules", "--modules", str(small_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(SMALL) and lines[0].split()[:4] == ["baseline", "2h", "foundation", "modeling"]


def test_builtin_catalog_builds_from_any_directory(tmp_path):
    result = run("build", "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    names = {p.name for p in (tmp_path / "out").iterdir()}
    for role in ("software-engineer", "data-engineer", "ml-engineer", "ml-researcher", "engineering-manager"):
        for size in ("small", "medium", "large"):
            assert f"{role}-{size}.md" in names and f"{role}-{size}.html" in names


def test_builtin_catalog_is_valid():
    result = run("validate")
    assert result.returncode == 0, result.stderr


def test_verbosity_flags_work_before_or_after_the_command(small_dir, tmp_path, capsys):
    assert main(["-q", "build", "--modules", str(small_dir), "-o", str(tmp_path / "a")]) == 0
    assert main(["build", "-q", "--modules", str(small_dir), "-o", str(tmp_path / "b")]) == 0
    assert capsys.readouterr().out == ""
    assert main(["build", "-v", "--modules", str(small_dir), "-o", str(tmp_path / "c")]) == 0
    assert "curriculum: wrote 32 file(s) to" in capsys.readouterr().err


def test_readme_table_of_path_totals_is_true():
    from pathlib import Path

    from curriculum.pipeline import all_plans, load

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    loaded = load()
    plans = {(p.role.id, p.size.id): p for p in all_plans(loaded)}
    assert len(plans) == 15
    for role in loaded.catalog.roles.values():
        cells = [f"{plans[(role.id, s)].total_hours:g} h ({len(plans[(role.id, s)].steps)} modules)"
                 for s in loaded.catalog.sizes]
        assert f"| {role.title} | " + " | ".join(cells) + " |" in readme, "update the README's table of totals"
        for size in loaded.catalog.sizes:
            assert 40 <= plans[(role.id, size)].total_hours <= 160
