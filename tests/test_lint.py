import pytest

from curriculum.cli import main
from curriculum.lint import CHECKS
from curriculum.pipeline import lint

from .conftest import SMALL

GOOD_RESOURCE = [{"title": "Docs", "url": "https://example.org/docs", "kind": "docs"}]


def clean_catalog() -> dict:
    """SMALL made lint-clean: resources and outcomes everywhere, a cheap first
    slice and bigger modules after it (so the slice comes early and paths
    land in 80-260 hours), pairing for medium-company engineers. The
    size-specific modules (platforms, pairing) join the first slice, so they
    are cheap too."""
    modules = {}
    for module_id, fields in SMALL.items():
        modules[module_id] = dict(fields, resources=GOOD_RESOURCE, outcomes=["Do a thing"], hours=1,
                                  why="You need it.")
    engineers = ["ml-engineer", "software-engineer"]
    modules["framing"]["roles"] = engineers
    for module_id in ("boosting", "monitoring"):
        modules[module_id]["hours"] = 40
    modules["boosting"]["roles"] = modules["monitoring"]["roles"] = engineers
    modules["pairing"].update(roles=engineers, tags=["pairing"])
    return modules


def test_clean_catalog_has_no_findings(catalog_dir):
    findings = lint([catalog_dir(clean_catalog())])
    assert [str(f) for f in findings] == []


def test_every_check_is_documented_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for code, check in CHECKS.items():
        assert f"| {code} |" in readme, code


def test_c101_module_in_no_path(catalog_dir):
    modules = clean_catalog() | {"orphan": {"resources": GOOD_RESOURCE, "outcomes": ["x"], "hours": 2, "why": "x"}}
    (finding,) = lint([catalog_dir(modules)])
    assert finding.code == "C101" and finding.where.endswith("orphan.yaml:1")
    assert "module 'orphan' is in no role x size path" in str(finding)
    modules["orphan"]["tags"] = ["elective"]
    assert lint([catalog_dir(modules)]) == []


def test_c102_c103_no_resources_or_outcomes(catalog_dir):
    modules = clean_catalog()
    modules["boosting"] = {k: v for k, v in modules["boosting"].items() if k not in ("resources", "outcomes")}
    assert [f.code for f in lint([catalog_dir(modules)])] == ["C102", "C103"]


@pytest.mark.parametrize("title, other", [
    ("Gradient boosting", "Gradient Boosting"),
    ("Modelling basics", "Modeling basics"),
    ("Intro to models", "The intro models"),
])
def test_c104_duplicate_titles(catalog_dir, title, other):
    modules = clean_catalog()
    modules["boosting"]["title"] = title
    modules["baseline"]["title"] = other
    findings = lint([catalog_dir(modules)])
    assert [f.code for f in findings] == ["C104"]
    assert "very close to that of" in findings[0].message


@pytest.mark.parametrize("title, other", [("Algorithms, part 1", "Algorithms, part 2"), ("K-means", "K-means++"),
                                          ("Completeness of logic", "Compactness of logic")])
def test_c104_different_titles_are_not_duplicates(catalog_dir, title, other):
    modules = clean_catalog()
    modules["boosting"]["title"] = title
    modules["baseline"]["title"] = other
    assert lint([catalog_dir(modules)]) == []


@pytest.mark.parametrize("url, code", [("http://example.org/x", "C105"), ("https://localhost/x", "C106"),
                                       ("https://example/x", "C106"), ("https://-bad-.org/", "C106")])
def test_c105_c106_resource_urls(catalog_dir, url, code):
    modules = clean_catalog()
    modules["boosting"]["resources"] = [{"title": "x", "url": url, "kind": "docs"}]
    findings = lint([catalog_dir(modules)])
    assert [(f.code, f.where.rsplit("/", 1)[-1]) for f in findings] == [(code, "boosting.yaml:12")]


@pytest.mark.parametrize("hours", [0.1, 120])
def test_c107_implausible_hours(catalog_dir, hours):
    modules = clean_catalog()
    modules["platforms"]["hours"] = hours
    findings = lint([catalog_dir(modules)], "ml-engineer", "small")
    assert [(f.code, f.where.rsplit("/", 1)[-1]) for f in findings] == [("C107", "platforms.yaml:3")]


def test_s201_path_without_capstone(catalog_dir):
    modules = clean_catalog()
    modules["first-slice"]["tags"] = []
    findings = lint([catalog_dir(modules)], "ml-engineer", "small")
    assert [(f.code, f.where) for f in findings] == [("S201", "path ml-engineer/small")]


def test_s202_first_milestone_late(catalog_dir):
    modules = clean_catalog()
    modules["python"]["hours"] = 40  # the first slice now ends after 46 of 126 hours
    findings = lint([catalog_dir(modules)], "ml-engineer", "small")
    assert [f.code for f in findings] == ["S202"]
    assert "is done after 46 of 126 hours (37%)" in findings[0].message


def test_s203_custom_architecture_without_standard_prerequisite(catalog_dir):
    modules = clean_catalog()
    modules["custom-net"] = {"level": "advanced", "stage": "modeling", "tags": ["custom-architecture"],
                             "prerequisites": ["baseline"], "roles": ["ml-engineer"], "resources": GOOD_RESOURCE,
                             "outcomes": ["x"], "hours": 8, "why": "x"}
    findings = lint([catalog_dir(modules)], "ml-engineer", "small")
    assert [f.code for f in findings] == ["S203"]
    modules["baseline"]["standard_models"] = ["scikit-learn LogisticRegression"]
    assert lint([catalog_dir(modules)], "ml-engineer", "small") == []


