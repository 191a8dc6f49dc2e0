"""The reference solution of Capstone 1 (examples/capstone-1/) runs end to end.

The steps of its `make all` (read from the Makefile, so the test and the
Makefile cannot drift apart) run with this interpreter in a temporary copy:
clean -> train -> evaluate -> replay (service started on a free port, the
test split sent through it, service stopped) -> monitor. Then: every replayed
request was answered, the model beats the baseline on the business metric,
monitoring passes on the real log and fails on tampered ones, the service
answers malformed input with a 400, and the outputs repeat byte for byte.

scikit-learn comes with the project's `test` extra: without it this module
fails (it does not skip), as CI must run the example.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sklearn  # noqa: F401 (installed by the test extra; missing = a failure, not a skip)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "capstone-1"
GENERATED = ("data", "models", "reports", "logs", "__pycache__", ".venv")
STEPS = ["clean.py", "train.py", "evaluate.py", "replay.py", "monitor.py"]


def make_all_commands(makefile: Path) -> list[list[str]]:
    """The commands `make all` runs, with $(PYTHON) as this interpreter."""
    prerequisites, recipes, target = {}, {}, None
    for line in makefile.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z][\w-]*):(.*)$", line)
        if match:
            target = match[1]
            prerequisites[target], recipes[target] = match[2].split(), []
        elif line.startswith("\t") and target:
            recipes[target].append(line.strip())
        else:
            target = None
    commands = [command for step in prerequisites["all"] for command in recipes[step]]
    return [[sys.executable if word == "$(PYTHON)" else word for word in shlex.split(c)] for c in commands]


def run(args, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def copy_example(target: Path) -> Path:
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(*GENERATED))
    return target


@pytest.fixture(scope="module")
def slice_run(tmp_path_factory):
    """Run `make all`'s steps once in a fresh copy; return the folder."""
    folder = copy_example(tmp_path_factory.mktemp("capstone") / "capstone-1")
    for command in make_all_commands(folder / "Makefile"):
        result = run(command, folder)
        assert result.returncode == 0, f"{shlex.join(command[1:])} failed:\n{result.stdout}\n{result.stderr}"
    return folder


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_make_all_runs_every_capstone_step_in_order():
    commands = make_all_commands(EXAMPLE / "Makefile")
    assert [c[1] for c in commands] == STEPS
    assert all(c[0] == sys.executable and len(c) == 2 for c in commands)


def test_the_service_answered_every_replayed_request(slice_run):
    test_rows = len((slice_run / "data" / "clean" / "test.csv").read_text(encoding="utf-8").splitlines()) - 1
    replay = read_json(slice_run / "reports" / "replay.json")
    assert test_rows > 100
    assert replay["sent"] == replay["answered"] == test_rows
    assert replay["failed"] == 0 and replay["statuses"] == {"200": test_rows}
    # Served and offline scores agree: no training-serving skew.
    assert replay["max_abs_difference_from_offline"] <= 1e-9
    log = [json.loads(line) for line in (slice_run / "logs" / "predictions.jsonl").read_text().splitlines()]
    assert [entry["id"] for entry in log] == [f"test-{i}" for i in range(1, test_rows + 1)]
    assert all(entry["event"] == "prediction" and len(entry["features"]) == 30 for entry in log)


def test_the_model_beats_the_baseline_on_the_business_metric(slice_run):
    report = read_json(slice_run / "reports" / "evaluation.json")
    card = read_json(slice_run / "models" / "model_card.json")
    results = report["results"]
    assert report["model_beats_baseline"] is True
    assert results["model"]["cost_per_1000"] < results["baseline"]["cost_per_1000"]
    assert results["model"]["roc_auc"] > 0.95
    # The card ties the model to its data and its threshold, chosen on validation data.
    manifest = read_json(slice_run / "data" / "manifest.json")
    assert card["data_version"] == manifest["data_version"] == report["data_version"]
    assert 0 < card["thresholds"]["model"] < 1
    assert "trust" in card["security"]
    assert (slice_run / "reports" / "evaluation.md").read_text().count("|") > 20


