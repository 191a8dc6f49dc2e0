"""Step 1: extract the raw data, validate it, and split it.

    python clean.py                 # export scikit-learn's bundled copy, then clean it
    python clean.py --raw my.csv    # clean another export with the same columns

Writes data/raw.csv (the export), data/clean/{train,val,test}.csv and
data/manifest.json (counts, what was rejected and why, and a data version:
a hash of the three files that train.py copies into the model card).
Exits non-zero when the export is broken (wrong columns, too many bad rows)
rather than training on whatever is left.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import sys
from collections import Counter
from pathlib import Path

from common import DATA_DIR, FEATURES, LABEL, NEGATIVE, POSITIVE, SEED, sha256

MAX_REJECTED_SHARE = 0.01   # more bad rows than this: the export is broken
MAX_MISSING_PER_ROW = 0.5   # a row missing more than half its features is dropped
TEST_SHARE = 0.2            # held out until evaluate.py
VAL_SHARE = 0.2             # used by train.py to choose the threshold


def extract(path: Path) -> None:
    """Write scikit-learn's bundled dataset as a CSV, like an export from the lab system."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    names = [n.replace(" ", "_") for n in bunch.feature_names]
    if names != FEATURES:  # the schema is a contract: fail loudly if the source changed
        raise SystemExit(f"the bundled dataset's columns changed: {names}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FEATURES + [LABEL])
        for values, target in zip(bunch.data.tolist(), bunch.target.tolist()):
            writer.writerow([repr(v) for v in values] + [bunch.target_names[target]])


def parse_row(row: dict) -> tuple[list[float | None] | None, str | None, str | None]:
    """Return (features, label, None) or (None, None, why the row was rejected)."""
    label = (row.get(LABEL) or "").strip().lower()
    if label not in (POSITIVE, NEGATIVE):
        return None, None, "unknown label"
    values: list[float | None] = []
    for name in FEATURES:
        text = (row.get(name) or "").strip()
        if text == "":
            values.append(None)
            continue
        try:
            value = float(text)
        except ValueError:
            return None, None, "not a number"
        if not math.isfinite(value) or value < 0:  # every measurement is a size, count or ratio
            return None, None, "negative or infinite value"
        values.append(value)
    if sum(v is None for v in values) > MAX_MISSING_PER_ROW * len(FEATURES):
        return None, None, "mostly empty"
    return values, label, None


def validate(raw: Path):
    """Read and check the raw export; return (rows, report)."""
    with open(raw, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in FEATURES + [LABEL] if c not in header]
        extra = [c for c in header if c not in FEATURES + [LABEL]]
        if missing or extra:
            raise SystemExit(f"schema check failed: missing columns {missing}, unexpected columns {extra}")
        rows, rejected = [], Counter()
        read = 0
        for row in reader:
            read += 1
            values, label, why = parse_row(row)
            if why:
                rejected[why] += 1
            else:
                rows.append((tuple(values), label))

    # Duplicates: an identical row is kept once; the same measurements with
    # two different labels cannot both be right, so every copy is dropped.
    labels_seen: dict[tuple, set] = {}
    for values, label in rows:
        labels_seen.setdefault(values, set()).add(label)
    unique, seen = [], set()
    duplicates = conflicts = 0
    for values, label in rows:
        if len(labels_seen[values]) > 1:
            conflicts += 1
        elif values in seen:
            duplicates += 1
        else:
            seen.add(values)
            unique.append((values, label))

    missing_values = Counter(FEATURES[i] for values, _ in unique for i, v in enumerate(values) if v is None)
    report = {
        "rows_read": read,
        "rows_rejected": dict(sorted(rejected.items())),
        "duplicates_dropped": duplicates,
        "label_conflicts_dropped": conflicts,
        "rows_kept": len(unique),
        "missing_values": dict(sorted(missing_values.items())),
    }
    if read == 0 or sum(rejected.values()) > MAX_REJECTED_SHARE * read:
        raise SystemExit(f"{sum(rejected.values())} of {read} rows rejected ({dict(rejected)}): fix the export")
    return unique, report


def split(rows):
    """Stratified train / validation / test split with a fixed seed."""
    from sklearn.model_selection import train_test_split

    labels = [label for _, label in rows]
    rest, test = train_test_split(rows, test_size=TEST_SHARE, stratify=labels, random_state=SEED)
    rest_labels = [label for _, label in rest]
    train, val = train_test_split(
        rest, test_size=VAL_SHARE / (1 - TEST_SHARE), stratify=rest_labels, random_state=SEED
    )
    return {"train": train, "val": val, "test": test}


def write_split(path: Path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FEATURES + [LABEL])
        for values, label in rows:
            writer.writerow(["" if v is None else repr(v) for v in values] + [label])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, help="a CSV export to clean (default: export the bundled dataset)")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="output folder (default: data/)")
    args = parser.parse_args(argv)

    raw = args.raw
    if raw is None:
        raw = args.out / "raw.csv"
        extract(raw)
    rows, report = validate(raw)

    clean_dir = args.out / "clean"
    clean_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, part in split(rows).items():
        path = clean_dir / f"{name}.csv"
        write_split(path, part)
        files[name] = {
            "path": path.relative_to(args.out).as_posix(),
            "rows": len(part),
            "positives": sum(label == POSITIVE for _, label in part),
            "sha256": sha256(path),
        }
    data_version = hashlib.sha256("".join(f["sha256"] for f in files.values()).encode()).hexdigest()[:12]
    manifest = {"data_version": data_version, "seed": SEED, "validation": report, "files": files}
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")

    print(f"clean: {report['rows_read']} rows read, {report['rows_kept']} kept "
          f"({sum(report['rows_rejected'].values())} rejected, {report['duplicates_dropped']} duplicates, "
          f"{report['label_conflicts_dropped']} label conflicts); data version {data_version}")
    for name, f in files.items():
        print(f"  {name:5} {f['rows']:4} rows, {f['positives']:3} malignant")
    return 0


if __name__ == "__main__":
    sys.exit(main())
