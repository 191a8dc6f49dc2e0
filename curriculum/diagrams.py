"""Pictures of a path: the prerequisite graph, in lanes by stage and columns
by prerequisite depth, coloured by stage, and a week-by-week timeline.

Layout is computed here as plain data; templates draw it (inline SVG in HTML,
Mermaid in Markdown), so a user can restyle the pictures like any other part
of a page. Nothing needs the network.
"""

from __future__ import annotations

import graphlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import networkx as nx

from .model import LEVELS, STAGES, Module, Plan, TeamPlan

# One colour per lifecycle stage (Okabe-Ito based, readable with colour-blindness),
# with a text colour that keeps contrast above 4.5:1.
STAGE_COLOURS = {
    "foundations": ("#e8e8e8", "#1d2433"),
    "problem-framing": ("#f0e442", "#1d2433"),
    "data": ("#56b4e9", "#1d2433"),
    "modeling": ("#0072b2", "#ffffff"),
    "evaluation": ("#009e73", "#ffffff"),
    "deployment": ("#e69f00", "#1d2433"),
    "monitoring": ("#d55e00", "#ffffff"),
    "team-practice": ("#cc79a7", "#1d2433"),
}
NO_STAGE = ("#ffffff", "#1d2433")

NODE_WIDTH, NODE_HEIGHT = 180, 40
COLUMN_GAP, ROW_GAP, MARGIN = 50, 14, 10
LANE_HEADER, LANE_GAP = 22, 12
LABEL_CHARS = 23
# A map of this many modules gets pan, zoom and a focus view in HTML; one of
# OVERVIEW_MODULES also gets a stages x levels table of counts. The built-in
# catalog's paths (about 35 modules) stay plain pictures.
INTERACTIVE_MODULES, OVERVIEW_MODULES = 60, 150
# Rounds of moving modules towards the mean row of their neighbours, the
# last one left to right: on the Metacademy path's map, five take crossings
# from about 19,000 (modules in id order) to 5,700, and more gain little.
ORDER_SWEEPS = 5


@dataclass(frozen=True)
class Node:
    id: str
    title: str
    label: str  # the title, shortened to fit its box
    stage: str | None
    level: str
    fill: str
    ink: str
    x: float
    y: float
    milestone: bool
    needs: tuple[str, ...]  # the prerequisites drawn as arrows into it


@dataclass(frozen=True)
class Edge:
    source: str  # the prerequisite
    target: str  # the module that needs it
    path: str  # SVG path data from the prerequisite to the module


@dataclass(frozen=True)
class Lane:
    """The band of rows that holds one stage's modules."""

    stage: str | None
    name: str
    y: float
    height: float


@dataclass(frozen=True)
class OverviewRow:
    stage: str | None
    name: str
    counts: tuple[int, ...]  # modules of each of LEVELS


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]  # by lane, then column, then row: the order Tab visits them
    edges: tuple[Edge, ...]
    width: float
    height: float
    # (prerequisite id, module id) for each edge, sorted: the transitive reduction.
    links: tuple[tuple[str, str], ...]
    stages: tuple[tuple[str, str, str], ...]  # legend: (stage, fill, ink) for stages present
    lanes: tuple[Lane, ...]  # empty when every module is in one lane
    interactive: bool  # large enough for pan, zoom and the focus view
    overview: tuple[OverviewRow, ...]  # empty below OVERVIEW_MODULES


def reduced_prerequisites(modules: Mapping[str, Module]) -> dict[str, list[str]]:
    """Each module's prerequisites among `modules` that a map draws: the
    transitive reduction of the prerequisite graph (no arrow where another
    route already leads), in the order the module lists them."""
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    graph.add_edges_from((prerequisite, module_id) for module_id, module in modules.items()
                         for prerequisite in module.prerequisites if prerequisite in modules)
    reduced = nx.transitive_reduction(graph)
    return {module_id: [p for p in module.prerequisites if p in modules and reduced.has_edge(p, module_id)]
            for module_id, module in modules.items()}


