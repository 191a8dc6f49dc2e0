"""The command line: parse flags, call the library, print. Only this module
prints; the library logs."""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import io
import logging
import os
import re
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .errors import CurriculumError
from .limits import MAX_HOURS_PER_WEEK, parse_date
from .render import FORMATS

log = logging.getLogger("curriculum")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        # Every user error exits 1, command-line mistakes included.
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {printable(message)}\n")

    def _print_message(self, message: str, file=None):
        # argparse ignores failed writes: help and version are output like any other.
        if file is sys.stdout:
            _write_stdout(message)
            _flush_stdout()
        else:
            super()._print_message(message, file)


def _date(text: str) -> dt.date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _hours_per_week(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= MAX_HOURS_PER_WEEK:  # NaN fails too
        raise argparse.ArgumentTypeError(
            f"expected hours per week above 0 and at most {MAX_HOURS_PER_WEEK:g}, got {text!r}"
        )
    return value


def _parser() -> argparse.ArgumentParser:
    # -v and -q work before or after the command; SUPPRESS keeps a
    # subcommand's unset flag from overriding one given before it.
    verbosity = argparse.ArgumentParser(add_help=False)
    verbosity.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                           help="say more about what happens")
    verbosity.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                           help="print errors only")
    parser = _Parser(prog="curriculum", description="Tailored ML upskilling paths, published as syllabi.",
                     parents=[verbosity])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    def catalog_options(sub):
        sub.add_argument(
            "--modules", action="append", type=Path, default=[], metavar="DIR",
            help="catalog folder; repeat to merge, later ids replace earlier (default: built-in catalog)",
        )

    def render_options(sub, default_formats):
        sub.add_argument(
            "--format", dest="formats", action="extend", nargs="+", choices=FORMATS, metavar="FORMAT",
            help=f"output formats: {', '.join(FORMATS)} (default: {' '.join(default_formats)})",
        )
        sub.add_argument("--templates", action="append", type=Path, default=[], metavar="DIR",
                         help="folder of templates that override the built-in ones")
        sub.add_argument("--hours-per-week", type=_hours_per_week, default=5.0, metavar="H",
                         help="study hours per week (default: 5)")
        sub.add_argument("--start", type=_date, metavar="YYYY-MM-DD", help="start date of week 1")

    validate = commands.add_parser("validate", help="check a catalog and report every problem", parents=[verbosity])
    catalog_options(validate)

    path = commands.add_parser("path", help="one tailored syllabus for a role and company size", parents=[verbosity])
    path.add_argument("--role", required=True)
    path.add_argument("--size", required=True)
    path.add_argument("--knows", action="extend", nargs="+", default=[], metavar="ID",
                      help="modules already known (their prerequisites count as known too)")
    path.add_argument("--goal", dest="goals", action="extend", nargs="+", default=[], metavar="ID",
                      help="extra modules to reach")
    catalog_options(path)
    render_options(path, ("md", "html"))
    path.add_argument("-o", "--output", default="output", metavar="DIR",
                      help="output folder, or - for stdout (one format) (default: output)")

    assess = commands.add_parser("assess", help="a few questions that find what you already know of a path",
                                 parents=[verbosity])
    assess.add_argument("--role", required=True)
    assess.add_argument("--size", required=True)
    assess.add_argument("--goal", dest="goals", action="extend", nargs="+", default=[], metavar="ID",
                        help="extra modules to reach")
    assess.add_argument("--plain", action="store_true",
                        help="line protocol for scripts: each question is a line '? ID: TITLE', each answer a line "
                             "y, n or s (not sure) on standard input; the last line is 'knows: ID ...'")
    catalog_options(assess)

    build = commands.add_parser("build", help="every role x size syllabus and an index (the main job)", parents=[verbosity])
    catalog_options(build)
    render_options(build, ("md", "html"))
    build.add_argument("-o", "--output", default="output", metavar="DIR", help="output folder (default: output)")

    def team_options(sub, teams: str):
        """How teams are planned: the same options, read the same way, for
        `team` and `publish --team`."""
        sub.add_argument("--size", help=f"company size of {teams} (overrides the file's; needed for CSV)")
        sub.add_argument("--start", type=_date, metavar="YYYY-MM-DD", help="start date of week 1 (overrides the file's)")
        sub.add_argument("--hours-per-week", type=_hours_per_week, metavar="H",
                         help="study hours per week for members who don't say (overrides the file's; default 5)")
        sub.add_argument("--no-cohorts", action="store_true",
                         help="plan everyone alone, without group sessions")
        sub.add_argument("--progress", action="append", type=Path, default=[], metavar="FILE",
                         help="progress to re-plan from: a CSV (name,email,module,status,date) or xAPI statements "
                              "(.json); repeatable, the latest word per person and module wins")
        sub.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD",
                         help="with --progress: the date to re-plan from (default: today)")
        sub.add_argument("--baseline", type=Path, metavar="TEAM_JSON",
                         help="with --progress: the team.json of an earlier run to measure against "
                              "(default: the plan without progress)")
        sub.add_argument("--assessment", type=Path, metavar="RESPONSES_CSV",
                         help="survey answers (email or name, then a yes/no column per module id): each "
                              "member's yes answers join their knows")

    team = commands.add_parser("team", help="a syllabus per member, a team overview, cohorts, calendar and CSV",
                               parents=[verbosity])
    team.add_argument("team_file", type=Path, metavar="TEAM_FILE", help="team file: .yaml/.yml or .csv")
    team_options(team, "the team")
    catalog_options(team)
    team.add_argument("--format", dest="formats", action="extend", nargs="+", choices=FORMATS, metavar="FORMAT",
                      help=f"output formats: {', '.join(FORMATS)} (default: md html)")
    team.add_argument("--templates", action="append", type=Path, default=[], metavar="DIR",
                      help="folder of templates that override the built-in ones")
    team.add_argument("-o", "--output", metavar="DIR",
                      help="output folder (default: output/teams/TEAM-NAME), or - for team.json on stdout "
                           "(with --format json)")

    publish = commands.add_parser("publish", help="lay the syllabi out for a wiki, site or LMS, and push a git wiki",
                                  parents=[verbosity])
    publish.add_argument("--target", required=True, choices=PUBLISH_TARGETS, help="where the syllabi go")
    publish.add_argument("--team", dest="teams", action="append", type=Path, default=[], metavar="TEAM_FILE",
                         help="also publish this team's plan (repeatable)")
    publish.add_argument("--push", metavar="URL",
                         help="git-wiki: commit and push to this wiki remote; dokuwiki: write through this "
                              "wiki's XML-RPC API")
    publish.add_argument("--message", default="Update ML upskilling syllabi",
                         help="commit message (git-wiki) or edit summary (dokuwiki)")
    publish.add_argument("--user", help="dokuwiki: the user to log in as (password in CURRICULUM_DOKUWIKI_PASSWORD)")
    publish.add_argument("--namespace", help="dokuwiki: the namespace of the pages (default: ml-upskilling)")
    publish.add_argument("--base-url", metavar="URL",
                         help="cmi5: where the static site (publish --target site) is served; each module "
                              "launches its page there")
    catalog_options(publish)
    publish.add_argument("--templates", action="append", type=Path, default=[], metavar="DIR",
                         help="folder of templates that override the built-in ones")
    team_options(publish, "the teams; the syllabi cover every size")
    publish.add_argument("-o", "--output", metavar="DIR", help="output folder (default: output/TARGET)")

    lint = commands.add_parser("lint", help="hold the catalog and its paths to the teaching stance",
                               parents=[verbosity])
    catalog_options(lint)
    lint.add_argument("--role", help="check only this role's path (with --size)")
    lint.add_argument("--size", help="check only this company size's path (with --role); with --team, "
                                      "the team's company size")
    lint.add_argument("--team", type=Path, metavar="TEAM_FILE", help="check a team file's structure instead")
    lint.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    lint.add_argument("--explain", metavar="CODE", help="print what a check looks for and why, then exit")

    listing = commands.add_parser("list", help="list roles, sizes or modules", parents=[verbosity])
    listing.add_argument("what", choices=("roles", "sizes", "modules"))
    catalog_options(listing)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Text a terminal or pipe cannot encode (PYTHONIOENCODING=ascii, a C
    # locale) is written as escapes such as \xe9 instead of failing.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        args = _parser().parse_args(argv)
    except StdoutError as exc:  # --help or --version
        _stdout_failed(exc)
        return 1
    args.verbose = getattr(args, "verbose", False)
    args.quiet = getattr(args, "quiet", False)
    level = logging.ERROR if args.quiet else logging.INFO if args.verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PrintableFormatter("curriculum: %(message)s"))
    log.addHandler(handler)
    log.setLevel(level)
    # SIGTERM ends a run like Ctrl-C does: staging is cleaned up and the
    # output folder keeps its old contents.
    previous_sigterm = signal.signal(signal.SIGTERM, _interrupt)
    try:
        code = _COMMANDS[args.command](args)
        _flush_stdout()
        return code
    except StdoutError as exc:
        _stdout_failed(exc)
        return 1
    except CurriculumError as exc:
        for problem in exc.problems:
            _error(str(problem) if problem.path else f"curriculum: error: {problem}")
        return 1
    except KeyboardInterrupt:
        _error("curriculum: interrupted; the output folder holds the previous or the new generated files, never a mix")
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)
        log.removeHandler(handler)
        _settle_stdout()


