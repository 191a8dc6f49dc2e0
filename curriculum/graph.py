"""Graph stage: the prerequisite graph of a catalog, checked for missing
prerequisites and cycles. An edge runs from a prerequisite to the module
that needs it."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from .errors import CurriculumError, did_you_mean
from .model import Catalog


def check_graph(catalog: Catalog) -> tuple[nx.DiGraph, list[CurriculumError]]:
    """The graph of the modules that exist, and the problems found in it."""
    graph = nx.DiGraph()
    graph.add_nodes_from(catalog.modules)
    problems: list[CurriculumError] = []
    for module in catalog.modules.values():
        path = module.location.path
        for index, prerequisite in enumerate(module.prerequisites):
            line = module.line_of("prerequisites", index)
            if prerequisite == module.id:
                problems.append(CurriculumError(
                    f"module '{module.id}' lists itself as a prerequisite", path, line
                ))
            elif prerequisite not in catalog.modules:
                problems.append(CurriculumError(
                    f"module '{module.id}' has unknown prerequisite '{prerequisite}'"
                    f"{did_you_mean(prerequisite, catalog.modules)}",
                    path, line,
                ))
            else:
                graph.add_edge(prerequisite, module.id)
    problems += _cycle_problems(graph, catalog)
    return graph, problems


def _cycle_problems(graph: nx.DiGraph, catalog: Catalog) -> list[CurriculumError]:
    problems = []
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        start = min(component)
        cycle = [start] + _path_back_to(graph.subgraph(component), start)
        where = catalog.modules[start].location
        problems.append(CurriculumError(
            f"prerequisite cycle: {' -> '.join(cycle)} (each needs the one before it)",
            where.path, where.line,
        ))
    return problems


def _path_back_to(component: nx.DiGraph, start: str) -> list[str]:
    """The shortest cycle through `start`, as the nodes after it, ending with it."""
    best = None
    for successor in sorted(component.successors(start)):
        path = nx.shortest_path(component, successor, start)
        if best is None or len(path) < len(best):
            best = path
    return best


def ancestors_of(graph: nx.DiGraph, ids: Iterable[str]) -> set[str]:
    """Every module the given ones need, directly or transitively (not themselves)."""
    seen: set[str] = set()
    stack = list(ids)
    while stack:
        for prerequisite in graph.predecessors(stack.pop()):
            if prerequisite not in seen:
                seen.add(prerequisite)
                stack.append(prerequisite)
    return seen
