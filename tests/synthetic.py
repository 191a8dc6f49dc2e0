"""Synthetic but realistic catalogs, from a fixed seed, for tests that need
size (interrupting a long build) and for the benchmarks."""

from __future__ import annotations

import random
from pathlib import Path

from curriculum.model import LEVELS, STAGES

ROLES = ["software-engineer", "data-engineer", "ml-engineer", "ml-researcher", "engineering-manager"]
SIZES = ["small", "medium", "large"]
WORDS = ("data model baseline pipeline feature label metric deploy monitor drift retrain evaluate "
         "transformer boosting embedding retrieval schema batch stream serve latency").split()


# Modules come in topic tracks, as real catalogs do: prerequisites are earlier
# modules of the same track, or now and then of the shared foundation track.
TRACK = 100


def write_catalog(folder: Path, modules: int, prerequisites: int = 3, seed: int = 7) -> Path:
    """`modules` modules in files of 50, each with up to `prerequisites`
    prerequisites among earlier modules (so there is no cycle)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    chunk: list[str] = []
    for index in range(modules):
        track_start = index - index % TRACK
        earlier = list(range(track_start, index))
        if track_start and rng.random() < 0.3:
            earlier.append(rng.randrange(0, TRACK))  # the foundation track
        earlier = rng.sample(earlier, min(prerequisites, len(earlier)))
        text = " ".join(rng.choice(WORDS) for _ in range(40))
        level = LEVELS[min(2, (index % TRACK) * 3 // TRACK)]
        roles = rng.sample(ROLES, 1) if rng.random() < 0.05 else []
        chunk.append(
            f"- id: m{index:05d}\n"
            f"  title: Module {index} on {rng.choice(WORDS)}\n"
            f"  hours: {rng.choice([1, 1.5, 2, 3, 4, 6])}\n"
            f"  level: {level}\n"
            f"  stage: {rng.choice(STAGES)}\n"
            + (f"  prerequisites: [{', '.join(f'm{p:05d}' for p in sorted(earlier))}]\n" if earlier else "")
            + (f"  roles: [{', '.join(roles)}]\n" if roles else "")
            + ("  tags: [capstone]\n" if rng.random() < 0.02 else "")
            + f"  summary: {text[:80]}\n"
            f"  description: |\n    {text}\n\n    - **{rng.choice(WORDS)}** and `code`\n"
            f"  outcomes:\n    - {text[:60]}\n    - {text[60:120]}\n"
            f"  resources:\n    - title: Docs\n      url: https://example.org/{index}\n      kind: docs\n"
        )
        if len(chunk) == 50 or index == modules - 1:
            (folder / f"part{index // 50:05d}.yaml").write_text("".join(chunk), encoding="utf-8")
            chunk = []
    return folder