def prerequisite_graph(plan: Plan) -> Graph:
    """The map of a path's modules, whatever their order on the path (so a
    department draws it once per distinct set of modules): only the arrows a
    reader needs (the transitive reduction); one lane of rows per stage, in
    STAGES order, modules with no stage last; columns by prerequisite depth;
    and in each lane and column, modules near the mean row of the modules
    they link to, which keeps arrows short and crossings few."""
    modules = {module.id: module for module in sorted((step.module for step in plan.steps), key=lambda m: m.id)}
    needs = reduced_prerequisites(modules)
    needed_by: dict[str, list[str]] = {module_id: [] for module_id in modules}
    for module_id, prerequisites in needs.items():
        for prerequisite in prerequisites:
            needed_by[prerequisite].append(module_id)
    column: dict[str, int] = {}
    for module_id in graphlib.TopologicalSorter(needs).static_order():
        column[module_id] = 1 + max((column[p] for p in needs[module_id]), default=-1)
    lane_of = {module_id: STAGES.index(module.stage) if module.stage in STAGES else len(STAGES)
               for module_id, module in modules.items()}
    cells: dict[tuple[int, int], list[str]] = {}
    for module_id in modules:
        cells.setdefault((lane_of[module_id], column[module_id]), []).append(module_id)
    lanes = sorted(set(lane_of.values()))
    rows = {lane: max(len(ids) for (in_lane, _), ids in cells.items() if in_lane == lane) for lane in lanes}
    pitch = NODE_HEIGHT + ROW_GAP
    headed = len(lanes) > 1  # one lane needs no name
    lane_top, top = {}, MARGIN
    for lane in lanes:
        lane_top[lane] = top + (LANE_HEADER if headed else 0)
        top = lane_top[lane] + rows[lane] * pitch - ROW_GAP + LANE_GAP
    columns = max(column.values(), default=-1) + 1
    row = _rows(cells, columns, lanes, rows, lane_top, lane_of, needs, needed_by)

    def x_of(module_id: str) -> float:
        return MARGIN + column[module_id] * (NODE_WIDTH + COLUMN_GAP)

    def y_of(module_id: str) -> float:
        return lane_top[lane_of[module_id]] + row[module_id] * pitch

    drawn = sorted(modules, key=lambda module_id: (lane_of[module_id], column[module_id], row[module_id]))
    nodes = []
    for module_id in drawn:
        module = modules[module_id]
        fill, ink = STAGE_COLOURS.get(module.stage, NO_STAGE)
        nodes.append(Node(module_id, module.title, _fit_label(module.title), module.stage, module.level, fill, ink,
                          x_of(module_id), y_of(module_id), module.is_milestone, tuple(needs[module_id])))
    edges = []
    for module_id in drawn:
        for prerequisite in needs[module_id]:
            start_x, start_y = x_of(prerequisite) + NODE_WIDTH, y_of(prerequisite) + NODE_HEIGHT / 2
            end_x, end_y = x_of(module_id), y_of(module_id) + NODE_HEIGHT / 2
            bend = (end_x - start_x) / 2
            edges.append(Edge(prerequisite, module_id,
                              f"M{start_x:g},{start_y:g} C{start_x + bend:g},{start_y:g} "
                              f"{end_x - bend:g},{end_y:g} {end_x:g},{end_y:g}"))
    width = 2 * MARGIN + columns * NODE_WIDTH + max(columns - 1, 0) * COLUMN_GAP
    height = top - LANE_GAP + MARGIN if lanes else 2 * MARGIN
    stage_names = {**{index: stage for index, stage in enumerate(STAGES)}, len(STAGES): None}
    lane_bands = tuple(
        Lane(stage_names[lane], stage_names[lane] or "no stage", lane_top[lane] - LANE_HEADER,
             LANE_HEADER + rows[lane] * pitch - ROW_GAP)
        for lane in lanes) if headed else ()
    overview = ()
    if len(modules) >= OVERVIEW_MODULES:
        overview = tuple(
            OverviewRow(stage_names[lane], stage_names[lane] or "no stage",
                        tuple(sum(lane_of[m] == lane and modules[m].level == level for m in modules)
                              for level in LEVELS))
            for lane in lanes)
    present = {module.stage for module in modules.values()}
    legend = tuple((stage, *STAGE_COLOURS[stage]) for stage in STAGES if stage in present)
    links = tuple(sorted((prerequisite, module_id) for module_id in modules for prerequisite in needs[module_id]))
    return Graph(tuple(nodes), tuple(edges), width, height, links, legend, lane_bands,
                 len(modules) >= INTERACTIVE_MODULES, overview)


