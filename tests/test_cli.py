import json
import math
import os
import re
import subprocess
import sys

import pytest

from curriculum.cli import main
from curriculum.errors import CurriculumError
from curriculum.model import Profile
from curriculum.pipeline import all_plans, load
from curriculum.plan import plan_path

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
            assert 80 <= plans[(role.id, size)].total_hours <= 260


# --- every odd input: one clear line, exit 1, never a traceback or a hang -----------


NON_ASCII = {"a": {"title": "Zoë – ML für alle", "roles": ["all"]}}


@pytest.mark.parametrize("args, message", [
    (["--start", "9999-12-31"], "argument --start: 9999-12-31 is out of range: use a start date from 2000-01-01 to 2099-12-31"),
    (["--start", "1999-12-31"], "argument --start: 1999-12-31 is out of range: use a start date from 2000-01-01 to 2099-12-31"),
    (["--start", "2027-02-30"], "argument --start: '2027-02-30' is not a real date"),
    (["--hours-per-week", "169"], "argument --hours-per-week: expected hours per week above 0 and at most 168, got '169'"),
    (["--hours-per-week", "nan"], "argument --hours-per-week: expected hours per week above 0 and at most 168, got 'nan'"),
])
def test_dates_and_hours_out_of_range_are_one_clear_line(args, message, capsys):
    for command in (["path", "--role", "ml-engineer", "--size", "small"], ["build"], ["team", "t.csv"],
                    ["publish", "--target", "site"]):
        with pytest.raises(SystemExit) as info:
            main(command + args)
        assert info.value.code == 1
        assert capsys.readouterr().err.splitlines()[-1].endswith(f"error: {message}")


