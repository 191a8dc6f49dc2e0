"""The static site's self-assessment pages (`publish --target site`,
assess/ROLE-SIZE.html): `curriculum assess` in the browser must ask the same
questions and give the same `knows` list and team-file lines as the terminal
for the same answers.

Checked two ways, by tests/assess_check.mjs:

- in headless Chromium, simulated learners (as tests/test_placement.py builds
  them, some answering "not sure" or contradicting themselves) answer by
  keyboard alone on every built-in role x size, on Metacademy's ML researcher
  path and on an OSSU path; the questions asked, the progress line, the
  result, the copied list and the downloaded file are compared with
  placement.py's `next_question`, `settle`, `placement` and `team_snippet`;
- in Node, assess.js's exp and log against portable_math's bit for bit, and
  every candidate's score against `_scores` for many states, so that even
  rare near-ties are chosen alike.

Also: the page with its questions and its result passes the Nu checker and
axe-core; without JavaScript it says so and gives the command; its files
are the same bytes each run.
"""

from __future__ import annotations

import json
import math
import random
import statistics
from pathlib import Path

import pytest

from curriculum.cli import main
from curriculum.graph import ancestors_of
from curriculum.pipeline import load
from curriculum.placement import (
    _scores, browser_data, next_question, placement, questionnaire, settle, team_snippet,
)
from curriculum import portable_math

from .test_html_quality import CHECKERS, CHROMIUM, MODULES, browser_tools, require_tools, run, system_tool

DRIVER = Path(__file__).parent / "assess_check.mjs"
# Each question must come well within this in Chromium (key press to the next question shown).
MAX_QUESTION_MS = 200
METACADEMY_PATH = ("ml-researcher", "medium")
OSSU_PATH = ("software-engineer", "small")


def learners(loaded, quiz, count: int, rng: random.Random) -> list[dict]:
    """Simulated learners as answers by module: each knows everything below
    one to three random modules; every third also says "not sure" about a
    few modules (some of which they know), and every third (offset) also
    says yes to a module they do not know."""
    modules = [m.id for m in quiz.modules]
    made = []
    for number in range(count):
        tops = rng.sample(modules, min(len(modules), rng.randint(1, 3)))
        knows = set(tops) | ancestors_of(loaded.graph, tops)
        unsure = set(rng.sample(modules, min(4, len(modules)))) if number % 3 == 1 else set()
        yes = knows - unsure
        if number % 3 == 2:
            yes.add(rng.choice(modules))
        made.append({"yes": sorted(yes), "unsure": sorted(unsure - yes)})
    return made


def python_run(quiz, yes: set[str]) -> tuple[list[str], list[int], dict[str, bool]]:
    """What `curriculum assess` asks someone answering yes to `yes`: the
    questions, the modules settled before each, and the answers."""
    answers: dict[str, bool] = {}
    asked, settled = [], []
    while (module := next_question(quiz, answers)) is not None:
        known, unknown = settle(quiz, answers)
        asked.append(module.id)
        settled.append((known | unknown).bit_count())
        answers[module.id] = module.id in yes
    return asked, settled, answers


@pytest.fixture(scope="module")
def sites(tmp_path_factory, third_party) -> dict:
    """The site of the built-in catalog, of Metacademy's and of OSSU's: (folder, loaded catalog)."""
    root = tmp_path_factory.mktemp("assess-web")
    made = {}
    # OSSU's paths take years: at 10 h a week, as tests/test_html_quality.py plans them.
    for name, modules, hours in (("builtin", [], []),
                                 ("metacademy", [third_party / "metacademy_content" / "modules"], []),
                                 ("ossu", [third_party / "ossu_cs" / "modules"], ["--hours-per-week", "10"])):
        flags = [flag for folder in modules for flag in ("--modules", str(folder))]
        assert main(["-q", "publish", "--target", "site", *flags, *hours, "-o", str(root / name)]) == 0
        made[name] = (root / name, load(modules))
    return made


