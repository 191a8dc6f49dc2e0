"""Step 3: evaluate on the held-out test split against the business metric.

    python evaluate.py

Scores the model and both baselines on data/clean/test.csv at the thresholds
train.py chose on validation data, reports the expected cost per 1,000
samples with a bootstrap 95% interval, and writes reports/evaluation.json and
reports/evaluation.md. Exits non-zero if the model does not beat the trivial
baseline: then there is nothing worth deploying.
"""

from __future__ import annotations

import json
import sys

import joblib
import numpy as np
from sklearn.metrics import roc_auc_score

from common import (
    COST_FALSE_ALARM, COST_MISS, DATA_DIR, FEATURES, MODELS_DIR, REPORTS_DIR, SEED, read_csv, summary,
    to_matrix,
)

BOOTSTRAP_SAMPLES = 2000
NAMES = {
    "baseline": "trivial baseline (same score for all)",
    "rule": "heuristic baseline (one feature)",
    "model": "logistic regression",
}


def per_sample_cost(y, flagged):
    """Each sample's cost of the decision: a miss, a false alarm, or nothing."""
    y, flagged = np.asarray(y, bool), np.asarray(flagged, bool)
    return np.where(y & ~flagged, COST_MISS, 0.0) + np.where(~y & flagged, COST_FALSE_ALARM, 0.0)


def interval(values) -> list[float]:
    low, high = np.percentile(values, [2.5, 97.5])
    return [round(float(low), 2), round(float(high), 2)]