@pytest.mark.parametrize("hours", ["1e-9", "5e-324"])
def test_a_tiny_number_of_hours_per_week_is_refused_in_bounded_time_and_memory(hours, tmp_path):
    result = run("path", "--role", "ml-engineer", "--size", "small", "--hours-per-week", hours, "--start",
                 "2099-12-31", "-o", "out", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    path_hours = plan_path(load().catalog, load().graph, Profile("ml-engineer", "small")).total_hours
    assert result.stderr == (
        f"curriculum: error: at {float(hours):g} hours per week this path of {path_hours:g} hours takes over 520 "
        f"weeks (ten years), the longest schedule planned: give at least {math.ceil(path_hours / 5.2) / 100:g} hours "
        "per week\n"
    )
    result = run("build", "--hours-per-week", hours, "-o", "out", cwd=tmp_path)
    longest = max(all_plans(load()), key=lambda plan: plan.total_hours)  # the path build reports
    assert result.stderr.startswith(f"curriculum: error: path {longest.role.id}/{longest.size.id}: at ")
    assert len(result.stderr.splitlines()) == 1 and not (tmp_path / "out").exists()


def test_documents_on_stdout_are_utf8_whatever_the_locale(catalog_dir):
    directory = catalog_dir(NON_ASCII)
    env = os.environ | {"PYTHONIOENCODING": "ascii", "LC_ALL": "C"}
    for fmt in ("json", "md", "html"):
        result = subprocess.run(
            [sys.executable, "-m", "curriculum", "path", "--role", "ml-engineer", "--size", "small", "--modules",
             str(directory), "--format", fmt, "-o", "-"], capture_output=True, env=env, timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert "Zoë – ML für alle" in result.stdout.decode("utf-8")


def test_messages_and_listings_degrade_to_escapes_where_the_terminal_cannot_encode(catalog_dir, tmp_path):
    directory = catalog_dir(NON_ASCII)
    env = os.environ | {"PYTHONIOENCODING": "ascii"}
    listing = run("list", "modules", "--modules", str(directory), env=env)
    assert (listing.returncode, listing.stderr) == (0, "")
    assert listing.stdout.endswith("Zo\\xeb \\u2013 ML f\\xfcr alle\n")
    unknown = run("path", "--role", "Zoë", "--size", "small", "--modules", str(directory), env=env)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("curriculum: error: unknown role 'Zo\\xeb'")
    usage = run("path", "--role", "x", "--size", "small", "--hours-per-week", "fünf", env=env)
    assert usage.returncode == 1 and usage.stderr.endswith("got 'f\\xfcnf'\n")
    (tmp_path / "t.csv").write_text("name,role\nZoë,nobody\n", encoding="utf-8")
    team = run("team", "t.csv", "--size", "small", cwd=tmp_path, env=env)
    assert (team.returncode, team.stderr) == (1, "t.csv:2: Zo\\xeb: unknown role 'nobody'\n")
    for result in (listing, unknown, usage, team):
        assert "Traceback" not in result.stderr


STDOUT_COMMANDS = [
    ["list", "roles"],
    ["validate"],
    ["lint", "--explain", "S201"],
    ["path", "--role", "ml-engineer", "--size", "small", "--format", "json", "-o", "-"],
    ["--help"],
    ["--version"],
]


@pytest.mark.parametrize("args", STDOUT_COMMANDS)
def test_a_full_standard_output_is_one_clear_line(args):
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "curriculum", *args], stdout=full, stderr=subprocess.PIPE,
                                text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr == "curriculum: error: cannot write to standard output: No space left on device\n"


@pytest.mark.parametrize("args", STDOUT_COMMANDS)
def test_a_closed_standard_output_is_one_clear_line(args):
    result = subprocess.run([sys.executable, "-m", "curriculum", *args], stderr=subprocess.PIPE, text=True,
                            timeout=120, preexec_fn=lambda: os.close(1))
    assert result.returncode == 1
    assert result.stderr == "curriculum: error: cannot write to standard output: standard output is closed\n"


def test_a_closed_standard_output_from_the_shell(tmp_path):
    result = subprocess.run(["sh", "-c", '"$0" -m curriculum build -o out >&-', sys.executable], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr == "curriculum: error: cannot write to standard output: standard output is closed\n"


BUILD_TO_STDOUT = ("build writes a folder of syllabi, not one document for standard output; for one syllabus there "
                   "use: curriculum path --role ROLE --size SIZE --format FORMAT -o -")
PUBLISH_TO_STDOUT = "publish lays out a folder of pages, not one document for standard output: give -o DIR"
TEAM_TO_STDOUT = ("-o - writes the team plan (team.json) to standard output and takes --format json; for one "
                  "person's syllabus use: curriculum path ... -o -")


@pytest.mark.parametrize("command, message", [
    (["build"], BUILD_TO_STDOUT),
    (["build", "--format", "json"], BUILD_TO_STDOUT),
    (["publish", "--target", "site"], PUBLISH_TO_STDOUT),
    (["team", "team.csv", "--size", "small"], TEAM_TO_STDOUT),
    (["team", "team.csv", "--size", "small", "--format", "md"], TEAM_TO_STDOUT),
    (["team", "team.csv", "--size", "small", "--format", "json", "html"], TEAM_TO_STDOUT),
])
def test_dash_output_is_standard_output_or_a_clear_error_never_a_folder(command, message, tmp_path, monkeypatch,
                                                                        capsys):
    (tmp_path / "team.csv").write_text("name,role\nAna,ml-engineer\n")
    monkeypatch.chdir(tmp_path)
    assert main(command + ["-o", "-"]) == 1
    assert capsys.readouterr() == ("", f"curriculum: error: {message}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team.csv"]


def test_team_json_on_standard_output_is_the_team_document(small_dir, tmp_path, capsysbinary):
    team = tmp_path / "Payments Risk.csv"
    team.write_text("name,role\nZoë,ml-engineer\nBen,ml-researcher\n", encoding="utf-8")
    common = ["team", str(team), "--size", "medium", "--start", "2027-01-11", "--modules", str(small_dir),
              "--format", "json"]
    assert main(["-q", *common, "-o", str(tmp_path / "out")]) == 0
    assert main([*common, "-o", "-"]) == 0
    captured = capsysbinary.readouterr()
    assert captured.out == (tmp_path / "out" / "team.json").read_bytes()
    assert json.loads(captured.out)["members"][0]["name"] == "Zoë"
    assert captured.err == b""


def test_no_message_can_drive_the_terminal(catalog_dir, tmp_path, monkeypatch, capsys):
    """Control characters are escaped in every line the CLI prints, whatever
    its source: a command-line value, a catalog, a log record, or an error
    carrying text from a remote server."""
    hostile = catalog_dir({"a": {"title": "T\x1b]0;owned\x07\x1b[2J", "roles": ["all"]}}, name="c\x1b[31m")
    again = catalog_dir({"a": {"roles": ["all"]}}, name="d")
    assert main(["list", "modules", "--modules", str(hostile)]) == 0
    assert main(["validate", "--modules", str(hostile), "--modules", str(again)]) == 0  # logs "a replaces ..."
    assert main(["path", "--role", "\x1b[31mx\u202e", "--size", "small"]) == 1
    with pytest.raises(SystemExit):
        main(["path", "--role", "x", "--size", "small", "--start", "\x1b[2J"])
    import curriculum.pipeline

    def remote_failure(*args):
        raise CurriculumError("the server said: \x1b]8;;http://evil.example\x07click\x1b]8;;\x07\nsecond line")

    monkeypatch.setattr(curriculum.pipeline, "load", remote_failure)
    assert main(["validate"]) == 1
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", printed)
    assert "T\\x1b]0;owned\\x07\\x1b[2J" in captured.out
    assert "c\\x1b[31m/a.yaml" in captured.err
    assert "unknown role '\\x1b[31mx\\u202e'" in captured.err
    assert "curriculum: error: the server said: \\x1b]8;;http://evil.example\\x07click\\x1b]8;;\\x07\\nsecond line\n" \
        in captured.err


def test_old_ids_work_in_knows_and_goal_across_layered_catalogs(catalog_dir, capsys):
    builtin_like = catalog_dir(SMALL | {"boosting": {**SMALL["boosting"], "replaces": ["xgboost"]}})
    ours = catalog_dir({"stacking": {"prerequisites": [{"id": "xgboost", "because": "It stacks boosted trees."}]}})
    args = ["path", "--modules", str(builtin_like), "--modules", str(ours), "--role", "engineering-manager",
            "--size", "small", "--format", "json", "-o", "-"]
    assert main(args + ["--goal", "stacking"]) == 0
    document = json.loads(capsys.readouterr().out)
    whys = {m["id"]: m["why"] for m in document["modules"]}
    assert whys["boosting"] == "Needed for Stacking: It stacks boosted trees."
    assert main(args + ["--goal", "stacking", "--knows", "xgboost"]) == 0
    assert "boosting" not in [m["id"] for m in json.loads(capsys.readouterr().out)["modules"]]


def test_an_old_id_that_is_still_a_module_stops_validate(catalog_dir, capsys):
    directory = catalog_dir({"a": {"replaces": ["b"]}, "b": {}})
    assert main(["validate", "--modules", str(directory)]) == 1
    assert f"{directory}/a.yaml:6: module 'a' replaces 'b', which is still a module" in capsys.readouterr().err


def test_lint_explains_the_new_checks(capsys):
    for code in ("C108", "C109"):
        assert main(["lint", "--explain", code]) == 0
    out = capsys.readouterr().out
    assert "C108 (warning): reading takes most of the module's hours" in out
    assert "C109 (warning): module without a why" in out
