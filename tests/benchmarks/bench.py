"""Benchmarks for `curriculum`: start-up, a department build against MkDocs,
re-planning it from progress, growth with catalog and team size (with the
size of the 1,000- and 10,000-person overviews), and the placement
questionnaire's question counts.

Run from the repository root with the project's venv:

    .venv/bin/python tests/benchmarks/bench.py            # full run (10+ minutes)
    .venv/bin/python tests/benchmarks/bench.py --quick    # smoke run (about a minute)
    .venv/bin/python tests/benchmarks/bench.py --only startup|build|progress|growth|schedule|placement

Inputs (team files, synthetic catalogs) are generated from a fixed seed into a
temporary folder. Every figure is measured side by side with its baseline in
the same run. The table is printed and written to tests/benchmarks/RESULTS.md,
between the markers <!-- results:start --> and <!-- results:end --> (the rest
of that file is left as it is).

MkDocs is installed into its own venv, cached at tests/benchmarks/.venv-mkdocs
(git-ignored); the first full run creates it with pip.

This is not a unit test: pytest does not collect it (the name is not test_*.py).
Exit status is 0 unless a measurement crashed; the table says which targets pass.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RESULTS = HERE / "RESULTS.md"
MKDOCS_VENV = HERE / ".venv-mkdocs"
START, END = "<!-- results:start -->", "<!-- results:end -->"

PY = sys.executable
_script = Path(PY).parent / "curriculum"
CURRICULUM = [str(_script)] if _script.exists() else [str(REPO / ".venv" / "bin" / "curriculum")]

SEED = 2027
ROLE_MIX = {  # a plausible department: mostly engineers, some ML specialists and managers
    "software-engineer": 40,
    "data-engineer": 20,
    "ml-engineer": 20,
    "ml-researcher": 10,
    "engineering-manager": 10,
}
# Used only if `curriculum list modules` cannot be read.
FALLBACK_FOUNDATION = [
    "data-cleaning-and-validation", "end-to-end-first-slice", "evaluation-against-business-metrics",
    "exploratory-data-analysis", "judging-ml-results-for-managers", "math-for-ml-essentials",
    "ml-problem-framing", "model-serving-basics", "python-for-data", "sklearn-baselines",
    "sql-for-ml-data", "statistics-for-ml",
]
FIRST = "Ana Ben Chen Dana Emeka Fatima Grace Hiro Ines Jonas Kemi Lars Maya Nikhil Olga Priya Quentin Rosa Sami Tomas Uma Viktor Wen Ximena Yusuf Zoe".split()
LAST = "Ruiz Okafor Wei Kowalski Obi Zahra Liu Tanaka Costa Berg Adeyemi Nilsen Cohen Rao Ivanova Shah Martin Silva Haddad Novak Iyer Petrov Zhang Lopez Demir Moreau".split()


class Crashed(Exception):
    """A measured command failed: reported in the table, and the exit status is 1."""


# ---------------------------------------------------------------- helpers


def run(cmd, cwd=None, **kwargs) -> float:
    """Run a command, return its wall time in seconds; raise Crashed on failure."""
    t0 = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, **kwargs)
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise Crashed(f"{' '.join(map(str, cmd[:3]))} ... exited {result.returncode}: " + " / ".join(tail))
    return elapsed


# A fresh child per measurement: it runs the command as its own child and
# reports that one's wall time and peak RSS (RUSAGE_CHILDREN of this wrapper
# covers only the command, not earlier measurements). ru_maxrss is in KiB on Linux.
MEASURE = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write(r.stderr[-2000:])
print(json.dumps({"wall": wall, "rss_kib": rss, "rc": r.returncode}))
"""


