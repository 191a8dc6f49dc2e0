import logging

import pytest

from curriculum.errors import CurriculumError
from curriculum.loader import load_catalog
from curriculum.model import Location

from .conftest import module_data, write_yaml


def problems_of(*dirs) -> list[str]:
    with pytest.raises(CurriculumError) as info:
        load_catalog(list(dirs))
    return [str(p) for p in info.value.problems]


def test_loads_modules_recursively_with_all_fields(catalog_dir):
    directory = catalog_dir()
    write_yaml(directory / "deep" / "er" / "b.yml", module_data(
        "b", prerequisites=["a"], stage="data", roles=["ml-engineer"], sizes=["small"],
        outcomes=["one"], resources=[{"title": "Docs", "url": "https://example.org/", "kind": "docs"}],
        tags=["capstone"],
    ))
    write_yaml(directory / "a.yaml", module_data("a"))
    catalog = load_catalog([directory])
    assert list(catalog.modules) == ["a", "b"]
    b = catalog.modules["b"]
    assert b.prerequisites == ("a",)
    assert b.resources[0].url == "https://example.org/"
    assert b.is_milestone and b.targets("ml-engineer", "small") and not b.targets("ml-engineer", "large")
    assert b.location == Location(str(directory / "deep" / "er" / "b.yml"), 1)


def test_a_file_may_hold_a_list_of_modules(catalog_dir):
    directory = catalog_dir()
    write_yaml(directory / "many.yaml", [module_data("x"), module_data("y", prerequisites=["x"])])
    catalog = load_catalog([directory])
    assert catalog.modules["y"].location.line == 5


def test_builtin_roles_and_sizes_are_always_known(catalog_dir):
    catalog = load_catalog([catalog_dir({"a": {}})])
    assert {"software-engineer", "data-engineer", "ml-engineer", "ml-researcher", "engineering-manager"} <= set(catalog.roles)
    assert set(catalog.sizes) >= {"small", "medium", "large"}


def test_catalog_adds_its_own_role_without_code(catalog_dir):
    settings = {
        "roles": [{"id": "analytics-engineer", "title": "Analytics engineer", "why": "SQL first."}],
        "paths": [{"role": "analytics-engineer", "size": "small", "why": "Own the dashboards."}],
    }
    catalog = load_catalog([catalog_dir({"a": {"roles": ["analytics-engineer"]}}, settings)])
    assert catalog.roles["analytics-engineer"].title == "Analytics engineer"
    assert catalog.why("analytics-engineer", "small") == "Own the dashboards."
    assert catalog.why("analytics-engineer", "large").startswith("SQL first.")


def test_later_catalog_replaces_module_and_says_so(catalog_dir, caplog):
    first = catalog_dir({"a": {"hours": 1}, "b": {}})
    second = catalog_dir({"a": {"hours": 9}})
    with caplog.at_level(logging.WARNING, logger="curriculum"):
        catalog = load_catalog([first, second])
    assert catalog.modules["a"].hours == 9
    assert "module 'a' replaces the one in" in caplog.text


def test_duplicate_ids_in_one_catalog_name_both_places(catalog_dir):
    directory = catalog_dir({"a": {}})
    write_yaml(directory / "other.yaml", module_data("a"))
    (problem,) = problems_of(directory)
    assert problem.startswith(f"{directory / 'other.yaml'}:1: duplicate module id 'a' (first defined at {directory / 'a.yaml'}:1)")


@pytest.mark.parametrize(
    "fields, line, message",
    [
        ({"titel": "x"}, 5, "unknown field 'titel' (did you mean 'title'?)"),
        ({"hours": "three"}, 3, "'hours' must be a number, not text ('three')"),
        ({"hours": 0}, 3, "'hours' must be greater than 0; got 0"),
        ({"hours": -2}, 3, "'hours' must be greater than 0; got -2"),
        ({"prerequisites": "a"}, 5, "'prerequisites' must be a list, not text ('a')"),
        ({"stage": "modelling"}, 5, "'stage' must be one of foundations, problem-framing, data, modeling"),
        ({"level": "expert"}, 4, "'level' must be one of foundation, practitioner, advanced; got 'expert'"),
        ({"id": "../etc"}, 1, "'id' '../etc' is not a valid id"),
        ({"id": "/abs"}, 1, "'id' '/abs' is not a valid id"),
        ({"roles": ["ml-enginer"]}, 6, "unknown role 'ml-enginer' (did you mean 'ml-engineer'?)"),
        ({"sizes": ["huge"]}, 6, "unknown size 'huge'"),
        ({"resources": [{"title": "x", "url": "javascript:alert(1)", "kind": "docs"}]}, 7,
         "'resources[0].url' must be an http:// or https:// URL"),
        ({"resources": [{"title": "x", "url": "https://a.org", "kind": "blog"}]}, 8,
         "'resources[0].kind' must be one of course, docs"),
    ],
)
def test_invalid_field_is_reported_at_its_line(catalog_dir, fields, line, message):
    directory = catalog_dir({"a": fields})
    (problem,) = problems_of(directory)
    assert problem.startswith(f"{directory / 'a.yaml'}:{line}: {message}")