def test_evaluate_fails_when_the_model_is_no_better_than_the_baseline(slice_run, tmp_path):
    folder = tmp_path / "capstone-1"
    shutil.copytree(slice_run, folder)
    shutil.copy(folder / "models" / "baseline.joblib", folder / "models" / "model.joblib")
    card = read_json(folder / "models" / "model_card.json")
    card["thresholds"]["model"] = card["thresholds"]["baseline"]
    (folder / "models" / "model_card.json").write_text(json.dumps(card), encoding="utf-8")
    result = run([sys.executable, "evaluate.py"], folder)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "does not beat the trivial baseline" in result.stderr
    assert read_json(folder / "reports" / "evaluation.json")["model_beats_baseline"] is False


def test_monitoring_passes_on_the_replayed_log(slice_run, tmp_path):
    assert read_json(slice_run / "reports" / "monitoring.json")["alerts"] == []
    result = run([sys.executable, "monitor.py", "--out", str(tmp_path)], slice_run)
    assert result.returncode == 0, result.stderr
    assert "ALERT" not in result.stdout + result.stderr


def tamper_volume(entries):
    return entries[:20]


def tamper_nulls(entries):
    for entry in entries[::3]:
        for name in ("mean_radius", "worst_area", "mean_texture"):
            entry["features"][name] = None
    return entries


def tamper_predictions(entries):
    for entry in entries:
        entry["probability"], entry["priority"] = 0.97, True
    return entries


def tamper_rejections(entries):
    return entries + [{"ts": "x", "event": "rejected", "status": 400, "error": "missing features"}] * 30