def _rows(cells: dict[tuple[int, int], list[str]], columns: int, lanes: list[int], rows: dict[int, int],
          lane_top: dict[int, float], lane_of: dict[str, int], needs: dict[str, list[str]],
          needed_by: dict[str, list[str]]) -> dict[str, int]:
    """Each module's row in its lane: sweeps over the columns, left to right
    by the prerequisites' rows, then right to left by the rows of the modules
    that need them, moving each (lane, column) cell's modules towards the
    mean row of those it links to (the barycentre heuristic)."""
    pitch = NODE_HEIGHT + ROW_GAP
    row = {module_id: index for ids in cells.values() for index, module_id in enumerate(ids)}

    def mean_row(module_id: str, linked: list[str]) -> float:
        """In rows of the module's own lane, which may be outside it."""
        if not linked:
            return row[module_id]
        own_top = lane_top[lane_of[module_id]]
        return sum(lane_top[lane_of[m]] + row[m] * pitch - own_top for m in linked) / pitch / len(linked)

    for sweep in range(ORDER_SWEEPS):
        forward = sweep % 2 == 0
        linked = needs if forward else needed_by
        for at in range(1, columns) if forward else range(columns - 2, -1, -1):
            for lane in lanes:
                ids = cells.get((lane, at))
                if ids:
                    _place(ids, {module_id: mean_row(module_id, linked[module_id]) for module_id in ids}, rows[lane],
                           row)
    return row


def _place(ids: list[str], wanted: dict[str, float], height: int, row: dict[str, int]) -> None:
    """Sort `ids` (one lane's modules in one column) by the row each wants and
    give each the free row nearest it, within the lane's `height` rows."""
    ids.sort(key=lambda module_id: (wanted[module_id], module_id))
    placed: list[int] = []
    for module_id in ids:
        placed.append(max(math.floor(wanted[module_id] + 0.5), placed[-1] + 1 if placed else 0))
    limit = height - 1
    for index in range(len(ids) - 1, -1, -1):  # the bottom ones back inside the lane
        limit = min(placed[index], limit)
        row[ids[index]] = limit
        limit -= 1


# Advance widths in em, rounded up, of DejaVu Sans: among the widest fonts
# system-ui falls back to, so a label that fits with it fits with the others.
_NARROW_CHARS, _WIDE_CHARS = set("'ijlIJ ,./:;\\|f-()[]t!r\""), set("mwMW%@#+<=>^~&OQDGHNU\u2026")
LABEL_EMS = (NODE_WIDTH - 16) / 12  # a node's label: 8 px padding each side, 12 px type


def _em_width(char: str) -> float:
    if char in _NARROW_CHARS:
        return 0.41
    if char in _WIDE_CHARS or not char.isascii():
        return 1.0
    return 0.7 if char.isupper() else 0.64


def _fit_label(title: str) -> str:
    """The title, cut short with an ellipsis where it would overflow a node."""
    title = " ".join(title.split())
    if sum(map(_em_width, title)) <= LABEL_EMS:
        return title
    room, end = LABEL_EMS - _em_width("\u2026"), 0
    while room >= _em_width(title[end]):
        room -= _em_width(title[end])
        end += 1
    return title[:end].rstrip() + "\u2026"


