"""Step 4: serve the model over HTTP with only the standard library.

    python service.py                    # http://127.0.0.1:8000
    python service.py --port 0 --port-file run/port   # any free port, written to a file

    GET  /health   -> {"status": "ok", "model_version": ..., "threshold": ...}
    POST /predict  {"id": "optional string", "features": {"mean_radius": 17.99, ...}}
                   -> {"id": ..., "probability": 0.93, "priority": true, "queue": "priority", ...}

Every one of the 30 features must be present; null means "not measured" and
is imputed (and counted by monitor.py). Anything else malformed gets a 400
with the reason. Each answered or rejected request is appended to
logs/predictions.jsonl, one JSON object a line, for monitor.py.

http.server is enough for a slice replaying one day of samples; it has no
authentication or TLS, so keep it on localhost or behind a proxy that adds
them. A framework (FastAPI, a model server) is a later improvement, once the
slice shows what is needed.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common import FEATURES, MODELS_DIR, PREDICTION_LOG

MAX_BODY_BYTES = 64 * 1024
log = logging.getLogger("service")


class BadRequest(ValueError):
    """The request is malformed; the message tells the caller why."""


def parse_request(payload) -> tuple[str | None, dict]:
    """Check a /predict body; return (id, features) or raise BadRequest."""
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object")
    unknown = sorted(set(payload) - {"id", "features"})
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(unknown)}")
    request_id = payload.get("id")
    if request_id is not None and (not isinstance(request_id, str) or len(request_id) > 100):
        raise BadRequest("id must be a string of at most 100 characters")
    features = payload.get("features")
    if not isinstance(features, dict):
        raise BadRequest('"features" must be an object of feature name -> number or null')
    missing = [name for name in FEATURES if name not in features]
    unexpected = sorted(set(features) - set(FEATURES))
    if missing or unexpected:
        raise BadRequest(f"missing features: {missing}; unknown features: {unexpected}")
    for name in FEATURES:
        value = features[name]
        if value is None:
            continue
        # bool is an int in Python; true is not a measurement.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadRequest(f"{name} must be a number or null, not {json.dumps(value)}")
        if not math.isfinite(value) or value < 0:
            raise BadRequest(f"{name} must be finite and not negative, not {value}")
    return request_id, {name: features[name] for name in FEATURES}


class TriageService:
    """The model, its card, and the prediction log."""

    def __init__(self, model_dir: Path, log_path: Path):
        import joblib
        import sklearn

        self.card = json.loads((model_dir / "model_card.json").read_text(encoding="utf-8"))
        trained_with = self.card["versions"]["scikit-learn"]
        if trained_with != sklearn.__version__:
            log.warning("model trained with scikit-learn %s, serving with %s: retrain or pin the version",
                        trained_with, sklearn.__version__)
        # A joblib file is a pickle: this is our own file from train.py. Never load one from an upload.
        self.model = joblib.load(model_dir / "model.joblib")
        self.threshold = self.card["thresholds"]["model"]
        self.version = self.card["model_version"]
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "a", encoding="utf-8")
        self._lock = threading.Lock()

    def predict(self, request_id: str | None, features: dict) -> dict:
        import numpy as np

        row = np.array([[math.nan if features[n] is None else float(features[n]) for n in FEATURES]])
        probability = float(self.model.predict_proba(row)[0, 1])
        priority = probability >= self.threshold
        return {
            "id": request_id,
            "model_version": self.version,
            "probability": probability,
            "threshold": self.threshold,
            "priority": priority,
            "queue": "priority" if priority else "routine",
        }

    def record(self, entry: dict) -> None:
        entry = {"ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), **entry}
        with self._lock:
            self._log.write(json.dumps(entry) + "\n")
            self._log.flush()

    def close(self) -> None:
        self._log.close()


class Handler(BaseHTTPRequestHandler):
    server_version = "triage-slice/1"

    def send_json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def reject(self, status: int, message: str) -> None:
        self.server.service.record({"event": "rejected", "status": status, "error": message})
        self.send_json(status, {"error": message})

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path == "/health":
            service = self.server.service
            self.send_json(200, {"status": "ok", "model_version": service.version, "threshold": service.threshold})
        else:
            self.send_json(404, {"error": "not found; use GET /health or POST /predict"})

    def do_POST(self):  # noqa: N802
        if self.path != "/predict":
            self.send_json(404, {"error": "not found; use POST /predict"})
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.reject(411, "Content-Length is required")
            return
        if length < 0:
            self.reject(400, "Content-Length must not be negative")
            return
        if length > MAX_BODY_BYTES:
            self.close_connection = True  # the body is not read, so the connection cannot be reused
            self.reject(413, f"body larger than {MAX_BODY_BYTES} bytes")
            return
        started = time.perf_counter()
        try:
            payload = json.loads(self.rfile.read(length))
        except (ValueError, UnicodeDecodeError):
            self.reject(400, "the body is not valid JSON")
            return
        try:
            request_id, features = parse_request(payload)
        except BadRequest as error:
            self.reject(400, str(error))
            return
        answer = self.server.service.predict(request_id, features)
        # Logged before answering: every answer a caller has seen is already in the log.
        self.server.service.record({
            "event": "prediction",
            "id": request_id,
            "model_version": answer["model_version"],
            "features": features,
            "probability": answer["probability"],
            "priority": answer["priority"],
            "latency_ms": round(1000 * (time.perf_counter() - started), 3),
        })
        self.send_json(200, answer)

    def log_message(self, format, *args):  # route http.server's access log through logging
        log.info("%s %s", self.address_string(), format % args)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--port-file", type=Path, help="write the port here once listening")
    parser.add_argument("--log", type=Path, default=PREDICTION_LOG, help="prediction log (JSON lines)")
    parser.add_argument("--models", type=Path, default=MODELS_DIR)
    parser.add_argument("--quiet", action="store_true", help="no access log on stderr")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")

    service = TriageService(args.models, args.log)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.service = service
    host, port = server.server_address[:2]
    if args.port_file:  # written atomically: a reader never sees half a number
        args.port_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.port_file.with_suffix(".tmp")
        tmp.write_text(str(port), encoding="utf-8")
        os.replace(tmp, args.port_file)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    log.warning("serving model %s on http://%s:%d, logging to %s", service.version, host, port, args.log)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        service.close()
        log.warning("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