def measure(cmd) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command, in a fresh child."""
    result = subprocess.run([PY, "-c", MEASURE, *map(str, cmd)], capture_output=True, text=True)
    try:
        data = json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise Crashed(f"measuring {cmd[0]} failed: {result.stderr.strip()[-300:]}")
    if data["rc"] != 0:
        tail = result.stderr.strip().splitlines()[-3:]
        raise Crashed(f"{' '.join(map(str, cmd[:3]))} ... exited {data['rc']}: " + " / ".join(tail))
    return data["wall"], data["rss_kib"] / 1024


def secs(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def foundation_modules() -> list[str]:
    try:
        out = subprocess.run([*CURRICULUM, "list", "modules"], capture_output=True, text=True, check=True).stdout
        found = sorted(line.split()[0] for line in out.splitlines() if len(line.split()) > 3 and line.split()[2] == "foundation")
        return found or FALLBACK_FOUNDATION
    except (subprocess.CalledProcessError, OSError):
        return FALLBACK_FOUNDATION


def team_members(people: int, seed: int = SEED) -> list[tuple[str, str, list[str], int]]:
    """`people` members as (name, role, knows, hours_per_week): mixed roles,
    some foundation modules already known, 3-6 study hours a week."""
    rng = random.Random(seed)
    foundation = foundation_modules()
    roles, weights = list(ROLE_MIX), list(ROLE_MIX.values())
    members = []
    for index in range(people):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {index:05d}"
        role = rng.choices(roles, weights)[0]
        known = sorted(rng.sample(foundation, rng.choice([0, 0, 0, 1, 1, 2, 3, 4])))
        members.append((name, role, known, rng.randint(3, 6)))
    return members


def write_team(path: Path, people: int, emails: bool = False) -> Path:
    """A YAML team file, company size medium, starting 2027-01-11."""
    lines = [f"team: Department {people}", "company_size: medium", "start: 2027-01-11", "hours_per_week: 5", "members:"]
    for index, (name, role, known, hours) in enumerate(team_members(people)):
        lines += [f"  - name: {name}", f"    role: {role}"]
        if emails:
            lines.append(f"    email: p{index:05d}@example.com")
        if known:
            lines.append(f"    knows: [{', '.join(known)}]")
        lines.append(f"    hours_per_week: {hours}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_team_csv(path: Path, people: int) -> Path:
    """The same members as a CSV team file (size and start go on the command
    line). The growth figures use CSV because the tool refuses a 10,000-person
    YAML file: it is over the reader's 1 MiB file limit (and near its
    100,000-node limit)."""
    rows = ["name,email,role,knows,goals,hours_per_week"]
    rows += [f"{name},,{role},{';'.join(known)},,{hours}" for name, role, known, hours in team_members(people)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def team_cmd(team_file: Path, out: Path) -> list:
    extra = ["--size", "medium", "--start", "2027-01-11"] if team_file.suffix == ".csv" else []
    return [*CURRICULUM, "-q", "team", str(team_file), *extra, "-o", str(out), "--format", "md", "html"]


class Table:
    def __init__(self):
        self.rows: list[tuple[str, ...]] = []
        self.crashed = False

    def add(self, figure, measured, baseline="", ratio=None, target="", ok=None):
        ratio_text = "" if ratio is None else f"{ratio:.2f}"
        ok_text = "" if ok is None else ("yes" if ok else "**no**")
        self.rows.append((figure, measured, baseline, ratio_text, target, ok_text))

    def error(self, figure, problem):
        self.crashed = True
        self.rows.append((figure, f"error: {problem}".replace("|", "/"), "", "", "", "**crashed**"))

    def markdown(self) -> str:
        head = ("figure", "measured", "baseline", "ratio", "target", "ok?")
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)


def section(table: Table, name: str, fn, *args):
    print(f"\n== {name}", flush=True)
    t0 = time.perf_counter()
    try:
        fn(table, *args)
    except Crashed as problem:
        table.error(name, str(problem)[:300])
        print(f"   crashed: {problem}", flush=True)
    except Exception as problem:  # a bug in the bench or the tool's API: say so, go on
        traceback.print_exc()
        table.error(name, f"{type(problem).__name__}: {problem}"[:300])
    print(f"   ({time.perf_counter() - t0:.0f} s)", flush=True)


# ---------------------------------------------------------------- 1. start-up


def installed_venv(tmp: Path) -> Path:
    """A venv with curriculum installed as users install it (`pip install .`,
    not editable: an editable install adds an import hook to every start)."""
    venv = tmp / "venv-installed"
    run([sys.executable, "-m", "venv", str(venv)])
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(clean_source(tmp))])
    return venv


def clean_source(tmp: Path) -> Path:
    """The repository's tracked files, as a fresh clone has them: setuptools
    reuses a `build/` folder left in the working tree, stale files and all."""
    source = tmp / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        target = source / name
        if (REPO / name).is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target)
    return source


def bench_startup(table: Table, tmp: Path, runs: int):
    venv = installed_venv(tmp)
    tool = [str(venv / "bin" / "curriculum"), "path", "--role", "ml-engineer", "--size", "small", "--format", "md",
            "-o", "-"]
    floor = [str(venv / "bin" / "python"), "-c", "import jinja2, yaml, networkx, markdown"]
    run(tool), run(floor)  # warm the page cache, .pyc files and the template cache; not counted
    tool_times, floor_times = [], []
    for _ in range(runs):  # interleaved, so drift hits both alike
        tool_times.append(run(tool))
        floor_times.append(run(floor))
    tool_med, floor_med = statistics.median(tool_times), statistics.median(floor_times)
    ratio = tool_med / floor_med
    print(f"   curriculum path {secs(tool_med)}, import floor {secs(floor_med)}", flush=True)
    table.add(f"start-up: `curriculum path`, installed with `pip install .` (median of {runs})", secs(tool_med),
              f"{secs(floor_med)} (import jinja2, yaml, networkx, markdown)", ratio, "<= 1.3", ratio <= 1.3)


# ---------------------------------------------------------------- 2. department build


def mkdocs_binary() -> Path:
    binary = MKDOCS_VENV / "bin" / "mkdocs"
    if not binary.exists():
        print("   creating the MkDocs venv (once) ...", flush=True)
        base = getattr(sys, "_base_executable", PY)
        run([base, "-m", "venv", "--clear", str(MKDOCS_VENV)])
        run([str(MKDOCS_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "mkdocs"])
    return binary


def bench_build(table: Table, tmp: Path, people: int):
    mkdocs = mkdocs_binary()
    version = subprocess.run([str(mkdocs), "--version"], capture_output=True, text=True).stdout.split(" from")[0].replace(", version", "")
    work = tmp / f"build-{people}"
    work.mkdir(parents=True)
    team_file = write_team(work / "team.yaml", people)
    out = work / "out"
    # The median of three runs: one 8-second run on a 2-core machine moves by 10-15%.
    tool_time = statistics.median(run(team_cmd(team_file, out)) for _ in range(3))
    pages = sorted(p for p in out.glob("*.md") if p.name != "index.md")
    if len(pages) != people:
        raise Crashed(f"expected {people} member syllabi, found {len(pages)} .md files")
    site = work / "mkdocs"
    (site / "docs").mkdir(parents=True)
    for page in pages:
        shutil.copy2(page, site / "docs" / page.name)
    (site / "mkdocs.yml").write_text(f"site_name: Department of {people}\n", encoding="utf-8")
    docs_time = run([str(mkdocs), "build", "-q", "-d", str(site / "site")], cwd=site)
    MKDOCS_SECONDS[people] = docs_time
    ratio = tool_time / docs_time
    print(f"   curriculum team {secs(tool_time)}, {version} {secs(docs_time)}", flush=True)
    table.add(f"department build: {people:,}-person team, md + html (median of 3)", secs(tool_time),
              f"{secs(docs_time)} (`mkdocs build` of the {people:,} .md syllabi; {version})",
              ratio, "<= 0.1", ratio <= 0.1)


MKDOCS_SECONDS: dict[int, float] = {}  # people -> what `mkdocs build` of their syllabi took, once measured


# ---------------------------------------------------------------- 2b. progress

PROGRESS_AS_OF = dt.date(2027, 5, 31)  # week 21 of a team starting 2027-01-11
PROGRESS_START = dt.date(2027, 1, 11)


def write_progress(document: dict, folder: Path, rows: int, statements: int) -> tuple[Path, Path]:
    """Progress as an LMS and an LRS would export it for the team in
    `document` (its team.json) by PROGRESS_AS_OF: a CSV with each module's
    history (in progress, then done) and xAPI statements (launched,
    progressed ..., completed), people running from a few weeks behind to a
    week ahead, cut to `rows` and `statements`."""
    rng = random.Random(SEED)
    history: list[tuple] = []  # (member, email, module, status, date)
    for member in document["members"]:
        lag = rng.choice([-1, 0, 0, 0, 1, 2, 4])
        for module in member["modules"]:
            began = PROGRESS_START + dt.timedelta(weeks=module["week"] - 1 + lag, days=rng.randint(0, 4))
            ended = PROGRESS_START + dt.timedelta(weeks=module["end_week"] - 1 + lag, days=rng.randint(0, 6))
            if began > PROGRESS_AS_OF:
                break
            history.append((member, module["id"], "in-progress", began))
            if ended <= PROGRESS_AS_OF:
                history.append((member, module["id"], "done", ended))
    csv_path = folder / "progress.csv"
    lines = ["name,email,module,status,date"]
    lines += [f"{m['name']},{m['email']},{module},{status},{date.isoformat()}"
              for m, module, status, date in (history * (rows // len(history) + 1))[:rows]]
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    verbs = {"in-progress": ["launched", "progressed", "progressed", "progressed"], "done": ["completed"]}
    found = []
    for m, module, status, date in history:
        for verb in verbs[status]:
            found.append({"actor": {"objectType": "Agent", "name": m["name"], "mbox": f"mailto:{m['email']}"},
                          "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
                          "object": {"objectType": "Activity", "id": f"urn:curriculum:module:{module}"},
                          "timestamp": f"{date.isoformat()}T{rng.randint(8, 18):02d}:00:00Z"})
    found = (found * (statements // len(found) + 1))[:statements]
    json_path = folder / "statements.json"
    json_path.write_text(json.dumps({"statements": found, "more": ""}), encoding="utf-8")
    return csv_path, json_path


# As `curriculum team` reads progress: with the cyclic collector paused (pipeline._gc_paused).
READ_PROGRESS = r"""
import datetime as dt, sys, time
from pathlib import Path
from curriculum.pipeline import _gc_paused, load
from curriculum.progress import read_progress
from curriculum.team import read_team
loaded = load([])
team = read_team(Path(sys.argv[1]), loaded.catalog)
t0 = time.perf_counter()
with _gc_paused():
    read_progress([Path(sys.argv[2])], team, loaded.catalog, dt.date(2027, 5, 31))