def _shorten(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= LABEL_CHARS else title[: LABEL_CHARS - 1].rstrip() + "\u2026"


def mermaid_label(text: str) -> str:
    """Text safe inside a Mermaid node label ["..."]: no quotes, brackets or
    angle brackets that could end the label or open HTML."""
    replacements = {'"': "#quot;", "<": "#lt;", ">": "#gt;", "[": "(", "]": ")", "{": "(", "}": ")",
                    "|": "/", "`": "'", "#": "#35;"}
    # Character by character, so the "#" of an entity put in is not replaced again.
    return "".join(replacements.get(char, char) for char in " ".join(text.split()))


# Mermaid refuses a whole block beyond its default maxEdges (500) and
# maxTextSize (50,000 characters), as GitHub and GitLab use it. A map is split
# well inside both, and a diagram of more than 150 modules is too dense to
# follow anyway.
MAP_MAX_NODES, MAP_MAX_EDGES, MAP_MAX_CHARS = 150, 300, 40_000
# Upper bounds of the Mermaid text path_map.md.j2 writes besides node labels:
# per node line (with a boundary node's "(map: ...)"), per edge line, and per
# block (header and classDef lines).
NODE_LINE_CHARS, EDGE_LINE_CHARS, BLOCK_CHARS = 100, 24, 1_000


@dataclass(frozen=True)
class MapNode:
    number: int  # position in the path, from 1
    title: str
    stage: str | None
    drawn_in: str | None = None  # for a prerequisite from another part: that part's name


@dataclass(frozen=True)
class MapPart:
    """One Mermaid diagram: modules, and the prerequisites from other parts
    they need, with the links into its modules."""

    name: str  # "" when the whole path is one part
    stage: str | None
    modules: int  # how many modules the part draws, boundary nodes not counted
    nodes: tuple[MapNode, ...]  # in path order
    links: tuple[tuple[int, int], ...]  # (prerequisite, module) numbers


@dataclass(frozen=True)
class MermaidMap:
    parts: tuple[MapPart, ...]
    # (from, to) part numbers, from 1, where a module of one needs one of the other.
    part_links: tuple[tuple[int, int], ...]


def mermaid_map(plan: Plan) -> MermaidMap:
    """The prerequisite map for Mermaid: only the links a reader needs (the
    transitive reduction), in one part if it fits within the MAP_MAX_ limits,
    otherwise in parts by stage, then by level, then in chunks in path order."""
    steps = {step.module.id: (number, step.module) for number, step in enumerate(plan.steps, start=1)}
    # In path order, each module's prerequisites in the order its file lists them.
    needs = reduced_prerequisites({module_id: module for module_id, (_, module) in steps.items()})
    label_chars = {module_id: len(mermaid_label(module.title)) for module_id, (_, module) in steps.items()}

    def too_big(ids: list[str]) -> bool:
        members = set(ids)
        outside = {p for module_id in ids for p in needs[module_id] if p not in members}
        links = sum(len(needs[module_id]) for module_id in ids)
        chars = (BLOCK_CHARS + EDGE_LINE_CHARS * links
                 + sum(NODE_LINE_CHARS + label_chars[node] for node in (*ids, *outside)))
        return len(ids) + len(outside) > MAP_MAX_NODES or links > MAP_MAX_EDGES or chars > MAP_MAX_CHARS

    groups = [("", None, list(steps))] if not too_big(list(steps)) else _map_groups(plan, too_big)
    part_of = {module_id: index for index, (_, _, ids) in enumerate(groups, start=1) for module_id in ids}
    part_names = {index: name for index, (name, _, _) in enumerate(groups, start=1)}
    parts = []
    for index, (name, stage, ids) in enumerate(groups, start=1):
        shown = set(ids) | {p for module_id in ids for p in needs[module_id]}
        nodes = tuple(
            MapNode(number, module.title, module.stage,
                    None if part_of[module_id] == index else part_names[part_of[module_id]])
            for module_id, (number, module) in steps.items() if module_id in shown)
        links = tuple((steps[p][0], steps[module_id][0]) for module_id in ids for p in needs[module_id])
        parts.append(MapPart(name, stage, len(ids), nodes, links))
    part_links = sorted({(part_of[p], part_of[module_id]) for module_id in steps for p in needs[module_id]
                         if part_of[p] != part_of[module_id]})
    return MermaidMap(tuple(parts), tuple(part_links))


def _map_groups(plan: Plan, too_big: Callable[[list[str]], bool]) -> list[tuple[str, str | None, list[str]]]:
    """(name, stage, module ids) for each part of a map too big for one.
    A name says only what tells the parts apart: "data", "data, advanced",
    "advanced, part 2 of 3"."""
    by_stage: dict[str | None, list[str]] = {}
    for stage in (*STAGES, None):
        ids = [step.module.id for step in plan.steps if step.module.stage == stage]
        if ids:
            by_stage[stage] = ids
    level_of = {step.module.id: step.module.level for step in plan.steps}
    groups = []
    for stage, ids in by_stage.items():
        stage_name = [stage or "no stage"] if len(by_stage) > 1 else []
        if not too_big(ids):
            groups.append((", ".join(stage_name), stage, ids))
            continue
        by_level = {level: [i for i in ids if level_of[i] == level] for level in LEVELS}
        by_level = {level: level_ids for level, level_ids in by_level.items() if level_ids}
        for level, level_ids in by_level.items():
            level_name = stage_name + ([level] if len(by_level) > 1 else [])
            chunks = _chunks(level_ids, too_big)
            for number, chunk in enumerate(chunks, start=1):
                chunk_name = [f"part {number} of {len(chunks)}"] if len(chunks) > 1 else []
                groups.append((", ".join(level_name + chunk_name), stage, chunk))
    return groups


def _chunks(ids: list[str], too_big: Callable[[list[str]], bool]) -> list[list[str]]:
    """The fewest runs of even length, in path order, that each fit."""
    for count in range(1, len(ids) + 1):
        size = math.ceil(len(ids) / count)
        chunks = [ids[start:start + size] for start in range(0, len(ids), size)]
        if not any(too_big(chunk) for chunk in chunks):
            return chunks
    return [[module_id] for module_id in ids]  # a module too big alone is still drawn


@dataclass(frozen=True)
class Bar:
    label: str
    title: str
    x: float
    y: float
    width: float
    fill: str
    milestone: bool
    weeks: str  # "3" or "3-4"


@dataclass(frozen=True)
class Timeline:
    bars: tuple[Bar, ...]
    weeks: int
    width: float
    height: float
    ticks: tuple[tuple[float, int], ...]  # (x, week number)
    label_width: float


TIMELINE_LABEL = 200
ROW = 22
WEEK_MIN_WIDTH = 6


def path_timeline(plan: Plan) -> Timeline:
    """One bar per module across the weeks it is worked on."""
    weeks = max(plan.weeks, 1)
    week_width = max(WEEK_MIN_WIDTH, min(40, 640 / weeks))
    bars = []
    for row, step in enumerate(plan.steps):
        fill, _ = STAGE_COLOURS.get(step.module.stage, NO_STAGE)
        span = str(step.week) if step.week == step.end_week else f"{step.week}-{step.end_week}"
        bars.append(Bar(
            _shorten(step.module.title), step.module.title,
            TIMELINE_LABEL + (step.week - 1) * week_width, MARGIN + row * ROW,
            (step.end_week - step.week + 1) * week_width, fill, step.module.is_milestone, span,
        ))
    return _timeline(bars, weeks, week_width, len(plan.steps))


def team_timeline(team_plan: TeamPlan) -> Timeline:
    """One bar per person from week 1 to their last week; the bar is split
    where their first end-to-end system is done."""
    weeks = max(team_plan.weeks, 1)
    week_width = max(WEEK_MIN_WIDTH, min(40, 640 / weeks))
    bars = []
    for row, (member, plan) in enumerate(team_plan.plans):
        milestone = plan.first_milestone
        span = f"1-{plan.weeks}" if plan.weeks > 1 else "1"
        bars.append(Bar(
            _shorten(member.name), f"{member.name}: {plan.role.title}, {plan.total_hours:g} h",
            TIMELINE_LABEL, MARGIN + row * ROW, max(plan.weeks, 1) * week_width,
            STAGE_COLOURS["data"][0], False, span,
        ))
        if milestone is not None:
            bars.append(Bar(
                "", f"{member.name}: first end-to-end system in week {milestone.end_week}",
                TIMELINE_LABEL, MARGIN + row * ROW, milestone.end_week * week_width,
                STAGE_COLOURS["modeling"][0], True, f"1-{milestone.end_week}",
            ))
    return _timeline(bars, weeks, week_width, len(team_plan.plans))


def _timeline(bars: list[Bar], weeks: int, week_width: float, rows: int) -> Timeline:
    step = max(1, math.ceil(weeks / 20))  # at most about 20 week numbers on the axis
    ticks = tuple((TIMELINE_LABEL + (week - 1) * week_width, week) for week in range(1, weeks + 1, step))
    width = TIMELINE_LABEL + weeks * week_width + MARGIN
    height = 2 * MARGIN + rows * ROW + 20
    return Timeline(tuple(bars), weeks, width, height, ticks, TIMELINE_LABEL)


@dataclass(frozen=True)
class Chart:
    """A burn-up chart: cumulative hours (y) by week (x), as SVG polylines."""

    width: int
    height: int
    planned: str  # polyline points
    done: str
    forecast: str
    ticks: tuple[tuple[float, int], ...]  # (x, week)
    levels: tuple[tuple[float, int], ...]  # (y, hours)
    as_of_x: float


CHART_WIDTH, CHART_HEIGHT, CHART_MARGIN = 640, 260, 48


def burn_up_chart(rows) -> Chart:
    """`rows` as `TeamPlan.burn_up` gives them, drawn in a fixed frame."""
    weeks = max((row[0] for row in rows), default=1)
    top = max((value for row in rows for value in row[1:] if value is not None), default=1.0) or 1.0
    inner_w, inner_h = CHART_WIDTH - CHART_MARGIN - 12, CHART_HEIGHT - 36

    def x(week: float) -> float:
        return round(CHART_MARGIN + inner_w * week / weeks, 1)

    def y(hours: float) -> float:
        return round(8 + inner_h * (1 - hours / top), 1)

    def line(column: int) -> str:
        return " ".join(f"{x(row[0])},{y(row[column])}" for row in rows if row[column] is not None)

    step = max(1, math.ceil(weeks / 12))
    hours_step = _nice(top / 4)
    as_of = next((row[0] for row in rows if row[2] is not None and row[3] is not None), weeks)
    return Chart(
        CHART_WIDTH, CHART_HEIGHT, line(1), line(2), line(3),
        tuple((x(week), week) for week in range(step, weeks + 1, step)),
        tuple((y(level), level) for level in range(0, int(top) + 1, hours_step)),
        x(as_of),
    )


def _nice(value: float) -> int:
    """A round step near `value`: 1, 2 or 5 times a power of ten."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= value))