def test_missing_required_fields(catalog_dir):
    directory = catalog_dir()
    (directory / "a.yaml").write_text("id: a\ntitle: A\n")
    assert problems_of(directory) == [
        f"{directory / 'a.yaml'}:1: missing required field 'hours'",
        f"{directory / 'a.yaml'}:1: missing required field 'level'",
    ]


def test_file_that_is_not_a_module(catalog_dir):
    directory = catalog_dir()
    (directory / "a.yaml").write_text("just text\n")
    assert problems_of(directory) == [
        f"{directory / 'a.yaml'}:1: expected a module (a mapping) or a list of modules, found text ('just text')"
    ]


def test_every_problem_in_every_file_is_reported_at_once(catalog_dir):
    directory = catalog_dir({"a": {"hours": "x"}, "b": {"level": "guru"}, "c": {"roles": ["nobody"]}})
    (directory / "d.yaml").write_text("id: d\n  bad: indent\n")
    problems = problems_of(directory)
    assert [p.split(":")[0].rsplit("/", 1)[-1] for p in problems] == ["a.yaml", "b.yaml", "c.yaml", "d.yaml"]


def test_symlink_outside_the_catalog_is_not_followed(catalog_dir, tmp_path):
    outside = write_yaml(tmp_path / "secret" / "x.yaml", module_data("x"))
    directory = catalog_dir({"a": {}})
    (directory / "link.yaml").symlink_to(outside)
    (directory / "linkdir").symlink_to(outside.parent)
    problems = problems_of(directory)
    assert len(problems) == 2 and all("points outside the catalog; not followed" in p for p in problems)


def test_symlink_inside_the_catalog_is_fine(catalog_dir):
    directory = catalog_dir()
    target = write_yaml(directory / "real" / "a.yaml", module_data("a"))
    (directory / "alias").symlink_to(target.parent)
    assert list(load_catalog([directory]).modules) == ["a"]


def test_hidden_files_and_other_extensions_are_ignored(catalog_dir):
    directory = catalog_dir({"a": {}})
    (directory / ".b.yaml").write_text("broken: [")
    (directory / "notes.txt").write_text("broken: [")
    write_yaml(directory / ".git" / "c.yaml", module_data("c"))
    assert list(load_catalog([directory]).modules) == ["a"]


def test_missing_catalog_folder(tmp_path):
    assert problems_of(tmp_path / "nope") == [f"{tmp_path / 'nope'}: catalog directory not found"]


def test_bad_settings_file_is_located(catalog_dir):
    directory = catalog_dir({"a": {}}, settings={"roles": [{"id": "x", "titel": "X"}]})
    problems = problems_of(directory)
    assert f"{directory / 'catalog.yaml'}:3: unknown field 'titel' (did you mean 'title'?)" in problems


def test_redefining_a_role_drops_the_earlier_path_texts_for_it(catalog_dir):
    settings = {"roles": [{"id": "ml-engineer", "title": "ML engineer", "why": "Our own stance."}]}
    catalog = load_catalog([catalog_dir({"a": {}}, settings)])
    assert catalog.why("ml-engineer", "small").startswith("Our own stance.")
    assert catalog.why("software-engineer", "small") == load_catalog([catalog_dir({"a": {}})]).why("software-engineer", "small")


def test_facilitation_defaults_come_from_catalogs_size_specific_first(catalog_dir):
    builtin = load_catalog()
    assert builtin.facilitation_for("ml-researcher", "medium").hours_per_week == 3
    assert builtin.facilitation_for("ml-researcher", "large").hours_per_week == 2
    assert "modeling" in builtin.facilitation_for("ml-researcher", "medium").leads
    assert builtin.facilitation_for("no-such-role", "medium").hours_per_week == 0
    # A catalog's own rule for the size wins over the built-in one for every size.
    own = catalog_dir({"m": {}}, settings={"facilitation": [
        {"role": "ml-engineer", "sizes": ["small"], "hours_per_week": 4, "leads": ["data"]}]})
    catalog = load_catalog([own])
    assert catalog.facilitation_for("ml-engineer", "small").hours_per_week == 4
    assert catalog.facilitation_for("ml-engineer", "large").hours_per_week == 2


def test_facilitation_rule_for_an_unknown_role_or_size_is_located(catalog_dir):
    own = catalog_dir({"m": {}}, settings={"facilitation": [
        {"role": "nobody", "hours_per_week": 1}, {"role": "ml-engineer", "sizes": ["huge"], "hours_per_week": 1}]})
    with pytest.raises(CurriculumError) as info:
        load_catalog([own])
    messages = [str(p).split("catalog.yaml:")[-1] for p in info.value.problems]
    assert messages == ["2: unknown role 'nobody'", "4: unknown size 'huge'"]


