"""Step 5: replay a day of samples (the test split) through the running service.

    python replay.py                            # start service.py on a free port, replay, stop it
    python replay.py --url http://127.0.0.1:8000  # replay into a service you started yourself

With no --url it starts a fresh service (a new, empty logs/predictions.jsonl:
one replay is one day) and stops it afterwards. Every answer is also checked
against the model file loaded here, so a difference between training and
serving (a reordered feature, a changed preprocessing step) fails the run.
Writes reports/replay.json; exits non-zero if any request failed or any
served probability differs from the offline one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from common import DATA_DIR, FEATURES, HERE, MODELS_DIR, PREDICTION_LOG, REPORTS_DIR, read_csv, to_matrix

TOLERANCE = 1e-9  # the same model on the same numbers: only rounding may differ


def post(url: str, body: dict, timeout: float = 10) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def start_service(log_path: Path, folder: Path):
    """Start service.py on a free port; return (process, base URL) once /health answers."""
    port_file = folder / "port"
    process = subprocess.Popen(
        [sys.executable, str(HERE / "service.py"), "--port", "0", "--port-file", str(port_file),
         "--log", str(log_path), "--quiet"],
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"replay: the service exited with code {process.returncode}")
        if port_file.exists():
            url = f"http://127.0.0.1:{port_file.read_text().strip()}"
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as response:
                    if response.status == 200:
                        return process, url
            except OSError:
                pass
        time.sleep(0.05)
    process.terminate()
    raise SystemExit("replay: the service did not answer /health within 30 s")


def stop_service(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def replay(url: str) -> dict:
    import joblib

    rows, _ = read_csv(DATA_DIR / "clean" / "test.csv")  # labels are not sent: they come later, if ever
    offline = joblib.load(MODELS_DIR / "model.joblib").predict_proba(to_matrix(rows))[:, 1]
    statuses, latencies, differences = {}, [], []
    for number, row in enumerate(rows, start=1):
        body = {"id": f"test-{number}", "features": dict(zip(FEATURES, row))}
        started = time.perf_counter()
        status, answer = post(url + "/predict", body)
        latencies.append(1000 * (time.perf_counter() - started))
        statuses[status] = statuses.get(status, 0) + 1
        if status == 200:
            differences.append(abs(answer["probability"] - float(offline[number - 1])))
    latencies.sort()
    return {
        "url": url,
        "sent": len(rows),
        "answered": statuses.get(200, 0),
        "failed": len(rows) - statuses.get(200, 0),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "max_abs_difference_from_offline": max(differences, default=None),
        "latency_ms": {"p50": round(latencies[len(latencies) // 2], 2),
                       "p95": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
                       "max": round(latencies[-1], 2)},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running service (default: start one on a free port)")
    parser.add_argument("--log", type=Path, default=PREDICTION_LOG, help="the started service's log")
    args = parser.parse_args(argv)

    if args.url:
        result = replay(args.url.rstrip("/"))
    else:
        args.log.unlink(missing_ok=True)
        with tempfile.TemporaryDirectory() as folder:
            process, url = start_service(args.log, Path(folder))
            try:
                result = replay(url)
            finally:
                stop_service(process)

    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    (REPORTS_DIR / "replay.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    latency = result["latency_ms"]
    print(f"replay: {result['answered']} of {result['sent']} answered; latency p50 {latency['p50']} ms, "
          f"p95 {latency['p95']} ms; largest difference from offline scoring "
          f"{result['max_abs_difference_from_offline']}")
    if result["failed"]:
        print(f"replay: FAIL: {result['failed']} requests failed: {result['statuses']}", file=sys.stderr)
        return 1
    if result["max_abs_difference_from_offline"] > TOLERANCE:
        print("replay: FAIL: served probabilities differ from offline scoring (training-serving skew)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
