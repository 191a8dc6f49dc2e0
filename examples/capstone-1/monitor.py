"""Step 6: summarise the prediction log and fail when it looks wrong.

    python monitor.py                          # logs/predictions.jsonl
    python monitor.py --log some-other-day.jsonl --out /tmp/report

Checks, against the reference numbers train.py measured on validation data
(models/model_card.json):

- volume: at least --min-volume predictions (a silent upstream stops sending);
- rejected requests: at most --max-reject-rate of all requests;
- input null rate: no feature null in more than --max-null-rate of predictions
  (the model imputes nulls, so nothing else would notice);
- prediction distribution: the share sent to the priority queue and the mean
  probability within --max-shift of the reference.

Prints a summary, writes monitoring.json and monitoring.md, and exits 1 when
any check fails, so a scheduler or CI can alert on it. Standard library only:
it runs wherever the log is.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from common import FEATURES, MODELS_DIR, PREDICTION_LOG, REPORTS_DIR


def read_log(path: Path):
    predictions, rejected, unreadable = [], 0, 0
    if not path.exists():
        return predictions, rejected, unreadable
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                unreadable += 1
                continue
            if entry.get("event") == "prediction":
                predictions.append(entry)
            elif entry.get("event") == "rejected":
                rejected += 1
            else:
                unreadable += 1
    return predictions, rejected, unreadable


def summarise(predictions, rejected, unreadable) -> dict:
    volume = len(predictions)
    nulls = {name: 0 for name in FEATURES}
    for entry in predictions:
        features = entry.get("features") or {}
        for name in FEATURES:
            if features.get(name) is None:
                nulls[name] += 1
    probabilities = [float(e["probability"]) for e in predictions]
    histogram = [0] * 5
    for p in probabilities:
        histogram[min(int(p * 5), 4)] += 1
    return {
        "volume": volume,
        "rejected": rejected,
        "reject_rate": round(rejected / (volume + rejected), 4) if volume + rejected else 0.0,
        "unreadable_lines": unreadable,
        "null_rate": {name: round(n / volume, 4) for name, n in nulls.items()} if volume else {},
        "flag_rate": round(sum(bool(e["priority"]) for e in predictions) / volume, 4) if volume else None,
        "mean_probability": round(sum(probabilities) / volume, 4) if volume else None,
        "probability_histogram": {f"{i / 5:.1f}-{(i + 1) / 5:.1f}": n for i, n in enumerate(histogram)},
        "model_versions": sorted({str(e.get("model_version")) for e in predictions}),
    }


def check(summary: dict, reference: dict, args) -> list[str]:
    alerts = []
    if summary["volume"] < args.min_volume:
        alerts.append(f"volume {summary['volume']} is below {args.min_volume}")
    if summary["unreadable_lines"]:
        alerts.append(f"{summary['unreadable_lines']} log lines could not be read")
    if summary["reject_rate"] > args.max_reject_rate:
        alerts.append(f"{summary['reject_rate']:.1%} of requests were rejected (limit {args.max_reject_rate:.0%})")
    high = {n: r for n, r in summary["null_rate"].items() if r > args.max_null_rate}
    if high:
        worst = ", ".join(f"{n} {r:.0%}" for n, r in sorted(high.items(), key=lambda kv: -kv[1])[:5])
        alerts.append(f"null rate above {args.max_null_rate:.0%} in {len(high)} features: {worst}")
    for key, label in (("flag_rate", "priority share"), ("mean_probability", "mean probability")):
        value = summary[key]
        if value is not None and abs(value - reference[key]) > args.max_shift:
            alerts.append(f"{label} {value:.2f} is more than {args.max_shift} from the reference "
                          f"{reference[key]:.2f}")
    return alerts


def markdown(report: dict) -> str:
    s, ref = report["summary"], report["reference"]
    worst = max(s["null_rate"].items(), key=lambda kv: kv[1], default=("-", 0.0))
    if worst[1] == 0:
        worst = ("no feature", 0.0)
    lines = [
        "# Monitoring summary",
        "",
        f"Log: `{report['log']}`; model versions seen: {', '.join(s['model_versions']) or 'none'}.",
        "",
        "| check | value | reference or limit |",
        "| --- | ---: | --- |",
        f"| predictions | {s['volume']} | at least {report['limits']['min_volume']} |",
        f"| rejected requests | {s['rejected']} ({s['reject_rate']:.1%}) "
        f"| at most {report['limits']['max_reject_rate']:.0%} |",
        f"| highest input null rate | {worst[1]:.1%} ({worst[0]}) | at most {report['limits']['max_null_rate']:.0%} |",
        f"| priority share | {s['flag_rate']} | {ref['flag_rate']} ± {report['limits']['max_shift']} |",
        f"| mean probability | {s['mean_probability']} | {ref['mean_probability']} ± {report['limits']['max_shift']} |",
        "",
        "Probabilities: " + ", ".join(f"{k}: {v}" for k, v in s["probability_histogram"].items()) + ".",
        "",
        "Status: " + ("OK" if not report["alerts"] else "ALERT"),
        "",
    ]
    lines += [f"- {alert}" for alert in report["alerts"]]
    return "\n".join(lines) + ("\n" if report["alerts"] else "")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, default=PREDICTION_LOG)
    parser.add_argument("--card", type=Path, default=MODELS_DIR / "model_card.json")
    parser.add_argument("--out", type=Path, default=REPORTS_DIR, help="folder for the reports")
    parser.add_argument("--min-volume", type=int, default=50, help="a normal day has about 110")
    parser.add_argument("--max-null-rate", type=float, default=0.05)
    parser.add_argument("--max-reject-rate", type=float, default=0.05)
    parser.add_argument("--max-shift", type=float, default=0.15)
    args = parser.parse_args(argv)

    reference = json.loads(args.card.read_text(encoding="utf-8"))["reference"]
    summary = summarise(*read_log(args.log))
    alerts = check(summary, reference, args)
    report = {
        "log": str(args.log),
        "summary": summary,
        "reference": reference,
        "limits": {"min_volume": args.min_volume, "max_null_rate": args.max_null_rate,
                   "max_reject_rate": args.max_reject_rate, "max_shift": args.max_shift},
        "alerts": alerts,
        "ok": not alerts,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "monitoring.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (args.out / "monitoring.md").write_text(markdown(report), encoding="utf-8")

    worst_null = max(summary["null_rate"].values(), default=0.0)
    print(f"monitor: {summary['volume']} predictions, {summary['rejected']} rejected, "
          f"highest null rate {worst_null:.1%}, priority share {summary['flag_rate']} "
          f"(reference {reference['flag_rate']}), mean probability {summary['mean_probability']} "
          f"(reference {reference['mean_probability']})")
    for alert in alerts:
        print(f"monitor: ALERT: {alert}", file=sys.stderr)
    return 1 if alerts else 0


if __name__ == "__main__":
    sys.exit(main())