@pytest.fixture(scope="module")
def browsed(sites, tmp_path_factory) -> dict:
    """One Chromium session: every built-in role x size (three learners
    each, the first also copying and downloading, the second going Back
    once, the third going Back from the result), Metacademy's ML researcher
    (8 learners) and an OSSU path (6), with axe and markup snapshots of the
    built-in ML engineer's page; and that page without JavaScript. Returns
    the report and, per page, (questionnaire, learners)."""
    browser_tools()
    rng = random.Random(15)
    spec, expected = {"pages": []}, {}
    builtin, loaded = sites["builtin"]
    paths = [(role, size) for role in loaded.catalog.roles for size in loaded.catalog.sizes
             if (builtin / "assess" / f"{role}-{size}.html").exists()]
    assert len(paths) == 15
    chosen = [("builtin", role, size, 3) for role, size in paths]
    chosen += [("metacademy", *METACADEMY_PATH, 8), ("ossu", *OSSU_PATH, 6)]
    for site, role, size, count in chosen:
        folder, loaded = sites[site]
        quiz = questionnaire(loaded.catalog, loaded.graph, role, size)
        people = learners(loaded, quiz, count, rng)
        people[0]["download"] = True
        people[1]["wrong_at"] = 2
        people[2]["back_at_end"] = True
        page = str(folder / "assess" / f"{role}-{size}.html")
        spec["pages"].append({"page": page, "learners": people,
                              "audit": (site, role, size) == ("builtin", "ml-engineer", "small")})
        expected[page] = (quiz, people)
    spec["no_script"] = str(builtin / "assess" / "ml-engineer-small.html")
    spec_file = tmp_path_factory.mktemp("assess-spec") / "spec.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    result = run(["node", DRIVER, "browser", "--checkers", CHECKERS, "--chromium", CHROMIUM, "--spec", spec_file],
                 cwd=spec_file.parent)
    assert result.returncode == 0, f"assess_check.mjs failed:\n{result.stderr}"
    report = json.loads(result.stdout)
    return {"report": report, "expected": expected, "pages": {entry["page"]: entry for entry in report["pages"]}}


def check_pages(browsed, folder: Path) -> int:
    """Every learner on the pages under `folder` was asked what `assess`
    asks and placed as it places; the number of learners checked."""
    checked = 0
    for page, (quiz, people) in browsed["expected"].items():
        if not page.startswith(str(folder)):
            continue
        shown = browsed["pages"][page]
        assert shown["errors"] == [], page
        for person, seen in zip(people, shown["learners"], strict=True):
            asked, settled, answers = python_run(quiz, set(person["yes"]))
            assert seen["asked"] == asked, page
            assert seen["progress"] == [f"Question {n}; {s} of {len(quiz.modules)} modules settled"
                                        for n, s in enumerate(settled, 1)]
            result = placement(quiz, answers)
            assert seen["knows"].split() == list(result.knows), page
            assert seen["snippet"] == team_snippet(result), page
            assert seen["focused"] == "assess-result-title"
            on_path = quiz.on_path.bit_count()
            known_on_path = sum(not quiz.is_assumed(module) for module in result.known)
            assert seen["summary"].startswith(f"You can already do {known_on_path} of the {on_path} modules"
                                              if known_on_path else f"You cannot do any of the {on_path} modules")
            goals = ["--goal", *result.missing_assumed] if result.missing_assumed else []
            knows = ["--knows", *result.knows] if result.knows else []
            assert seen["command"] == " ".join(["curriculum", "path", "--role", quiz.role, "--size", quiz.size,
                                                *goals, *knows])
            checked += 1
    return checked


def test_every_builtin_path_asks_what_the_terminal_asks(browsed, sites):
    assert check_pages(browsed, sites["builtin"][0]) == 45


def test_metacademy_and_ossu_ask_what_the_terminal_asks_quickly(browsed, sites):
    assert check_pages(browsed, sites["metacademy"][0]) == 8
    assert check_pages(browsed, sites["ossu"][0]) == 6
    page = str(sites["metacademy"][0] / "assess" / "ml-researcher-medium.html")
    times = browsed["pages"][page]["milliseconds"]
    assert len(times) > 100
    assert max(times) < MAX_QUESTION_MS, f"mean {statistics.mean(times):.1f} ms, max {max(times):.1f} ms"


def test_first_question_is_announced_with_its_progress(browsed, sites):
    page = str(sites["builtin"][0] / "assess" / "ml-engineer-small.html")
    first = browsed["pages"][page]["first"]
    quiz, _ = browsed["expected"][page]
    module = next_question(quiz, {})
    assert first["module"] == module.id and first["title"] == module.title
    assert first["progress"] == f"Question 1; 0 of {len(quiz.modules)} modules settled"
    assert first["live"] and not first["result"]
    assert first["back_disabled"]  # nothing to go back to
    assert first["focused"] is None  # the page does not take focus when it opens


def test_back_undoes_the_last_answer(browsed):
    """A wrong answer, then Tab to Back and Enter: the same question again,
    focus still on Back; b on the result: the last question again, focus on
    Yes. Either way the rest goes as if the undone answer was never given
    (checked with every learner above)."""
    went_back = from_result = 0
    for page, entry in browsed["pages"].items():
        quiz, people = browsed["expected"][page]
        for person, seen in zip(people, entry["learners"]):
            asked, _, _ = python_run(quiz, set(person["yes"]))
            if "wrong_at" in person and len(asked) > person["wrong_at"]:
                assert seen["back_to"] == asked[person["wrong_at"]]
                assert seen["back_focus"] == "assess-back"
                went_back += 1
            if person.get("back_at_end"):
                assert seen["end_back_to"] == asked[-1]
                assert seen["end_back_focus"] == "Yes"
                from_result += 1
    assert went_back >= 15 and from_result == 17


