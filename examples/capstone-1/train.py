"""Step 2: fit two baselines and one simple model; choose each one's threshold.

    python train.py

- Trivial baseline: DummyClassifier, the same score for every sample, so its
  best threshold flags every sample or none (whichever costs less).
- Heuristic baseline: one measurement, the one that ranks the training set
  best, with a cut-off; a rule a cytopathologist could apply by hand.
- Model: median imputation, scaling and LogisticRegression, all defaults.

Every threshold is chosen on the validation split by the cost sweep in
common.py; the test split is not read here. Writes models/model.joblib,
models/baseline.joblib and models/model_card.json (data version, library
versions, thresholds, validation metrics, and the reference numbers that
monitor.py compares live traffic with).

joblib files are pickles: loading one runs code from it. Load only models you
built or got from a source you trust (skops.io is an alternative format that
refuses unknown types).
"""

from __future__ import annotations

import json
import platform
import sys

import joblib
import sklearn
from sklearn.dummy import DummyClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from common import (
    COST_FALSE_ALARM, COST_MISS, DATA_DIR, FEATURES, MODELS_DIR, choose_threshold, read_csv, sha256,
    summary, to_matrix,
)


def fit_rule(X_train, y_train, X_val, y_val) -> dict:
    """The single feature with the best training ROC AUC, cut where validation cost is lowest."""
    aucs = {name: roc_auc_score(y_train, X_train[:, j]) for j, name in enumerate(FEATURES)}
    feature = max(FEATURES, key=lambda name: aucs[name])  # all 30 grow with malignancy
    j = FEATURES.index(feature)
    threshold = choose_threshold(y_val, X_val[:, j])
    return {"feature": feature, "threshold": threshold, "train_roc_auc": round(aucs[feature], 4)}


def main() -> int:
    manifest = json.loads((DATA_DIR / "manifest.json").read_text(encoding="utf-8"))
    rows, y_train = read_csv(DATA_DIR / "clean" / "train.csv")
    X_train = to_matrix(rows)
    rows, y_val = read_csv(DATA_DIR / "clean" / "val.csv")
    X_val = to_matrix(rows)

    baseline = DummyClassifier(strategy="prior").fit(X_train, y_train)
    model = make_pipeline(
        SimpleImputer(strategy="median"),  # the service accepts nulls; they are imputed and monitored
        StandardScaler(),
        LogisticRegression(max_iter=1000),
    ).fit(X_train, y_train)

    val_scores = {
        "baseline": baseline.predict_proba(X_val)[:, 1],
        "model": model.predict_proba(X_val)[:, 1],
    }
    thresholds = {name: choose_threshold(y_val, scores) for name, scores in val_scores.items()}
    rule = fit_rule(X_train, y_train, X_val, y_val)
    val_scores["rule"] = X_val[:, FEATURES.index(rule["feature"])]
    thresholds["rule"] = rule["threshold"]
    validation = {name: summary(y_val, scores >= thresholds[name]) for name, scores in val_scores.items()}
    validation["model"]["roc_auc"] = round(roc_auc_score(y_val, val_scores["model"]), 4)

    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, MODELS_DIR / "model.joblib")
    joblib.dump(baseline, MODELS_DIR / "baseline.joblib")

    card = {
        "model": "breast-sample triage: SimpleImputer + StandardScaler + LogisticRegression",
        "model_version": sha256(MODELS_DIR / "model.joblib")[:12],
        "intended_use": "order the cytopathology queue; every sample is still read by a person",
        "data_version": manifest["data_version"],
        "trained_on": {"rows": len(y_train), "malignant": int(sum(y_train))},
        "features": FEATURES,
        "costs": {"false_alarm": COST_FALSE_ALARM, "miss": COST_MISS},
        "thresholds": {"model": float(thresholds["model"]), "baseline": float(thresholds["baseline"]),
                       "rule": float(thresholds["rule"])},
        "rule": {"feature": rule["feature"], "train_roc_auc": rule["train_roc_auc"]},
        "validation": validation,
        # What monitor.py expects of live traffic, measured on the validation split.
        "reference": {
            "flag_rate": validation["model"]["flag_rate"],
            "mean_probability": round(float(val_scores["model"].mean()), 4),
        },
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                     "joblib": joblib.__version__},
        "security": "joblib files are pickles: load them only from a source you trust",
    }
    (MODELS_DIR / "model_card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")

    print(f"train: model {card['model_version']} on data {card['data_version']}; "
          f"validation cost per 1,000 samples (threshold):")
    for name in ("baseline", "rule", "model"):
        print(f"  {name:8} {validation[name]['cost_per_1000']:>10,.0f}  ({thresholds[name]:.4g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
