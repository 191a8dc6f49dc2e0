"""The command line: parse flags, call the library, print. Only this module
prints; the library logs."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .errors import CurriculumError
from .render import FORMATS

log = logging.getLogger("curriculum")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        # Every user error exits 1, command-line mistakes included.
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2027-01-11, got {text!r}") from None


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (0 < value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a positive number of hours, got {text!r}")
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
        sub.add_argument("--hours-per-week", type=_positive, default=5.0, metavar="H",
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

    build = commands.add_parser("build", help="every role x size syllabus and an index (the main job)", parents=[verbosity])
    catalog_options(build)
    render_options(build, ("md", "html"))
    build.add_argument("-o", "--output", type=Path, default=Path("output"), metavar="DIR",
                       help="output folder (default: output)")

    team = commands.add_parser("team", help="a syllabus per member, a team overview, cohorts, calendar and CSV",
                               parents=[verbosity])
    team.add_argument("team_file", type=Path, metavar="TEAM_FILE", help="team file: .yaml/.yml or .csv")
    team.add_argument("--size", help="company size (overrides the file's; needed for CSV)")
    team.add_argument("--start", type=_date, metavar="YYYY-MM-DD", help="start date of week 1 (overrides the file's)")
    team.add_argument("--hours-per-week", type=_positive, metavar="H",
                      help="study hours per week for members who don't say (overrides the file's; default 5)")
    catalog_options(team)
    team.add_argument("--format", dest="formats", action="extend", nargs="+", choices=FORMATS, metavar="FORMAT",
                      help=f"output formats: {', '.join(FORMATS)} (default: md html)")
    team.add_argument("--templates", action="append", type=Path, default=[], metavar="DIR",
                      help="folder of templates that override the built-in ones")
    team.add_argument("-o", "--output", type=Path, metavar="DIR",
                      help="output folder (default: output/teams/TEAM-NAME)")

    publish = commands.add_parser("publish", help="lay the syllabi out for a wiki or site, and push a git wiki",
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
    catalog_options(publish)
    publish.add_argument("--templates", action="append", type=Path, default=[], metavar="DIR",
                         help="folder of templates that override the built-in ones")
    publish.add_argument("--hours-per-week", type=_positive, default=5.0, metavar="H",
                         help="study hours per week (default: 5)")
    publish.add_argument("--start", type=_date, metavar="YYYY-MM-DD", help="start date of week 1")
    publish.add_argument("-o", "--output", type=Path, metavar="DIR", help="output folder (default: output/TARGET)")

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
    args = _parser().parse_args(argv)
    args.verbose = getattr(args, "verbose", False)
    args.quiet = getattr(args, "quiet", False)
    level = logging.ERROR if args.quiet else logging.INFO if args.verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("curriculum: %(message)s"))
    log.addHandler(handler)
    log.setLevel(level)
    # SIGTERM ends a run like Ctrl-C does: staging is cleaned up and the
    # output folder keeps its old contents.
    previous_sigterm = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _COMMANDS[args.command](args)
    except CurriculumError as exc:
        for problem in exc.problems:
            print(problem if problem.path else f"curriculum: error: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("curriculum: interrupted; the output folder was left as it was", file=sys.stderr)
        return 130
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (`| head`); nothing to report
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)
        log.removeHandler(handler)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _validate(args) -> int:
    from .pipeline import load

    loaded = load(args.modules)
    catalog = loaded.catalog
    if not args.quiet:
        print(
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
        _, pages = path_pages(profile, args.modules, formats, args.templates)
        page = next(iter(pages.values()))
        if isinstance(page, bytes):
            sys.stdout.buffer.write(page)
        else:
            sys.stdout.write(page)
        sys.stdout.flush()
        return 0
    written = path(profile, args.modules, Path(args.output), formats, args.templates)
    _report(args, written, args.output)
    return 0


def _build(args) -> int:
    from .pipeline import build

    formats = tuple(dict.fromkeys(args.formats or ("md", "html")))
    written = build(args.modules, args.output, formats, args.templates, args.hours_per_week, args.start)
    _report(args, written, args.output)
    return 0


def _team(args) -> int:
    from .pipeline import team

    formats = tuple(dict.fromkeys(args.formats or ("md", "html")))
    with _progress(args, "planning") as tick:
        out_dir, written = team(args.team_file, args.modules, args.output, formats, args.templates,
                                args.size, args.start, args.hours_per_week, progress=tick)
    _report(args, written, out_dir)
    return 0


# Seconds a run must take before its progress bar appears.
PROGRESS_DELAY = 0.5


@contextmanager
def _progress(args, label: str):
    """A progress bar on a terminal, for runs long enough to notice; silent
    otherwise."""
    from tqdm import tqdm

    quiet = args.quiet or not sys.stderr.isatty()
    with tqdm(desc=label, unit=" people", delay=PROGRESS_DELAY, disable=quiet, leave=False, file=sys.stderr) as bar:
        def tick(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield tick


def _publish(args) -> int:
    from .pipeline import publish

    out_dir, written, pushed = publish(
        args.target, args.modules, args.output, args.teams, args.templates, args.hours_per_week, args.start,
        args.push, args.message, args.user, os.environ.get("CURRICULUM_DOKUWIKI_PASSWORD"), args.namespace,
    )
    _report(args, written, out_dir)
    if pushed and not args.quiet:
        print(f"pushed to {args.push}: {pushed[:12] if args.target == 'git-wiki' else pushed}")
    return 0


def _lint(args) -> int:
    from .lint import CHECKS, ERROR
    from .pipeline import lint

    if args.explain:
        check = CHECKS.get(args.explain.upper())
        if check is None:
            raise CurriculumError(f"unknown check '{args.explain}'; checks: {', '.join(CHECKS)}")
        print(f"{check.code} ({check.severity}): {check.title}\n{check.rationale}")
        return 0
    if args.team is not None:
        from .pipeline import lint_team

        findings = lint_team(args.team, args.modules, args.size)
    elif (args.role is None) != (args.size is None):
        raise CurriculumError("--role and --size go together")
    else:
        findings = lint(args.modules, args.role, args.size)
    for finding in findings:
        print(finding)
    errors = sum(f.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    if not args.quiet:
        print(f"lint: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
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
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    return 0


def _report(args, written: list[str], out_dir) -> None:
    if not args.quiet:
        print(f"wrote {len(written)} file(s) to {out_dir}/")


_COMMANDS = {
    "validate": _validate, "path": _path, "build": _build, "team": _team, "publish": _publish, "lint": _lint,
    "list": _list,
}
# Kept here, not imported from .publish, so that --help stays quick.
PUBLISH_TARGETS = ("site", "mkdocs", "git-wiki", "dokuwiki", "confluence")
