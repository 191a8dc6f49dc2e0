import pytest

from curriculum.errors import CurriculumError
from curriculum.pipeline import load


def problems_of(catalog_dir, modules) -> list[str]:
    directory = catalog_dir(modules)
    with pytest.raises(CurriculumError) as info:
        load([directory])
    return [str(p).replace(str(directory) + "/", "") for p in info.value.problems]


def test_edges_run_from_prerequisite_to_module(loaded):
    graph = loaded({"a": {}, "b": {"prerequisites": ["a"]}}).graph
    assert list(graph.edges) == [("a", "b")]


def test_unknown_prerequisite_with_suggestion(catalog_dir):
    assert problems_of(catalog_dir, {"baseline": {}, "b": {"prerequisites": ["baseline", "baselin"]}}) == [
        "b.yaml:7: module 'b' has unknown prerequisite 'baselin' (did you mean 'baseline'?)"
    ]


def test_self_prerequisite(catalog_dir):
    assert problems_of(catalog_dir, {"a": {"prerequisites": ["a"]}}) == [
        "a.yaml:6: module 'a' lists itself as a prerequisite"
    ]


def test_cycle_names_every_member(catalog_dir):
    problems = problems_of(catalog_dir, {
        "a": {"prerequisites": ["c"]},
        "b": {"prerequisites": ["a"]},
        "c": {"prerequisites": ["b"]},
        "d": {"prerequisites": ["a"]},
    })
    assert problems == ["a.yaml:1: prerequisite cycle: a -> b -> c -> a (each needs the one before it)"]


def test_separate_cycles_are_all_reported(catalog_dir):
    problems = problems_of(catalog_dir, {
        "a": {"prerequisites": ["b"]}, "b": {"prerequisites": ["a"]},
        "x": {"prerequisites": ["y"]}, "y": {"prerequisites": ["x"]},
    })
    assert [p.split(": ", 1)[1] for p in problems] == [
        "prerequisite cycle: a -> b -> a (each needs the one before it)",
        "prerequisite cycle: x -> y -> x (each needs the one before it)",
    ]