def test_copy_and_download_give_the_list_and_the_team_file_lines(browsed):
    downloads = 0
    for page, entry in browsed["pages"].items():
        quiz, people = browsed["expected"][page]
        seen = entry["learners"][0]
        _, _, answers = python_run(quiz, set(people[0]["yes"]))
        result = placement(quiz, answers)
        assert seen["download"] == {"name": f"{quiz.role}-{quiz.size}-knows.yaml", "text": team_snippet(result)}
        if result.knows:
            # Copied, or (where the browser keeps the clipboard) selected for Ctrl+C.
            assert seen["copy"]["selected"] == " ".join(result.knows)
            assert seen["copy"]["status"]
        downloads += 1
        # Start again, by keyboard: the first question, focus on Yes.
        assert seen["restart_focus"] == "Yes"
    assert downloads == 17


def test_without_javascript_the_page_gives_the_command(browsed):
    text = browsed["report"]["no_script"]
    assert "needs JavaScript" in text
    assert "curriculum assess --role ml-engineer --size small" in text
    assert "Could you do all of this today?" not in text


def test_question_and_result_pass_axe_and_the_nu_checker(browsed, sites, tmp_path):
    page = str(sites["builtin"][0] / "assess" / "ml-engineer-small.html")
    audits = browsed["pages"][page]["audits"]
    assert len(audits) == 2  # the first question, the first result
    for audit in audits:
        assert audit["violations"] == [], audit["violations"]
    vnu = MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
    require_tools(system_tool("java"), ("vnu-jar (npm, " + str(vnu) + ")", vnu.is_file()))
    names = []
    for name, audit in zip(("question.html", "result.html"), audits):
        (tmp_path / name).write_text(audit["markup"], encoding="utf-8")
        names.append(name)
    # And every page as published, before any script runs.
    for site in ("builtin", "metacademy", "ossu"):
        for published in sorted((sites[site][0] / "assess").glob("*.html")):
            name = f"{site}-{published.name}"
            (tmp_path / name).write_text(published.read_text(encoding="utf-8"), encoding="utf-8")
            names.append(name)
    result = run(["java", "-jar", vnu, "--errors-only", "--format", "gnu", *names], cwd=tmp_path)
    report = (result.stdout + result.stderr).strip()
    assert result.returncode == 0 and not report, f"Nu HTML Checker errors:\n{report}"


# --- the arithmetic, in Node ------------------------------------------------------


def math_inputs(rng: random.Random) -> dict[str, list[float]]:
    edges = [0.0, 1.0, -1.0, 1e-300, 5e-324, 1e-310, 2.0 ** -28, -(2.0 ** -28), 0.5, -0.5, 709.78, -745.1, 800.0,
             -800.0, 0.34657359027997264, -0.34657359027997264]
    exp_in = edges + [rng.uniform(-40, 1) for _ in range(20000)] + [rng.uniform(-745, 709) for _ in range(5000)]
    log_in = [x for x in edges if x > 0] + [rng.random() for _ in range(20000)] + [
        10 ** rng.uniform(-320, 300) for _ in range(5000)] + [1 + rng.uniform(-1e-6, 1e-6) for _ in range(2000)]
    expm1_in = edges + [-rng.uniform(0, 5) for _ in range(10000)] + [rng.uniform(-1e-5, 1e-5) for _ in range(2000)]
    return {"exp": exp_in, "log": log_in, "expm1": expm1_in, "log2": [rng.random() for _ in range(5000)]}


def scored_states(quiz, people: list[dict], rng: random.Random) -> list[dict[str, bool]]:
    """Answer sets to score: every step of each learner's questionnaire, and
    random answers about random modules (contradictions included)."""
    states = []
    for person in people:
        _, _, answers = python_run(quiz, set(person["yes"]))
        items = list(answers.items())
        states += [dict(items[:end]) for end in range(len(items) + 1)]
    modules = [m.id for m in quiz.modules]
    for _ in range(len(people) * 4):
        chosen = rng.sample(modules, min(len(modules), rng.randint(1, 8)))
        states.append({module: rng.random() < 0.5 for module in chosen})
    return states


def python_scores(quiz, answers: dict[str, bool]) -> list[list[int]]:
    known, unknown = settle(quiz, answers)
    undecided = quiz.everything & ~(known | unknown)
    if not undecided:
        return []
    candidates = undecided & quiz.assumed or undecided
    return [[i, score] for i, score in _scores(quiz, known, unknown, candidates)]