# Control characters (terminal escape sequences start with one) and
# bidirectional overrides: no message may move the cursor, recolour the
# terminal, set its title or reorder what it shows, whatever text it quotes.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with every control character written as an escape, such as \\x1b."""
    return _UNPRINTABLE.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


class _PrintableFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


class StdoutError(CurriculumError):
    """Standard output is closed, full or gone."""

    def __init__(self, exc: OSError):
        super().__init__(exc.strerror or str(exc))
        self.errno, self.strerror = exc.errno, exc.strerror or str(exc)


def _say(line: str) -> None:
    """One line of output: a message or a listing, never a document."""
    _write_stdout(printable(line) + "\n")


def _write_stdout(data: str | bytes) -> None:
    """Write to standard output; documents (bytes) exactly, as UTF-8."""
    try:
        if sys.stdout is None:  # started with standard output closed
            raise OSError(errno.EBADF, "standard output is closed")
        if isinstance(data, str):
            sys.stdout.write(data)
        elif hasattr(sys.stdout, "buffer"):
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data.decode("utf-8"))
    except OSError as exc:
        raise StdoutError(exc) from None


def _flush_stdout() -> None:
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError as exc:
        raise StdoutError(exc) from None


def _stdout_failed(exc: StdoutError) -> None:
    if exc.errno != errno.EPIPE:  # a reader that went away (`| head`) needs no message
        _error(f"curriculum: error: cannot write to standard output: {exc.strerror}")
    _settle_stdout()