print(time.perf_counter() - t0)
"""


def bench_progress(table: Table, tmp: Path, people: int, rows: int, statements: int):
    work = tmp / "progress"
    work.mkdir()
    team_file = write_team(work / "team.yaml", people, emails=True)
    base = work / "base"
    run([*CURRICULUM, "-q", "team", str(team_file), "-o", str(base), "--format", "md", "json"])
    document = json.loads((base / "team.json").read_text(encoding="utf-8"))
    csv_path, json_path = write_progress(document, work, rows, statements)
    # Parsing: 10x the statements should cost about 10x the time.
    small = work / "statements-small.json"
    whole = json.loads(json_path.read_text(encoding="utf-8"))
    small.write_text(json.dumps({"statements": whole["statements"][:statements // 10]}), encoding="utf-8")
    parse = {}
    for label, path in (("small", small), ("all", json_path)):
        parse[label] = min(float(subprocess.run([PY, "-c", READ_PROGRESS, str(team_file), str(path)], check=True,
                                                capture_output=True, text=True).stdout) for _ in range(3))
    growth = parse["all"] / parse["small"]
    table.add(f"read {statements:,} xAPI statements, best of 3", secs(parse["all"]),
              f"{secs(parse['small'])} ({statements // 10:,} statements)", growth, "<= 12 (10x step)", growth <= 12)
    cmd = [*CURRICULUM, "-q", "team", str(team_file), "--progress", str(csv_path), "--progress", str(json_path),
           "--as-of", PROGRESS_AS_OF.isoformat(), "--baseline", str(base / "team.json"),
           "-o", str(work / "out"), "--format", "md", "html"]
    wall, rss = measure(cmd)
    docs = MKDOCS_SECONDS.get(people)
    if docs is None:
        site = work / "mkdocs"
        (site / "docs").mkdir(parents=True)
        for page in base.glob("*.md"):
            if page.name != "index.md":
                shutil.copy2(page, site / "docs" / page.name)
        (site / "mkdocs.yml").write_text(f"site_name: Department of {people}\n", encoding="utf-8")
        docs = run([str(mkdocs_binary()), "build", "-q", "-d", str(site / "site")], cwd=site)
    print(f"   re-plan {secs(wall)} (peak {rss:.0f} MB), parse {secs(parse['all'])}", flush=True)
    table.add(f"re-plan a {people:,}-person team from {rows:,} CSV rows and {statements:,} xAPI statements "
              f"against last week's team.json, md + html (peak {rss:.0f} MB)", secs(wall),
              f"{secs(docs)} (`mkdocs build` of the {people:,} .md syllabi)", wall / docs, "<= 0.1", wall / docs <= 0.1)


# ---------------------------------------------------------------- 3. growth

# Run in a fresh interpreter per catalog size; times load + every role x size plan.
PLAN = r"""
import json, resource, sys, time
from pathlib import Path
from curriculum.model import Profile
from curriculum.pipeline import load
from curriculum.plan import plan_path
t0 = time.perf_counter()
loaded = load([Path(sys.argv[1])])
t1 = time.perf_counter()
steps = 0
for role in loaded.catalog.roles:
    for size in loaded.catalog.sizes:
        # Synthetic paths run to 9,800 hours: at 40 hours a week they stay within the 520-week limit.
        steps += len(plan_path(loaded.catalog, loaded.graph, Profile(role, size, hours_per_week=40)).steps)