def test_why_why_for_replaces_and_because_are_loaded(catalog_dir):
    directory = catalog_dir({
        "a": {},
        "b": {},
        "c": {
            "prerequisites": ["a", {"id": "b", "because": "It trains on b's features."}, "a"],
            "why": "You ship with it.",
            "why_for": {"ml-engineer": "You own it.", "small": "Nobody else will."},
            "replaces": ["old-c", "older-c"],
        },
    })
    c = load_catalog([directory]).modules["c"]
    assert c.prerequisites == ("a", "b")
    assert c.because == (("b", "It trains on b's features."),) and c.because_of("b").startswith("It trains")
    assert c.because_of("a") == ""
    assert c.why == "You ship with it."
    assert c.why_for == (("ml-engineer", "You own it."), ("small", "Nobody else will."))
    assert c.why_for_audience("small") == "Nobody else will." and c.why_for_audience("large") == ""
    assert c.replaces == ("old-c", "older-c")


@pytest.mark.parametrize(
    "fields, line, message",
    [
        ({"prerequisites": [{"id": "b", "becuase": "x"}]}, 7, "unknown field 'becuase' (did you mean 'because'?)"),
        ({"prerequisites": [{"because": "x"}]}, 6, "missing required field 'id'"),
        ({"prerequisites": ["Not An Id"]}, 6, "'prerequisites[0]' 'Not An Id' is not a valid id"),
        ({"why": ""}, 5, "'why' must not be empty"),
        ({"why_for": "everyone"}, 5, "'why_for' must be a mapping, not text ('everyone')"),
        ({"why_for": {"ml-engineer": 3}}, 6, "'why_for.ml-engineer' must be text, not a number (3)"),
        ({"why_for": {"ml-enginer": "x"}}, 6,
         "'why_for' key 'ml-enginer' is not a role or company size id (did you mean 'ml-engineer'?)"),
        ({"replaces": "old"}, 5, "'replaces' must be a list, not text ('old')"),
    ],
)
def test_invalid_new_fields_are_reported_at_their_line(catalog_dir, fields, line, message):
    directory = catalog_dir({"a": fields})
    (problem,) = problems_of(directory)
    assert problem.startswith(f"{directory / 'a.yaml'}:{line}: {message}")


def test_replaced_ids_resolve_in_prerequisites_of_later_catalogs(catalog_dir):
    builtin_like = catalog_dir({"new": {"replaces": ["old"]}, "other": {}})
    ours = catalog_dir({"mine": {"prerequisites": [{"id": "old", "because": "Uses it."}, "new", "other"]}})
    catalog = load_catalog([builtin_like, ours])
    assert catalog.replaced == {"old": "new"}
    assert catalog.resolve("old") == "new" and catalog.resolve("other") == "other"
    assert catalog.resolve_all(["old", "new", "other"]) == ("new", "other")
    mine = catalog.modules["mine"]
    assert mine.prerequisites == ("new", "other")
    assert mine.because == (("new", "Uses it."),)
    assert mine.line_of("prerequisites", 1) == 9  # 'other', once 'new' is dropped as a repeat


def test_an_old_id_still_a_module_or_replaced_twice_is_located(catalog_dir):
    directory = catalog_dir({"a": {"replaces": ["b", "c"]}, "b": {}, "d": {"replaces": ["c"]}})
    problems = problems_of(directory)
    assert problems == [
        f"{directory / 'a.yaml'}:6: module 'a' replaces 'b', which is still a module "
        f"(at {directory / 'b.yaml'}:1): remove that module or this entry",
        f"{directory / 'd.yaml'}:6: 'c' is replaced by two modules: 'a' (at {directory / 'a.yaml'}:1) and 'd'",
    ]


def test_role_assumes_modules_by_id_old_ids_resolved(catalog_dir):
    settings = {"roles": [{"id": "ml-researcher", "title": "ML researcher", "assumes": ["a", "old-b", "a"]}]}
    catalog = load_catalog([catalog_dir({"a": {}, "b": {"replaces": ["old-b"]}}, settings)])
    assert catalog.roles["ml-researcher"].assumes == ("a", "b")
    assert catalog.roles["ml-engineer"].assumes == ()


def test_role_assuming_an_unknown_module_names_catalog_yaml_and_line(catalog_dir):
    settings = {"roles": [{"id": "ml-researcher", "title": "ML researcher", "assumes": ["a", "pyhton"]}]}
    directory = catalog_dir({"a": {}, "python": {}}, settings)
    assert problems_of(directory) == [
        f"{directory / 'catalog.yaml'}:6: role 'ml-researcher' assumes unknown module 'pyhton' (did you mean 'python'?)"
    ]


def test_builtin_roles_assume_builtin_modules_only_when_those_are_loaded(catalog_dir):
    assert "sklearn-baselines" in load_catalog().roles["ml-researcher"].assumes
    # Another catalog's modules: the built-in role keeps its title and why, and assumes nothing it lacks.
    other = load_catalog([catalog_dir({"sklearn-baselines": {}})])
    assert other.roles["ml-researcher"].assumes == ("sklearn-baselines",)
    assert load_catalog([catalog_dir({"a": {}})]).roles["ml-researcher"].assumes == ()