def _settle_stdout() -> None:
    """Make sure output that could not be written is not tried again at exit
    (which would print "Exception ignored" noise)."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError):
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
            os.close(null)
        except (OSError, ValueError, io.UnsupportedOperation):
            pass


def _error(line: str) -> None:
    """One line on standard error; if that is gone too, there is no one to tell."""
    try:
        if sys.stderr is not None:
            print(printable(line), file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _validate(args) -> int:
    from .pipeline import load

    loaded = load(args.modules)
    catalog = loaded.catalog
    if not args.quiet:
        _say(
            f"ok: {len(catalog.modules)} modules, {loaded.graph.number_of_edges()} prerequisite links, "
            f"{len(catalog.roles)} roles, {len(catalog.sizes)} sizes"
        )
    return 0


def _path(args) -> int:
    from .model import Profile
    from .pipeline import path, path_pages

    profile = Profile(
        role=args.role, size=args.size, knows=tuple(args.knows), goals=tuple(args.goals),
        hours_per_week=args.hours_per_week, start=args.start,
    )
    formats = tuple(dict.fromkeys(args.formats or ("md", "html")))
    if args.output == "-":
        if len(formats) != 1:
            raise CurriculumError("-o - writes to stdout and takes exactly one --format")
        _, pages = path_pages(profile, args.modules, formats, _templates(args))
        _write_document(next(iter(pages.values())))
        return 0
    written = path(profile, args.modules, Path(args.output), formats, _templates(args))
    _report(args, written, args.output)
    return 0


def _assess(args) -> int:
    from .pipeline import load
    from .placement import next_question, placement, questionnaire

    loaded = load(args.modules)
    quiz = questionnaire(loaded.catalog, loaded.graph, args.role, args.size, args.goals)
    if not args.plain:
        _assess_intro(loaded.catalog, quiz)
    ask = _ask_plain if args.plain else _ask_interactive
    answers: dict[str, bool] = {}
    while (module := next_question(quiz, answers)) is not None:
        answers[module.id] = ask(quiz, module, len(answers) + 1)
    result = placement(quiz, answers)
    if args.plain:
        _say("knows:" + "".join(f" {module_id}" for module_id in result.knows))
        if result.missing_assumed:
            one = len(result.missing_assumed) == 1
            log.warning("the role assumes %s, which the answers say %s not known: add --goal %s to put %s on the path",
                        ", ".join(result.missing_assumed), "is" if one else "are", " ".join(result.missing_assumed),
                        "it" if one else "them")
    else:
        _assess_outro(args, quiz, result)
    return 0


# Answers --plain takes, one a line; "not sure" counts as no.
PLAIN_ANSWERS = {"y": True, "n": False, "s": False}
INTERACTIVE_ANSWERS = {"y": True, "yes": True, "n": False, "no": False, "s": False, "not sure": False}


def _ask_plain(quiz, module, number: int) -> bool:
    from .text import one_line

    _say(f"? {module.id}: {one_line(module.title)}")
    _flush_stdout()
    answer = _read_answer(module).strip()
    if answer not in PLAIN_ANSWERS:
        raise CurriculumError(f"line {number} of standard input, the answer about '{module.id}': expected y, n or s, "
                              f"not '{one_line(answer, 40)}'")
    return PLAIN_ANSWERS[answer]


def _ask_interactive(quiz, module, number: int) -> bool:
    from .text import one_line

    _say("")
    _say(f"{number}. {one_line(module.title)} ({module.hours:g} h, {module.level})")
    if quiz.is_assumed(module.id):
        _say("   Your role is assumed to know this, so your path leaves it out.")
    if module.summary:
        _say(f"   {one_line(module.summary)}")
    if module.outcomes:
        _say("   You can:")
        for outcome in module.outcomes:
            _say(f"   - {one_line(outcome)}")
    while True:
        _write_stdout("Could you do all of this today? [y/n/s] ")
        _flush_stdout()
        answer = " ".join(_read_answer(module).lower().split())
        if answer in INTERACTIVE_ANSWERS:
            return INTERACTIVE_ANSWERS[answer]
        _say("Please answer y (yes), n (no) or s (not sure, which counts as no).")


def _read_answer(module) -> str:
    try:
        line = sys.stdin.readline() if sys.stdin is not None else ""
    except UnicodeDecodeError as exc:
        raise CurriculumError(f"the answer about '{module.id}' is not text in the terminal's encoding ({exc.reason})")
    if not line:
        raise CurriculumError(f"standard input ended before the answer about '{module.id}'; nothing was placed")
    return line


def _assess_intro(catalog, quiz) -> None:
    role, size = catalog.roles[quiz.role], catalog.sizes[quiz.size]
    on_path = quiz.on_path.bit_count()
    assumed = len(quiz.modules) - on_path
    _say(f"Placement for {role.title} at a {size.title.lower()}: {on_path} modules on the path"
         + (f", and {assumed} the role assumes you know (asked first)." if assumed else "."))
    _say("For each module: could you do everything it lists today? y = yes, n = no, s = not sure (counts as no).")
    _say("A yes settles what the module builds on, and a no what builds on it, so you answer only some of them.")


def _assess_outro(args, quiz, result) -> None:
    import shlex

    from .placement import team_snippet

    on_path = quiz.on_path.bit_count()
    known_on_path = sum(not quiz.is_assumed(module_id) for module_id in result.known)
    _say("")
    if known_on_path:
        _say(f"You can already do {known_on_path} of the {on_path} modules on the path: "
             f"{result.hours_saved:g} hours saved.")
    else:
        _say(f"You cannot do any of the {on_path} modules on the path yet: it stays as it is.")
    if result.missing_assumed:
        them = "it" if len(result.missing_assumed) == 1 else "them"
        _say(f"The role assumes {', '.join(result.missing_assumed)}, which you cannot do yet: add {them} as goals "
             f"to put {them} on your path.")
    _say("knows:" + "".join(f" {module_id}" for module_id in result.knows))
    _say("")
    _say("For your entry in a team file:")
    for line in team_snippet(result).splitlines():
        _say(f"  {line}")
    command = ["curriculum", "path", "--role", quiz.role, "--size", quiz.size]
    command += [flag for directory in args.modules for flag in ("--modules", str(directory))]
    goals = [*args.goals, *result.missing_assumed]
    command += ["--goal", *goals] if goals else []
    command += ["--knows", *result.knows] if result.knows else []
    _say(f"Or plan with it: {shlex.join(command)}")


def _write_document(page: str | bytes) -> None:
    """A whole document on standard output: UTF-8 bytes, whatever the locale."""
    _write_stdout(page.encode("utf-8") if isinstance(page, str) else page)
    _flush_stdout()


def _build(args) -> int:
    from .pipeline import build

    if args.output == "-":
        raise CurriculumError("build writes a folder of syllabi, not one document for standard output; for one "
                              "syllabus there use: curriculum path --role ROLE --size SIZE --format FORMAT -o -")
    formats = tuple(dict.fromkeys(args.formats or ("md", "html")))
    written = build(args.modules, Path(args.output), formats, _templates(args), args.hours_per_week, args.start)
    _report(args, written, args.output)
    return 0


def _team(args) -> int:
    from .pipeline import team, team_json

    formats = tuple(dict.fromkeys(args.formats or ("md", "html")))
    if args.output == "-":
        if formats != ("json",):
            raise CurriculumError("-o - writes the team plan (team.json) to standard output and takes --format json; "
                                  "for one person's syllabus use: curriculum path ... -o -")
        with _progress(args, "planning") as tick:
            document = team_json(args.team_file, args.modules, _team_options(args), tick)
        _write_document(document)
        return 0
    with _progress(args, "planning") as tick:
        out_dir, written = team(args.team_file, args.modules, args.output and Path(args.output), formats,
                                _templates(args), _team_options(args), tick)
    _report(args, written, out_dir)
    return 0


def _templates(args):
    """The templates as the command line finds them: the --templates folders,
    the cache folder the environment names and the configured browser."""
    from .cache import default_cache_dir
    from .render import Templates

    cache_dir = default_cache_dir()
    return Templates(tuple(args.templates), cache_dir and Path(cache_dir), os.environ.get("CURRICULUM_CHROMIUM"))


def _team_options(args):
    from .pipeline import TeamOptions

    return TeamOptions(args.size, args.start, args.hours_per_week, not args.no_cohorts, tuple(args.progress),
                       args.as_of, args.baseline, args.assessment)


# Seconds a run must take before its progress bar appears.
PROGRESS_DELAY = 0.5


@contextmanager
def _progress(args, label: str):
    """A progress bar on a terminal, for runs long enough to notice; silent
    otherwise."""
    from tqdm import tqdm

    # No monitor thread (it only tunes the refresh of bars that stall): a
    # team's syllabi are rendered in a forked process, unsafe beside a thread.
    tqdm.monitor_interval = 0
    quiet = args.quiet or not sys.stderr.isatty()
    with tqdm(desc=label, unit=" people", delay=PROGRESS_DELAY, disable=quiet, leave=False, file=sys.stderr) as bar:
        def tick(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield tick


def _publish(args) -> int:
    from .pipeline import publish
    from .publish.remote import display_url

    if args.output == "-":
        raise CurriculumError("publish lays out a folder of pages, not one document for standard output: give -o DIR")
    out_dir, written, pushed = publish(
        args.target, args.modules, args.output and Path(args.output), args.teams, _templates(args),
        _team_options(args), args.push, args.message, args.user, os.environ.get("CURRICULUM_DOKUWIKI_PASSWORD"),
        args.namespace, args.base_url,
    )
    _report(args, written, out_dir)
    if pushed and not args.quiet:
        _say(f"pushed to {display_url(args.push)}: {pushed[:12] if args.target == 'git-wiki' else pushed}")
    return 0


def _lint(args) -> int:
    from .lint import CHECKS, ERROR
    from .pipeline import lint

    if args.explain:
        check = CHECKS.get(args.explain.upper())
        if check is None:
            raise CurriculumError(f"unknown check '{args.explain}'; checks: {', '.join(CHECKS)}")
        _say(f"{check.code} ({check.severity}): {check.title}")
        _say(check.rationale)
        return 0
    if args.team is not None:
        from .pipeline import lint_team

        findings = lint_team(args.team, args.modules, args.size)
    elif (args.role is None) != (args.size is None):
        raise CurriculumError("--role and --size go together")
    else:
        findings = lint(args.modules, args.role, args.size)
    for finding in findings:
        _say(str(finding))
    errors = sum(f.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    if not args.quiet:
        _error(f"lint: {errors} error(s), {warnings} warning(s)")
    return 1 if errors or (args.strict and warnings) else 0


def _list(args) -> int:
    from .pipeline import load

    catalog = load(args.modules).catalog
    if args.what == "roles":
        rows = [(r.id, r.title) for r in catalog.roles.values()]
    elif args.what == "sizes":
        rows = [(s.id, s.title) for s in catalog.sizes.values()]
    else:
        rows = [
            (m.id, f"{m.hours:g}h", m.level, m.stage or "-", m.title) for m in catalog.modules.values()
        ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)] if rows else []
    for row in rows:
        _say("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    return 0


def _report(args, written: list[str], out_dir) -> None:
    if not args.quiet:
        _say(f"wrote {len(written)} file(s) to {out_dir}/")


_COMMANDS = {
    "validate": _validate, "path": _path, "build": _build, "team": _team, "publish": _publish, "lint": _lint,
    "list": _list, "assess": _assess,
}
# Kept here, not imported from .publish, so that --help stays quick.
PUBLISH_TARGETS = (
    "site", "mkdocs", "git-wiki", "dokuwiki", "confluence", "moodle-competencies", "canvas-outcomes", "degreed",
    "open-badges", "common-cartridge", "cmi5",
)