def main() -> int:
    card = json.loads((MODELS_DIR / "model_card.json").read_text(encoding="utf-8"))
    rows, y = read_csv(DATA_DIR / "clean" / "test.csv")
    X = to_matrix(rows)
    # Our own files, written by train.py: a pickle from anywhere else could run code.
    model = joblib.load(MODELS_DIR / "model.joblib")
    baseline = joblib.load(MODELS_DIR / "baseline.joblib")

    scores = {
        "baseline": baseline.predict_proba(X)[:, 1],
        "rule": X[:, FEATURES.index(card["rule"]["feature"])],
        "model": model.predict_proba(X)[:, 1],
    }
    flags = {name: s >= card["thresholds"][name] for name, s in scores.items()}
    results = {name: summary(y, flags[name]) for name in scores}
    results["model"]["roc_auc"] = round(float(roc_auc_score(y, scores["model"])), 4)

    # Paired bootstrap: resample test samples, recompute every rule's cost on the same resample.
    rng = np.random.default_rng(SEED)
    picks = rng.integers(0, len(y), size=(BOOTSTRAP_SAMPLES, len(y)))
    boot = {name: 1000 * per_sample_cost(y, f)[picks].mean(axis=1) for name, f in flags.items()}
    for name in results:
        results[name]["cost_interval_95"] = interval(boot[name])
    comparisons = {}
    for other in ("baseline", "rule"):
        difference = boot["model"] - boot[other]
        comparisons[f"model_minus_{other}"] = {
            "cost_per_1000": round(results["model"]["cost_per_1000"] - results[other]["cost_per_1000"], 2),
            "interval_95": interval(difference),
            "share_of_resamples_model_cheaper": round(float((difference < 0).mean()), 3),
        }

    # The model's misses, for a person to look at: the cheapest error analysis there is.
    rule_feature = card["rule"]["feature"]
    misses = [
        {"test_row": i + 1, "probability": round(float(scores["model"][i]), 4),
         rule_feature: float(scores["rule"][i]), "rule_flags_it": bool(flags["rule"][i])}
        for i in range(len(y)) if y[i] and not flags["model"][i]
    ]
    beats_baseline = results["model"]["cost_per_1000"] < results["baseline"]["cost_per_1000"]
    report = {
        "model_version": card["model_version"],
        "data_version": card["data_version"],
        "test_rows": len(y),
        "test_malignant": int(sum(y)),
        "costs": card["costs"],
        "one_miss_per_1000": round(1000 * COST_MISS / len(y), 2),
        "one_false_alarm_per_1000": round(1000 * COST_FALSE_ALARM / len(y), 2),
        "results": results,
        "comparisons": comparisons,
        "model_misses": misses,
        "model_beats_baseline": beats_baseline,
    }
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    (REPORTS_DIR / "evaluation.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (REPORTS_DIR / "evaluation.md").write_text(markdown(report, card), encoding="utf-8")

    print(f"evaluate: {len(y)} test samples ({sum(y)} malignant); cost per 1,000 samples [95% interval]:")
    for name in ("baseline", "rule", "model"):
        r = results[name]
        low, high = r["cost_interval_95"]
        print(f"  {name:8} {r['cost_per_1000']:>10,.0f}  [{low:,.0f} to {high:,.0f}]  "
              f"misses {r['fn']}, false alarms {r['fp']}")
    if not beats_baseline:
        print("evaluate: FAIL: the model does not beat the trivial baseline; do not deploy it", file=sys.stderr)
        return 1
    if results["rule"]["cost_per_1000"] <= results["model"]["cost_per_1000"]:
        share = comparisons["model_minus_rule"]["share_of_resamples_model_cheaper"]
        print(f"evaluate: note: the one-feature rule is no dearer on this test set "
              f"(the model is cheaper in {share:.0%} of bootstrap resamples); see BACKLOG.md")
    print(f"evaluate: the model beats the trivial baseline; report in {REPORTS_DIR.name}/evaluation.md")
    return 0


def markdown(report: dict, card: dict) -> str:
    lines = [
        "# Evaluation on the held-out test split",
        "",
        f"Model `{report['model_version']}`, data `{report['data_version']}`: "
        f"{report['test_rows']} test samples, {report['test_malignant']} malignant. "
        f"A false alarm costs {report['costs']['false_alarm']:,.0f}, a miss {report['costs']['miss']:,.0f}; "
        f"on this test set one miss adds {report['one_miss_per_1000']:,.0f} per 1,000 samples "
        f"and one false alarm {report['one_false_alarm_per_1000']:,.0f}.",
        "",
        "| decision rule | threshold (chosen on validation) | cost per 1,000 | 95% interval | misses "
        "| false alarms | recall | precision | flagged |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in ("baseline", "rule", "model"):
        r = report["results"][name]
        low, high = r["cost_interval_95"]
        threshold = f"{card['thresholds'][name]:.4g}"
        if name == "rule":
            threshold = f"`{card['rule']['feature']}` >= {threshold}"
        lines.append(
            f"| {NAMES[name]} | {threshold} | {r['cost_per_1000']:,.0f} | {low:,.0f} to {high:,.0f} "
            f"| {r['fn']} | {r['fp']} | {r['recall']} | {r['precision']} | {r['flag_rate']:.0%} |"
        )
    lines += ["", f"Model ROC AUC on test: {report['results']['model']['roc_auc']}.", "",
              "Paired bootstrap of the cost difference (model minus the other rule; negative: the model is cheaper):",
              ""]
    for key, c in report["comparisons"].items():
        low, high = c["interval_95"]
        lines.append(f"- {key.replace('_', ' ')}: {c['cost_per_1000']:,.0f} per 1,000 "
                     f"[{low:,.0f} to {high:,.0f}]; the model is cheaper in "
                     f"{c['share_of_resamples_model_cheaper']:.0%} of resamples")
    lines += ["", "Malignant test samples the model left in the routine queue (row numbers in test.csv):", ""]
    for miss in report["model_misses"] or [{}]:
        lines.append("- " + (", ".join(f"{k} {v}" for k, v in miss.items()) or "none"))
    verdict = "beats" if report["model_beats_baseline"] else "does NOT beat"
    lines += ["", f"Gate: the model {verdict} the trivial baseline.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