@pytest.mark.parametrize("tamper, alert", [
    (tamper_volume, "volume 20 is below"),
    (tamper_nulls, "null rate above 5% in 3 features"),
    (tamper_predictions, "priority share 1.00"),
    (tamper_rejections, "of requests were rejected"),
])
def test_monitoring_fails_on_a_tampered_log(slice_run, tmp_path, tamper, alert):
    lines = (slice_run / "logs" / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    tampered = tmp_path / "predictions.jsonl"
    tampered.write_text("".join(json.dumps(e) + "\n" for e in tamper([json.loads(x) for x in lines])))
    result = run([sys.executable, "monitor.py", "--log", str(tampered), "--out", str(tmp_path)], slice_run)
    assert result.returncode == 1, result.stdout + result.stderr
    assert alert in result.stderr
    report = read_json(tmp_path / "monitoring.json")
    assert report["ok"] is False and any(alert in a for a in report["alerts"])


def request(url: str, body: bytes | None = None, method: str = "POST"):
    req = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def service(slice_run, tmp_path):
    """service.py on a free port, with its own log; yields (base URL, log path)."""
    port_file, log = tmp_path / "port", tmp_path / "predictions.jsonl"
    process = subprocess.Popen(
        [sys.executable, "service.py", "--port", "0", "--port-file", str(port_file), "--log", str(log), "--quiet"],
        cwd=slice_run, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists():
            assert process.poll() is None, process.communicate()[1].decode()
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port_file.read_text()}", log
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_service_rejects_malformed_input_with_400(slice_run, service):
    url, log = service
    features = read_json(slice_run / "models" / "model_card.json")["features"]
    valid = {name: 1.0 for name in features}
    malformed = {
        "not JSON": b"{features: 1",
        "not an object": b"[1, 2]",
        "no features": json.dumps({"id": "a"}).encode(),
        "missing feature": json.dumps({"features": {k: v for k, v in valid.items() if k != "mean_radius"}}).encode(),
        "unknown feature": json.dumps({"features": {**valid, "age": 40}}).encode(),
        "unknown field": json.dumps({"features": valid, "debug": True}).encode(),
        "text value": json.dumps({"features": {**valid, "mean_area": "large"}}).encode(),
        "boolean value": json.dumps({"features": {**valid, "mean_area": True}}).encode(),
        "negative value": json.dumps({"features": {**valid, "mean_area": -3}}).encode(),
        "infinite value": b'{"features": {' + b", ".join(
            f'"{k}": {"Infinity" if k == "mean_area" else "1.0"}'.encode() for k in features) + b"}}",
        "id not a string": json.dumps({"id": 7, "features": valid}).encode(),
    }
    for case, body in malformed.items():
        status, answer = request(url + "/predict", body)
        assert status == 400, case
        assert answer["error"], case

    status, answer = request(url + "/predict", json.dumps({"id": "ok", "features": valid}).encode())
    assert status == 200 and answer["id"] == "ok" and 0 <= answer["probability"] <= 1
    assert answer["queue"] in ("priority", "routine")
    # null means "not measured": imputed, answered, and counted by monitor.py.
    status, _ = request(url + "/predict", json.dumps({"features": {**valid, "mean_area": None}}).encode())
    assert status == 200
    assert request(url + "/health", method="GET")[0] == 200
    assert request(url + "/nowhere", b"{}")[0] == 404

    events = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert events.count("rejected") == len(malformed) and events.count("prediction") == 2


def test_outputs_repeat_byte_for_byte(slice_run, tmp_path):
    folder = copy_example(tmp_path / "capstone-1")
    for step in STEPS[:3]:
        result = run([sys.executable, step], folder)
        assert result.returncode == 0, result.stderr
    for path in ("data/manifest.json", "data/clean/test.csv", "models/model_card.json",
                 "models/model.joblib", "reports/evaluation.json"):
        assert (folder / path).read_bytes() == (slice_run / path).read_bytes(), path


def test_clean_refuses_a_broken_export(slice_run, tmp_path):
    raw = (slice_run / "data" / "raw.csv").read_text(encoding="utf-8").splitlines()
    header, rows = raw[0], raw[1:]

    wrong_columns = tmp_path / "wrong-columns.csv"
    wrong_columns.write_text(header.replace("mean_radius,", "") + "\n", encoding="utf-8")
    result = run([sys.executable, "clean.py", "--raw", str(wrong_columns), "--out", str(tmp_path / "a")], slice_run)
    assert result.returncode != 0 and "missing columns ['mean_radius']" in result.stderr

    bad_rows = tmp_path / "bad-rows.csv"
    broken = [row.replace(row.split(",")[0], "-1", 1) for row in rows[:10]]
    bad_rows.write_text("\n".join([header] + broken + rows[10:]) + "\n", encoding="utf-8")
    result = run([sys.executable, "clean.py", "--raw", str(bad_rows), "--out", str(tmp_path / "b")], slice_run)
    assert result.returncode != 0 and "10 of 569 rows rejected" in result.stderr


def test_clean_drops_duplicates_and_label_conflicts(slice_run, tmp_path):
    raw = (slice_run / "data" / "raw.csv").read_text(encoding="utf-8").splitlines()
    header, rows = raw[0], raw[1:]
    flipped = rows[1].rsplit(",", 1)[0] + "," + ("benign" if rows[1].endswith("malignant") else "malignant")
    export = tmp_path / "export.csv"
    export.write_text("\n".join([header] + rows + [rows[0], rows[0], flipped]) + "\n", encoding="utf-8")
    result = run([sys.executable, "clean.py", "--raw", str(export), "--out", str(tmp_path / "out")], slice_run)
    assert result.returncode == 0, result.stderr
    validation = read_json(tmp_path / "out" / "manifest.json")["validation"]
    assert validation["rows_read"] == 572
    assert validation["duplicates_dropped"] == 2
    assert validation["label_conflicts_dropped"] == 2
    assert validation["rows_kept"] == 568