t2 = time.perf_counter()
print(json.dumps({"load": t1 - t0, "plan": t2 - t1, "steps": steps, "modules": len(loaded.catalog.modules),
                  "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


GROWTH_RUNS = 5


def growth_target(step: float) -> float:
    """Linear plus 20%: 12 for a 10x step, 4.8 for a 4x one."""
    return step * 1.2


def bench_growth(table: Table, tmp: Path, catalog_sizes: list[int], team_sizes: list[int]):
    sys.path.insert(0, str(REPO))
    from tests.synthetic import write_catalog

    previous = None
    for size in catalog_sizes:
        folder = write_catalog(tmp / f"catalog-{size}", size)
        runs = []
        # The best of a few fresh processes, as timeit reports: on a noisy 2-core
        # machine the least-disturbed run is the truest measure of the work.
        for _ in range(GROWTH_RUNS):
            result = subprocess.run([PY, "-c", PLAN, str(folder)], capture_output=True, text=True, cwd=tmp)
            if result.returncode != 0:
                raise Crashed(f"validate + plan of {size:,} modules exited {result.returncode}: "
                              + " / ".join(result.stderr.strip().splitlines()[-3:]))
            runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
        data = min(runs, key=lambda r: r["load"] + r["plan"])
        total = data["load"] + data["plan"]
        print(f"   {size:>6,} modules: load {secs(data['load'])}, plan {secs(data['plan'])} "
              f"({data['steps']:,} steps), peak {data['rss_kib'] / 1024:.0f} MB", flush=True)
        figure = (f"validate + plan, {size:,} modules, best of {GROWTH_RUNS} (load {secs(data['load'])} + plan {secs(data['plan'])}, "
                  f"{data['steps']:,} plan steps)")
        if previous is None:
            table.add(figure, secs(total))
        else:
            step = size / previous[0]
            ratio = total / previous[1]
            target = growth_target(step)
            table.add(figure, secs(total), f"{secs(previous[1])} ({previous[0]:,} modules)", ratio,
                      f"<= {target:g} ({step:g}x step)", ratio <= target)
        previous = (size, total)

    previous = None
    for people in team_sizes:
        team_file = write_team_csv(tmp / f"team-{people}.csv", people)
        # Best of three where a run is short enough to repeat.
        tries = [measure(team_cmd(team_file, tmp / f"team-{people}")) for _ in range(3 if people <= 1000 else 1)]
        wall, rss = min(tries)
        print(f"   {people:>6,} people: {secs(wall)}, peak {rss:.0f} MB", flush=True)
        figure = f"team of {people:,} (CSV), md + html (peak {rss:.0f} MB)"
        if previous is None:
            table.add(figure, secs(wall))
        else:
            step = people / previous[0]
            ratio = wall / previous[1]
            target = growth_target(step)
            table.add(figure, secs(wall), f"{secs(previous[1])} ({previous[0]:,} people)", ratio,
                      f"<= {target:g} ({step:g}x step)", ratio <= target)
        previous = (people, wall)
        if people in OVERVIEW_LIMITS:
            add_overview_size(table, tmp / f"team-{people}" / "index.html", people)
    if previous:
        table.add(f"peak memory, team of {previous[0]:,}", f"{rss:.0f} MB", "", None, "< 500 MB", rss < 500)


# Issue 16: a department's overview leads with its shape and stays a page a browser opens quickly.
OVERVIEW_LIMITS = {1000: (500_000, "500 KB"), 10_000: (3_000_000, "3 MB")}  # people -> index.html's bytes at most


def file_size(size: float) -> str:
    return f"{size / 1e6:.2f} MB" if size >= 1e6 else f"{size / 1e3:.0f} KB"


def add_overview_size(table: Table, page: Path, people: int):
    size, (limit, limit_text) = page.stat().st_size, OVERVIEW_LIMITS[people]
    print(f"   overview of {people:,} people: {file_size(size)}", flush=True)
    table.add(f"overview size: team of {people:,}, index.html", file_size(size), "", None, f"<= {limit_text}",
              size <= limit)


# ---------------------------------------------------------------- 4. team schedule: heuristic vs CP-SAT

SCHEDULE_TEAMS = 10
# CP-SAT's deterministic seconds a team: with the 2026 catalog's longer paths
# 30 took 75-130 wall seconds a team; 10 came within half a point of it on the teams tried.
SCHEDULE_TIME = 10.0


def schedule_teams(count: int, seed: int = SEED) -> list[tuple[int, int]]:
    """(people, seed) for `count` random teams of 8 to 30 people."""
    rng = random.Random(seed)
    return [(rng.randint(8, 30), seed + index) for index in range(count)]


def bench_schedule(table: Table, tmp: Path, count: int, deterministic_time: float, details: list[str]):
    """The greedy heuristic and CP-SAT (from the heuristic's schedule) on
    random teams like the department's (mixed roles, 3-6 hours a week,
    company size medium, the built-in catalog, default cohort settings)."""
    sys.path.insert(0, str(REPO))
    from curriculum.model import Profile
    from curriculum.pipeline import load
    from curriculum.plan import choose_path, module_hours, prerequisites_of
    from curriculum.schedule import CohortSettings, Learner, schedule

    loaded = load([])
    rules = CohortSettings()
    details += ["| people | classes | shareable h | heuristic: grouped, mean delay | default: grouped, mean delay "
                "| CP-SAT: grouped, mean delay | CP-SAT bound | CP-SAT gap | heuristic gap "
                "| time: heuristic, default, CP-SAT |",
                "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    shares, delays, gaps, own_gaps, defaults = [], [], [], [], []
    for people, seed in schedule_teams(count):
        members = team_members(people, seed)
        paths = [choose_path(loaded.catalog, loaded.graph, Profile(role, "medium", tuple(known), (), hours, None))
                 for _, role, known, hours in members]
        learners = [Learner(name, path.order, hours) for (name, _, _, hours), path in zip(members, paths)]
        modules = sorted({m for path in paths for m in path.order})
        hours_of, needs = module_hours(loaded.catalog, modules), prerequisites_of(loaded.graph, modules)
        solo = schedule(learners, hours_of, needs).placements
        t0 = time.perf_counter()
        greedy = schedule(learners, hours_of, needs, rules, solo, solver="greedy")
        t1 = time.perf_counter()
        default = schedule(learners, hours_of, needs, rules, solo)
        t1b = time.perf_counter()
        best = schedule(learners, hours_of, needs, rules, solo, solver="cp-sat", deterministic_time=deterministic_time)
        t2 = time.perf_counter()
        takers: dict[str, int] = {}
        for learner in learners:
            for module in learner.order:
                takers[module] = takers.get(module, 0) + 1
        shareable = sum(hours_of[m] * n for m, n in takers.items() if n >= rules.min_size)
        classes = len({(learner.order, learner.hours_per_week) for learner in learners})

        def figures(result):
            grouped = sum(hours_of[s.module] * len(s.attendees) for s in result.sessions)
            delay = sum(max(p.end_week for p in result.placements[n]) - max(p.end_week for p in solo[n]) for n in solo)
            # The solver's objective in hours: learner-hours in groups - 0.01 per person-week of delay.
            return grouped / shareable, delay / len(solo), grouped - delay / 100

        share_g, delay_g, value_g = figures(greedy)
        share_d, delay_d, _ = figures(default)
        defaults.append((share_d, delay_d))
        share_e, delay_e, value_e = figures(best)
        bound = value_e / (1 - best.gap) if best.gap < 1 else float("inf")
        own_gap = (bound - value_g) / bound
        shares.append((share_g, share_e))
        delays.append((delay_g, delay_e))
        gaps.append(best.gap)
        own_gaps.append(own_gap)
        print(f"   {people:>2} people ({classes} classes): heuristic {share_g:.1%} at {delay_g:.2f} weeks in "
              f"{secs(t1 - t0)}, default {share_d:.1%} at {delay_d:.2f} weeks in {secs(t1b - t1)}, "
              f"CP-SAT {share_e:.1%} at {delay_e:.2f} weeks in {secs(t2 - t1b)} "
              f"(bound {bound / shareable:.1%}, gap {best.gap:.1%}; heuristic's gap {own_gap:.1%})", flush=True)
        details.append(f"| {people} | {classes} | {shareable:g} | {share_g:.1%}, {delay_g:.2f} wk | {share_d:.1%}, "
                       f"{delay_d:.2f} wk | {share_e:.1%}, {delay_e:.2f} wk | {bound / shareable:.1%} "
                       f"| {best.gap:.1%} | {own_gap:.1%} | {secs(t1 - t0)}, {secs(t1b - t1)}, {secs(t2 - t1b)} |")
    mean = statistics.mean
    sample = sample_team_figures()
    table.add("team schedule, sample team (examples/payments-risk.yaml), default: grouped share of shareable "
              "hours and mean delay", f"{sample[0]:.1%}, {sample[1]:.2f} weeks", "", None, ">= 85%, <= 1 week",
              sample[0] >= 0.85 and sample[1] <= 1)
    table.add(f"team schedule, default (what `curriculum team` does), {count} random teams of 8-30 (mean; range)",
              f"{mean(s for s, _ in defaults):.1%} ({min(s for s, _ in defaults):.1%}-"
              f"{max(s for s, _ in defaults):.1%}), {mean(d for _, d in defaults):.2f} weeks")
    table.add(f"team schedule, heuristic alone, {count} random teams of 8-30 (mean; range)",
              f"{mean(s for s, _ in shares):.1%} ({min(s for s, _ in shares):.1%}-{max(s for s, _ in shares):.1%}), "
              f"{mean(d for d, _ in delays):.2f} weeks")
    table.add(f"team schedule, CP-SAT ({deterministic_time:g} deterministic s a team, from the heuristic's schedule)",
              f"{mean(e for _, e in shares):.1%} ({min(e for _, e in shares):.1%}-{max(e for _, e in shares):.1%}), "
              f"{mean(d for _, d in delays):.2f} weeks", f"{mean(s for s, _ in shares):.1%} (heuristic)",
              mean(e for _, e in shares) / mean(s for s, _ in shares))
    table.add("team schedule, gap to CP-SAT's proven bound (mean; largest)",
              f"heuristic {mean(own_gaps):.1%} ({max(own_gaps):.1%}); CP-SAT {mean(gaps):.1%} ({max(gaps):.1%})")


def sample_team_figures() -> tuple[float, float]:
    """The bundled sample team planned as `curriculum team` plans it: the
    share of shareable hours taught in groups and the mean delay."""
    from curriculum.pipeline import team_plan

    summary = team_plan(REPO / "examples" / "payments-risk.yaml")[1].schedule
    return summary.grouped_hours / summary.shareable_hours, summary.mean_delay_weeks


# ---------------------------------------------------------------- 5. placement questionnaire

THIRD_PARTY = Path(os.environ.get("CURRICULUM_THIRD_PARTY", REPO.parent / "shared" / "third-party"))
# The targets: average questions as a share of the path's modules.
PLACEMENT_TARGETS = {"built-in": 0.40, "Metacademy": 0.15}


def placement_learners(modules: list[str], graph, count: int, rng: random.Random) -> list[set[str]]:
    """Simulated learners: each knows everything below (and including) one
    to three random modules of the path."""
    from curriculum.graph import ancestors_of

    learners = []
    for _ in range(count):
        tops = rng.sample(modules, min(len(modules), rng.randint(1, 3)))
        learners.append(set(tops) | ancestors_of(graph, tops))
    return learners


def halving_questions(quiz, state: set[str]) -> int:
    """Questions "halve the rest" asks: each time the module whose worse
    answer settles the most undecided modules, ties to the earlier one."""
    known = unknown = 0
    state_bits = sum(1 << quiz.index[m] for m in state)
    asked = 0
    while undecided := quiz.everything & ~(known | unknown):
        best = max(range(len(quiz.modules)), key=lambda i: (
            undecided >> i & 1 and min((quiz.ancestors[i] & undecided).bit_count(),
                                       (quiz.descendants[i] & undecided).bit_count()), -i))
        asked += 1
        if state_bits >> best & 1:
            known |= quiz.ancestors[best]
        else:
            unknown |= quiz.descendants[best]
    return asked


def fewest_questions(quiz, state: set[str]) -> int:
    """What any exact questionnaire must ask this learner: every known module
    nothing known builds on, and every unknown one whose prerequisites are
    all known (no other answer settles them)."""
    known = sum(1 << quiz.index[m] for m in state)
    unknown = quiz.everything & ~known
    return sum(1 for i in range(len(quiz.modules))
               if (known >> i & 1 and quiz.descendants[i] & known == 1 << i)
               or (unknown >> i & 1 and quiz.ancestors[i] & unknown == 1 << i))


def bench_placement(table: Table, tmp: Path, builtin_learners: int, metacademy_learners: int):
    """`curriculum assess`'s question choice (the library functions the
    command calls) with simulated learners, against asking about every
    module; "halve the rest" and the fewest possible questions for context."""
    sys.path.insert(0, str(REPO))
    from curriculum.pipeline import load
    from curriculum.placement import next_question, placement, questionnaire

    def measure_catalog(loaded, paths, count):
        rng = random.Random(SEED)
        shares, halving, fewest, asked, seconds = [], [], [], 0, 0.0
        for role, size in paths:
            quiz = questionnaire(loaded.catalog, loaded.graph, role, size)
            modules = [m.id for m in quiz.modules]
            for state in placement_learners(modules, loaded.graph, count, rng):
                answers: dict[str, bool] = {}
                t0 = time.perf_counter()
                while (module := next_question(quiz, answers)) is not None:
                    answers[module.id] = module.id in state
                seconds += time.perf_counter() - t0
                asked += len(answers)
                if set(placement(quiz, answers).known) != state:
                    raise Crashed(f"placement on {role}/{size} is not exact")
                shares.append(len(answers) / len(modules))
                halving.append(halving_questions(quiz, state) / len(modules))
                fewest.append(fewest_questions(quiz, state) / len(modules))
        return statistics.mean(shares), statistics.mean(halving), statistics.mean(fewest), seconds / asked

    builtin = load([])
    pairs = [(role, size) for role in builtin.catalog.roles for size in builtin.catalog.sizes]
    metacademy = load([THIRD_PARTY / "metacademy_content" / "modules"])
    cases = [("built-in", builtin, pairs, builtin_learners,
              f"all {len(pairs)} role x size paths (31-36 modules), {builtin_learners} learners each"),
             ("Metacademy", metacademy, [("ml-researcher", "medium")], metacademy_learners,
              f"ml-researcher path (391 modules), {metacademy_learners} learners")]
    for name, loaded, paths, count, what in cases:
        share, halving, fewest, per_question = measure_catalog(loaded, paths, count)
        target = PLACEMENT_TARGETS[name]
        print(f"   {name}: {share:.2%} of the modules asked (halve the rest {halving:.1%}, fewest possible "
              f"{fewest:.1%}), {per_question * 1000:.1f} ms a question", flush=True)
        table.add(f"placement, {name} catalog, {what} (knowing all below 1-3 random modules): questions asked, "
                  f"share of the path's modules", f"{share:.2%}", "100% (asking about every module)", share,
                  f"<= {target:.0%}", share <= target)
        table.add(f"placement, {name} catalog: \"halve the rest\"; the fewest any exact questionnaire asks "
                  f"(each learner's known modules nothing known builds on, and unknown ones with every "
                  f"prerequisite known)", f"{halving:.1%}; {fewest:.1%}")
        if name == "Metacademy":
            table.add(f"placement, {name} catalog: time to choose a question (mean)", f"{per_question * 1000:.1f} ms", "", None,
                      "<= 100 ms", per_question <= 0.1)


# ---------------------------------------------------------------- results


def write_results(text: str):
    block = f"{START}\n{text}\n{END}"
    if RESULTS.exists():
        old = RESULTS.read_text(encoding="utf-8")
        if START in old and END in old and old.index(START) < old.index(END):
            new = old[: old.index(START)] + block + old[old.index(END) + len(END):]
        else:
            new = old.rstrip("\n") + "\n\n" + block + "\n"
    else:
        new = ("# Benchmark results\n\n"
               "Written by `tests/benchmarks/bench.py`; the part between the markers is replaced on each run,\n"
               "the rest of this file is for analysis by hand.\n\n" + block + "\n")
    RESULTS.write_text(new, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", choices=("startup", "build", "progress", "growth", "schedule", "placement"),
                        help="run one group of figures")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print where it is")
    args = parser.parse_args()

    department = 20 if args.quick else 1000
    catalog_sizes = [200, 2000] if args.quick else [500, 5000, 20000]
    team_sizes = [10, 100] if args.quick else [100, 1000, 10000]
    schedule_runs = (2, 2.0) if args.quick else (SCHEDULE_TEAMS, SCHEDULE_TIME)

    machine = (f"{os.cpu_count()} cores, Python {platform.python_version()} "
               f"({platform.system()} {platform.machine()}), curriculum at {REPO}")
    print(machine)
    t0 = time.perf_counter()
    table = Table()
    details: list[str] = []  # the team schedule comparison, team by team
    tmp = Path(tempfile.mkdtemp(prefix="curriculum-bench-"))
    try:
        if args.only in (None, "startup"):
            section(table, "start-up", bench_startup, tmp, 15)
        if args.only in (None, "build"):
            section(table, "department build", bench_build, tmp, department)
        if args.only in (None, "progress"):
            section(table, "re-planning from progress", bench_progress, tmp, department,
                    *((400, 2000) if args.quick else (20_000, 100_000)))
        if args.only in (None, "growth"):
            section(table, "growth", bench_growth, tmp, catalog_sizes, team_sizes)
        if args.only in (None, "schedule"):
            section(table, "team schedule: heuristic vs CP-SAT", bench_schedule, tmp, *schedule_runs, details)
        if args.only in (None, "placement"):
            section(table, "placement questionnaire", bench_placement, tmp, *((4, 20) if args.quick else (40, 200)))
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    total = time.perf_counter() - t0

    mode = " ".join(filter(None, ["--quick" if args.quick else "", f"--only {args.only}" if args.only else ""]))
    header = (f"Run {dt.datetime.now():%Y-%m-%d %H:%M}, `bench.py{' ' + mode if mode else ''}`, "
              f"took {total:.0f} s. Machine: {machine.split(', curriculum at')[0]}.")
    print()
    print(header)
    print()
    text = table.markdown() + ("\n\nTeam schedules, heuristic vs CP-SAT:\n\n" + "\n".join(details) if details else "")
    print(text)
    write_results(header + "\n\n" + text)
    print(f"\nwritten to {RESULTS.relative_to(REPO)}")
    return 1 if table.crashed else 0


if __name__ == "__main__":
    sys.exit(main())