def test_node_computes_every_score_as_python_does(sites, tmp_path):
    """exp, log, expm1 and log2 bit for bit; each candidate's score (not only
    the best) for every state, so that a near-tie is broken alike."""
    require_tools(system_tool("node"))
    rng = random.Random(3)
    inputs = math_inputs(rng)
    cases = []
    for site, role, size, count in (("builtin", "ml-engineer", "medium", 10), ("builtin", "data-engineer", "large", 10),
                                    ("metacademy", *METACADEMY_PATH, 4), ("ossu", *OSSU_PATH, 6)):
        folder, loaded = sites[site]
        quiz = questionnaire(loaded.catalog, loaded.graph, role, size)
        # The data the site ships is browser_data's.
        shipped = (folder / "assess" / f"{role}-{size}.js").read_text(encoding="utf-8")
        assert shipped.startswith("window.CURRICULUM_ASSESS = ") and "<" not in shipped
        data = json.loads(shipped.removeprefix("window.CURRICULUM_ASSESS = ").removesuffix(";\n"))
        assert data == json.loads(json.dumps(browser_data(quiz)))
        cases.append((quiz, data, scored_states(quiz, learners(loaded, quiz, count, rng), rng)))
    payload = {"math": inputs, "quizzes": [
        {"data": data, "states": [[[quiz.index[m], yes] for m, yes in state.items()] for state in states]}
        for quiz, data, states in cases]}
    (tmp_path / "input.json").write_text(json.dumps(payload), encoding="utf-8")
    result = run(["node", DRIVER, "arithmetic", "--script", sites["builtin"][0] / "assess.js",
                  "--input", tmp_path / "input.json"], cwd=tmp_path)
    assert result.returncode == 0, f"assess_check.mjs failed:\n{result.stderr}"
    report = json.loads(result.stdout)

    for name, values in inputs.items():
        ours = [getattr(portable_math, name)(x) for x in values]
        theirs = [float(y) for y in report["math"][name]]  # JSON writes 1e21 and above as integers
        differ = [(x, a, b) for x, a, b in zip(values, ours, theirs) if not (a == b or math.isnan(a) and math.isnan(b))]
        assert differ == [], f"{name}: {len(differ)} values differ, e.g. {differ[:3]}"
    compared = 0
    for (quiz, _, states), node in zip(cases, report["quizzes"]):
        for answers, seen in zip(states, node["states"], strict=True):
            assert seen["scores"] == python_scores(quiz, answers)
            module = next_question(quiz, answers)
            assert seen["next"] == (None if module is None else quiz.index[module.id])
            result = placement(quiz, answers)
            assert [quiz.modules[i].id for i in seen["knows"]] == list(result.knows)
            assert seen["snippet"] == team_snippet(result)
            compared += len(seen["scores"])
    assert compared > 20000


def test_portable_math_is_as_accurate_as_the_c_library():
    rng = random.Random(7)
    for name, values in math_inputs(rng).items():
        for x in values:
            ours = getattr(portable_math, name)(x)
            try:
                reference = getattr(math, name)(x)
            except OverflowError:
                reference = math.inf
            if reference == 0.0 or math.isinf(reference):
                assert ours == reference, (name, x)
            else:
                assert abs(ours - reference) <= 4 * math.ulp(reference), (name, x, ours, reference)


# --- the pages ----------------------------------------------------------------------


def test_home_and_syllabi_link_each_self_assessment(sites):
    folder, loaded = sites["builtin"]
    home = (folder / "index.html").read_text(encoding="utf-8")
    pages = sorted(p.name for p in (folder / "assess").glob("*.html"))
    assert len(pages) == 15
    for name in pages:
        assert f'href="assess/{name}"' in home
        syllabus = (folder / name).read_text(encoding="utf-8")
        assert f'href="assess/{name}"' in syllabus
        page = (folder / "assess" / name).read_text(encoding="utf-8")
        assert f'<script src="{name.removesuffix(".html")}.js"></script>' in page
        assert f'href="../{name}"' in page
    assert (folder / "assess.js").read_text(encoding="utf-8") == (
        Path(__file__).parent.parent / "templates" / "site" / "assess.js").read_text(encoding="utf-8")


def test_same_catalog_same_bytes(sites, tmp_path):
    folder, _ = sites["builtin"]
    assert main(["-q", "publish", "--target", "site", "-o", str(tmp_path / "again")]) == 0
    def assessment(site: Path) -> dict:
        return {path.relative_to(site).as_posix(): path.read_bytes()
                for path in [site / "assess.js", *sorted((site / "assess").iterdir())]}

    first, second = assessment(folder), assessment(tmp_path / "again")
    assert len(first) == 31 and first == second
