"""What every step shares: where files live, the schema, the business costs.

The problem, framed before any model: a cytology lab measures 30 features of
cell nuclei in a digitised image of each fine-needle aspirate (the Wisconsin
diagnostic breast-cancer data that ships with scikit-learn). Today every
sample waits in one routine queue for a cytopathologist. The slice adds a
triage step: samples the model flags go to a *priority* queue and are read
the same day.

The business metric is the expected cost per 1,000 samples of that decision:

- a false alarm (benign sample sent to the priority queue) costs one
  unnecessary priority read: COST_FALSE_ALARM;
- a miss (malignant sample left in the routine queue) costs the days of
  delay before its routine read: COST_MISS.

Both numbers are assumptions for this exercise, stated in one place so a
reader can change them and rerun `make all`. They are not clinical advice,
and the model is not a medical device: every sample is still read by a person.
"""

from __future__ import annotations

import csv
import hashlib
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "data"
MODELS_DIR = HERE / "models"
REPORTS_DIR = HERE / "reports"
LOGS_DIR = HERE / "logs"
PREDICTION_LOG = LOGS_DIR / "predictions.jsonl"

SEED = 42  # every random choice (the split, the bootstrap) uses it

# Costs in euros; only their ratio (here 1 : 20) changes which threshold wins.
COST_FALSE_ALARM = 50.0
COST_MISS = 1000.0

# The raw export's columns: 30 measurements, then the label as text.
_MEASURES = (
    "radius", "texture", "perimeter", "area", "smoothness", "compactness",
    "concavity", "concave_points", "symmetry", "fractal_dimension",
)
FEATURES = (
    [f"mean_{m}" for m in _MEASURES]       # mean over the nuclei in the image
    + [f"{m}_error" for m in _MEASURES]    # standard error
    + [f"worst_{m}" for m in _MEASURES]    # mean of the three largest values
)
LABEL = "diagnosis"
POSITIVE = "malignant"
NEGATIVE = "benign"


def read_csv(path: Path):
    """Return (X, y) from a cleaned CSV: X a list of rows (None = missing), y 0/1."""
    X, y = [], []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            X.append([None if row[name] == "" else float(row[name]) for name in FEATURES])
            y.append(1 if row[LABEL] == POSITIVE else 0)
    return X, y


def to_matrix(rows):
    """Rows with None for missing values -> a float numpy array with NaN."""
    import numpy as np

    return np.array([[math.nan if v is None else v for v in row] for row in rows], dtype=float)


def confusion(y_true, flagged):
    """Counts of true/false positives/negatives for 0/1 labels and 0/1 flags."""
    tp = sum(1 for t, f in zip(y_true, flagged) if t and f)
    fp = sum(1 for t, f in zip(y_true, flagged) if not t and f)
    fn = sum(1 for t, f in zip(y_true, flagged) if t and not f)
    tn = len(y_true) - tp - fp - fn
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn}


def cost_per_1000(y_true, flagged) -> float:
    """Expected cost of the triage decision per 1,000 samples."""
    c = confusion(y_true, flagged)
    return 1000.0 * (c["fp"] * COST_FALSE_ALARM + c["fn"] * COST_MISS) / len(y_true)


def choose_threshold(y_true, scores) -> float:
    """The score threshold (flag when score >= threshold) with the lowest cost.

    Every distinct score is a candidate, plus +inf (flag nothing). Ties go to
    the lowest threshold: with a miss 20 times dearer than a false alarm, the
    cautious side of an equal-cost range is the one to take.
    """
    candidates = sorted(set(float(s) for s in scores)) + [math.inf]
    best, best_cost = math.inf, math.inf
    for threshold in candidates:
        cost = cost_per_1000(y_true, [s >= threshold for s in scores])
        if cost < best_cost:
            best, best_cost = threshold, cost
    return best


def summary(y_true, flagged) -> dict:
    """The numbers a report shows for one decision rule on one split."""
    c = confusion(y_true, flagged)
    positives = c["tp"] + c["fn"]
    return {
        "cost_per_1000": round(cost_per_1000(y_true, flagged), 2),
        **c,
        "recall": round(c["tp"] / positives, 4) if positives else None,
        "precision": round(c["tp"] / (c["tp"] + c["fp"]), 4) if c["tp"] + c["fp"] else None,
        "flag_rate": round((c["tp"] + c["fp"]) / len(y_true), 4),
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