def test_s204_in_house_infrastructure_before_adopting_platforms(catalog_dir):
    modules = clean_catalog()
    modules["own-feature-store"] = {"level": "advanced", "stage": "deployment", "tags": ["in-house-infrastructure"],
                                    "prerequisites": ["serve"], "roles": ["ml-engineer"], "sizes": ["large"],
                                    "resources": GOOD_RESOURCE, "outcomes": ["x"], "hours": 8, "why": "x"}
    findings = lint([catalog_dir(modules)], "ml-engineer", "large")
    assert [f.code for f in findings] == ["S204"]
    modules["own-feature-store"]["prerequisites"] = ["platforms"]
    modules["platforms"]["tags"] = ["adopt-platform"]
    assert lint([catalog_dir(modules)], "ml-engineer", "large") == []


def test_s205_medium_engineer_path_without_pairing(catalog_dir):
    modules = clean_catalog()
    modules["pairing"]["tags"] = []
    findings = lint([catalog_dir(modules)], "software-engineer", "medium")
    assert [f.code for f in findings] == ["S205"]
    # Not asked at other sizes, nor of roles the catalog does not count as engineers.
    assert lint([catalog_dir(modules)], "software-engineer", "small") == []
    settings = {"lint": {"engineer_roles": ["ml-engineer"]}}
    assert lint([catalog_dir(modules, settings)], "software-engineer", "medium") == []


def test_s206_path_hours_outside_range(catalog_dir):
    modules = clean_catalog()
    modules["boosting"]["hours"] = modules["monitoring"]["hours"] = 10
    findings = lint([catalog_dir(modules)], "ml-engineer", "small")
    assert [f.code for f in findings] == ["S206"]
    assert findings[0].message == "path takes 27 hours, outside 80-260"


def test_s207_path_without_problem_framing(catalog_dir):
    modules = clean_catalog()
    modules["framing"]["stage"] = "foundations"
    assert {f.code for f in lint([catalog_dir(modules)], "ml-engineer", "small")} == {"S207"}


def test_lint_settings_are_data(catalog_dir):
    modules = clean_catalog()
    settings = {"lint": {"path_hours": [1, 20]}}
    findings = lint([catalog_dir(modules, settings)], "ml-engineer", "small")
    assert [f.message for f in findings] == ["path takes 87 hours, outside 1-20"]


def test_cli_exit_codes_and_strict(catalog_dir, capsys):
    modules = clean_catalog()
    modules["boosting"]["resources"] = [{"title": "x", "url": "http://example.org/", "kind": "docs"}]
    directory = catalog_dir(modules)
    assert main(["lint", "--modules", str(directory)]) == 0
    out = capsys.readouterr()
    assert out.out == f"{directory}/boosting.yaml:12: warning C105: resource URL 'http://example.org/' is not https\n"
    assert out.err == "lint: 0 error(s), 1 warning(s)\n"
    assert main(["lint", "--strict", "--modules", str(directory)]) == 1
    modules["first-slice"]["tags"] = []
    assert main(["lint", "--modules", str(catalog_dir(modules)), "--role", "ml-engineer", "--size", "small"]) == 1
    assert "error S201" in capsys.readouterr().out


def test_cli_explain_and_bad_options(capsys):
    assert main(["lint", "--explain", "S202"]) == 0
    assert capsys.readouterr().out.startswith("S202 (warning): first end-to-end milestone comes late\n")
    assert main(["lint", "--explain", "X1"]) == 1
    assert main(["lint", "--role", "ml-engineer"]) == 1
    assert "--role and --size go together" in capsys.readouterr().err


def test_builtin_catalog_is_lint_clean_for_every_path(capsys):
    assert main(["lint", "--strict"]) == 0
    assert capsys.readouterr().out == ""


def test_c108_reading_takes_most_of_the_module(catalog_dir):
    modules = clean_catalog()
    modules["boosting"]["resources"] = [dict(GOOD_RESOURCE[0], hours=16),
                                        dict(GOOD_RESOURCE[0], url="https://example.org/b", hours=10)]
    modules["monitoring"]["resources"] = [dict(GOOD_RESOURCE[0], hours=24)]  # 60% of 40: allowed
    findings = lint([catalog_dir(modules)], "ml-engineer", "small")
    assert [(f.code, f.where.rsplit("/", 1)[-1]) for f in findings] == [("C108", "boosting.yaml:3")]
    assert findings[0].message == ("module 'boosting' lists 26 hours of reading in 40 hours (65%); "
                                   "at most 60% leaves time for the exercise")
    # The share is a setting.
    assert lint([catalog_dir(modules, {"lint": {"max_reading_share": 0.7}})], "ml-engineer", "small") == []


def test_c109_module_without_a_why(catalog_dir):
    modules = clean_catalog()
    del modules["serve"]["why"]
    findings = lint([catalog_dir(modules)], "ml-engineer", "small")
    assert [(f.code, f.where.rsplit("/", 1)[-1], f.severity) for f in findings] == [("C109", "serve.yaml:1", "warning")]
    assert "module 'serve' has no 'why'" in findings[0].message


def test_an_elective_module_no_path_reaches_is_not_c101(catalog_dir):
    modules = clean_catalog() | {"custom-net": {"resources": GOOD_RESOURCE, "outcomes": ["x"], "hours": 8,
                                                "why": "Rarely.", "tags": ["elective"], "roles": []}}
    assert lint([catalog_dir(modules)]) == []


def test_lint_settings_name_modules_by_old_ids_too(catalog_dir):
    from curriculum.lint import LintSettings
    from curriculum.loader import load_catalog

    modules = clean_catalog()
    modules["framing"]["replaces"] = ["three-questions"]
    catalog = load_catalog([catalog_dir(modules, {"lint": {"readiness_module": "three-questions"}})])
    assert LintSettings.from_catalog(catalog).readiness_module == "framing"
