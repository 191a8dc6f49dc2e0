"""Placement: find what a person already knows of their path in a few
questions, the way knowledge-space theory (Doignon and Falmagne) does. A
state of knowledge is closed under prerequisites, so a yes on a module
settles everything it builds on and a no settles everything that builds on
it. "Not sure" counts as no.

Which module to ask next is a one-step lookahead (the exact expected number
of remaining questions is out of reach: Metacademy's 391-module path has
astronomically many states). Every module on the edge of what the person
knows (a known module nothing known builds on, or an unknown one whose
prerequisites are all known) must be asked: no other answer settles it. So
each question is scored by the chance that it is one of those anyway, plus
the bits its answer is expected to tell; the best score wins, ties going to
the earlier module on the path. The chances come from a prior: what a
person knows is everything below their frontier modules (the most advanced
things they can do), each module being one independently, more likely the
more basic its level and stage, very likely for what the role assumes. How
many frontier modules a person has is not known in advance: the prior mixes
kinds of learner, from a couple of frontier modules to nearly every module
a frontier, and the answers shift the weight between them, so that a
beginner's first noes and an expert's first yeses change what is asked.
Posterior chances given the answers so far are exact under that prior,
except where noted.

Modules are bits of Python ints, so a set of modules is one int and each
question costs a few big-int operations per module.

The site's self-assessment page asks the same questions in the browser:
templates/site/assess.js mirrors `next_question` and `placement` operation
for operation, on the data `browser_data` gives it. So that the two cannot
disagree, floats are added up in a fixed order (not with `sum`, which
Python 3.12 compensates), exp and log come from `portable_math` (the C
library and JavaScript differ in the last bit), and scores are compared as
integers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import yaml

from .limits import MAX_HOURS_PER_WEEK
from .model import Catalog, Module, Profile
from .plan import choose_path
from .portable_math import exp, expm1, log, log2

# How likely a module is among the most advanced things a person can do,
# relative to others: basic levels and the general-purpose stages more so.
FRONTIER_BY_LEVEL = {"foundation": 1.25, "practitioner": 1.0, "advanced": 0.8}
FRONTIER_BY_STAGE = {"foundations": 1.1, "problem-framing": 1.1}  # other stages (and none): 1
# Kinds of learner by the frontier modules they have on average: 2, 6, 18,
# ... up to the path's length, each kind a third as common as the one before.
# What a role assumes is likely a frontier for every kind.
FEWEST_FRONTIER = 2
FRONTIER_STEP = 3
ASSUMED_FRONTIER = 0.9
# A frontier chance never exceeds this (a short path, an expert kind).
MAX_FRONTIER = 0.5
# Kinds of learner whose posterior weight falls below this are left out.
NEGLIGIBLE = 1e-9
# Yes answers whose demands overlap are combined exactly up to this many;
# beyond it (rare: many open yes answers at once) they are taken as
# independent, since inclusion-exclusion then cancels to rounding noise.
MAX_EXACT_DEMANDS = 5
# Scores are compared in units of 1e-9, rounded to the nearest: float noise
# never decides a tie, and integers compare alike in every language.
SCORE_SCALE = 1e9


@dataclass(frozen=True)
class Questionnaire:
    """The modules a placement asks about: the person's path in learning
    order, then what the role assumes that the path would otherwise hold
    (prerequisites first). In each int, bit i stands for `modules[i]`."""

    role: str
    size: str
    modules: tuple[Module, ...]
    on_path: int  # the path's modules; the others are assumed by the role
    ancestors: tuple[int, ...]  # each module and everything it builds on
    descendants: tuple[int, ...]  # each module and everything that builds on it
    parents: tuple[int, ...]  # its direct prerequisites
    kinds: tuple[LearnerKind, ...]  # the prior: kinds of learner

    @cached_property
    def index(self) -> dict[str, int]:
        return {module.id: i for i, module in enumerate(self.modules)}

    @cached_property
    def everything(self) -> int:
        return (1 << len(self.modules)) - 1

    @cached_property
    def assumed(self) -> int:
        return self.everything & ~self.on_path

    def is_assumed(self, module_id: str) -> bool:
        return bool(self.assumed >> self.index[module_id] & 1)


@dataclass(frozen=True)
class LearnerKind:
    """People whose frontier modules are each module independently, with
    the chance `frontier[i]` for module i; `share` of all people."""

    share: float
    frontier: tuple[float, ...]

    @cached_property
    def weight_classes(self) -> tuple[tuple[float, int], ...]:
        """(-log(1 - frontier), the modules with it): the weight of a set is
        a few popcounts, not a loop over its modules."""
        classes: dict[float, int] = {}
        for i, chance in enumerate(self.frontier):
            weight = -math.log1p(-chance)
            classes[weight] = classes.get(weight, 0) | 1 << i
        return tuple(classes.items())

    def weight(self, modules: int) -> float:
        """-log of the chance that none of `modules` is a frontier."""
        return _add_up(weight * (modules & members).bit_count() for weight, members in self.weight_classes)


@dataclass(frozen=True)
class Placement:
    """What the answers say the person knows."""

    knows: tuple[str, ...]  # the fewest ids that imply it all: what `--knows` and `knows:` take
    known: tuple[str, ...]  # every module known, in questionnaire order
    hours_saved: float  # of the known modules on the path
    # Modules the role assumes that the person does not know: back on the path with `--goal`.
    missing_assumed: tuple[str, ...]


def questionnaire(catalog: Catalog, graph: nx.DiGraph, role: str, size: str,
                  goals: Sequence[str] = ()) -> Questionnaire:
    """The questionnaire for the path of `role` at `size` (with `goals`),
    as `curriculum path` plans it for someone who knows nothing of it."""
    # Placement schedules nothing, so the path may be any length.
    path = choose_path(catalog, graph, Profile(role, size, goals=tuple(goals), hours_per_week=MAX_HOURS_PER_WEEK))
    ids = path.order + path.assumed
    index = {module_id: i for i, module_id in enumerate(ids)}
    parents = [0] * len(ids)
    for module_id in ids:
        for prerequisite in graph.predecessors(module_id):
            parents[index[module_id]] |= 1 << index[prerequisite]  # a path holds every prerequisite
    ancestors = [0] * len(ids)
    for module_id in nx.topological_sort(graph.subgraph(ids)):
        i = index[module_id]
        ancestors[i] = 1 << i
        for parent in _bits(parents[i]):
            ancestors[i] |= ancestors[parent]
    descendants = [0] * len(ids)
    for i, below in enumerate(ancestors):
        for ancestor in _bits(below):
            descendants[ancestor] |= 1 << i
    modules = tuple(catalog.modules[m] for m in ids)
    return Questionnaire(
        role, size, modules, (1 << len(path.order)) - 1, tuple(ancestors), tuple(descendants), tuple(parents),
        _learner_kinds(modules, len(path.order)),
    )


def _learner_kinds(modules: Sequence[Module], on_path: int) -> tuple[LearnerKind, ...]:
    relative = [FRONTIER_BY_LEVEL.get(m.level, 1.0) * FRONTIER_BY_STAGE.get(m.stage, 1.0) for m in modules[:on_path]]
    total = sum(relative)
    counts = [FEWEST_FRONTIER]
    while counts[-1] * FRONTIER_STEP < on_path:
        counts.append(counts[-1] * FRONTIER_STEP)
    shares = [FRONTIER_STEP ** -j for j in range(len(counts))]
    assumed = (ASSUMED_FRONTIER,) * (len(modules) - on_path)
    return tuple(
        LearnerKind(share / sum(shares), tuple(min(MAX_FRONTIER, count * r / total) for r in relative) + assumed)
        for count, share in zip(counts, shares)
    )


def settle(quiz: Questionnaire, answers: Mapping[str, bool]) -> tuple[int, int]:
    """(known, unknown) modules after `answers` (module id -> yes). A yes
    wins over a no it contradicts (a no on a prerequisite of a module
    answered yes): people rarely claim what they cannot do, and easily
    doubt what they half remember."""
    known = unknown = 0
    for module_id, yes in answers.items():
        i = quiz.index[module_id]
        if yes:
            known |= quiz.ancestors[i]
        else:
            unknown |= quiz.descendants[i]
    return known, unknown & ~known


def next_question(quiz: Questionnaire, answers: Mapping[str, bool]) -> Module | None:
    """The module to ask about next, or None when the answers settle every
    module. What the role assumes is asked first: the path leaves it out on
    the assumption that it is known, so that is the first thing to check."""
    known, unknown = settle(quiz, answers)
    undecided = quiz.everything & ~(known | unknown)
    if not undecided:
        return None
    candidates = undecided & quiz.assumed or undecided
    best_score, best = -1, -1
    for i, score in _scores(quiz, known, unknown, candidates):
        if score > best_score:  # ties keep the earlier module
            best_score, best = score, i
    return quiz.modules[best]


def _scores(quiz: Questionnaire, known: int, unknown: int, candidates: int) -> Iterator[tuple[int, int]]:
    """(module, score) for each candidate, in questionnaire order: the
    chance it is on the edge of what the person knows plus the bits its
    answer tells, in units of 1 / SCORE_SCALE."""
    undecided = quiz.everything & ~(known | unknown)
    possible = quiz.everything & ~unknown  # where frontiers may be
    # Each yes answer demands a frontier at or above its module (the answers
    # about modules above it said no, or are still to come).
    demands = [quiz.descendants[y] & possible for y in _bits(known) if quiz.descendants[y] & known == 1 << y]
    # Demands that no undecided module can meet are the same whatever comes
    # next: they count in how likely each kind of learner is, not beyond.
    open_demands = [d for d in demands if d & undecided]
    kinds = []
    for share, kind in _posterior(quiz, unknown, demands):
        met = _log_meets_all(kind, open_demands)
        if met > -math.inf:  # else too unlikely to compute: it has no say
            kinds.append((share, kind, met))
    total = _add_up(share for share, _, _ in kinds) or 1.0
    for i in _bits(candidates):
        bit = 1 << i
        above = quiz.descendants[i] & possible  # a frontier here makes the module known
        beside = [d & ~above for d in open_demands]
        not_through = [d & ~above for d in open_demands if not d & bit]
        open_parents = [quiz.descendants[parent] & possible & ~above for parent in _bits(quiz.parents[i] & ~known)]
        p_unknown = p_top = p_first_unknown = 0.0
        for share, kind, met in kinds:
            share /= total
            none_above = -kind.weight(above)
            p_unknown += share * exp(none_above + _log_meets_all(kind, beside) - met)
            p_top += share * kind.frontier[i] * exp(
                none_above + kind.weight(bit) + _log_meets_all(kind, not_through) - met)
            # Unknown with every prerequisite known.
            p_first_unknown += share * exp(none_above + _log_meets_all(kind, beside + open_parents) - met)
        p_known = min(1.0, max(0.0, 1.0 - p_unknown))
        yield i, math.floor((p_top + p_first_unknown + _entropy(p_known)) * SCORE_SCALE + 0.5)


def _posterior(quiz: Questionnaire, unknown: int, demands: list[int]) -> list[tuple[float, LearnerKind]]:
    """(weight given the answers, kind) for each kind of learner that is
    not negligible: its prior share times the chance of the answers (no
    frontier among the unknown modules, every yes demand met)."""
    logs = [log(kind.share) - kind.weight(unknown) + _log_meets_all(kind, demands) for kind in quiz.kinds]
    top = max(logs)
    if top == -math.inf:  # every kind too unlikely to compute: keep the prior
        return [(kind.share, kind) for kind in quiz.kinds]
    weights = [exp(value - top) for value in logs]
    total = _add_up(weights)
    return [(weight / total, kind) for weight, kind in zip(weights, quiz.kinds) if weight / total >= NEGLIGIBLE]


def _log_meets_all(kind: LearnerKind, demands: list[int]) -> float:
    """The log of the chance that each set in `demands` holds a frontier: a
    sum over groups of overlapping sets, each group by inclusion-exclusion."""
    kept: list[int] = []
    # Smallest first, then by value: a set's order, which JavaScript cannot
    # reproduce, would change how the floats add up.
    for demand in sorted(set(demands), key=lambda demand: (demand.bit_count(), demand)):
        if not demand:
            return -math.inf
        if not any(smaller & ~demand == 0 for smaller in kept):  # a superset is met when its subset is
            kept.append(demand)
    log_chance = 0.0
    for group in _overlapping_groups(kept):
        if len(group) == 1 or len(group) > MAX_EXACT_DEMANDS:
            for demand in group:
                log_chance += log(-expm1(-kind.weight(demand)))
            continue
        total = 0.0
        for subset in range(1 << len(group)):
            union, sign = 0, 1.0
            for j, demand in enumerate(group):
                if subset >> j & 1:
                    union |= demand
                    sign = -sign
            total += sign * exp(-kind.weight(union))
        if total <= 0.0:  # rounding: the chance is too small to tell from none
            return -math.inf
        log_chance += log(total)
    return log_chance


def _overlapping_groups(sets: list[int]) -> list[list[int]]:
    groups: list[tuple[int, list[int]]] = []
    for members in sets:
        union, group = members, [members]
        for other in [g for g in groups if g[0] & members]:
            groups.remove(other)
            union |= other[0]
            group += other[1]
        groups.append((union, group))
    return [group for _, group in groups]


def _entropy(p: float) -> float:
    return 0.0 if p <= 0.0 or p >= 1.0 else -(p * log2(p) + (1 - p) * log2(1 - p))


def _add_up(values: Iterable[float]) -> float:
    """Left to right, as JavaScript adds."""
    total = 0.0
    for value in values:
        total += value
    return total


def placement(quiz: Questionnaire, answers: Mapping[str, bool]) -> Placement:
    """What `answers` say the person knows. `knows` lists the known modules
    nothing else known builds on: as `--knows` (which adds every
    prerequisite of a module known) it gives back exactly the known set."""
    known, _ = settle(quiz, answers)
    top = [i for i in _bits(known) if quiz.descendants[i] & known == 1 << i]
    missing = quiz.assumed & ~known
    return Placement(
        knows=tuple(quiz.modules[i].id for i in top),
        known=tuple(quiz.modules[i].id for i in _bits(known)),
        hours_saved=round(sum(quiz.modules[i].hours for i in _bits(known & quiz.on_path)), 6),
        missing_assumed=tuple(quiz.modules[i].id for i in _bits(missing)),
    )


def browser_data(quiz: Questionnaire) -> dict:
    """What templates/site/assess.js needs to ask the questions
    `next_question` asks and to place as `placement` does: the graph and the
    prior as data (a set of modules as a hexadecimal number, bit i for
    module i), the constants the choice uses, and each module's id as an
    item of a YAML flow list (as `team_snippet` writes it)."""
    return {
        "role": quiz.role,
        "size": quiz.size,
        "constants": {"negligible": NEGLIGIBLE, "max_exact_demands": MAX_EXACT_DEMANDS, "score_scale": SCORE_SCALE},
        "modules": [{"id": module.id, "title": module.title, "hours": module.hours,
                     "yaml": _flow_list([module.id])[1:-1]} for module in quiz.modules],
        "on_path": f"{quiz.on_path:x}",
        "ancestors": [f"{members:x}" for members in quiz.ancestors],
        "descendants": [f"{members:x}" for members in quiz.descendants],
        "parents": [f"{members:x}" for members in quiz.parents],
        "kinds": [{"share": kind.share, "frontier": list(kind.frontier),
                   "weight_classes": [[weight, f"{members:x}"] for weight, members in kind.weight_classes]}
                  for kind in quiz.kinds],
    }


def team_snippet(result: Placement) -> str:
    """YAML for a member's entry in a team file: `knows`, and `goals` for
    what the role assumes but the person does not know."""
    lines = [f"knows: {_flow_list(result.knows)}"]
    if result.missing_assumed:
        lines.append(f"goals: {_flow_list(result.missing_assumed)}")
    return "\n".join(lines) + "\n"


def _flow_list(ids: Sequence[str]) -> str:
    # Dumped, not joined: an id such as `no` or `1e3` must stay a string.
    return yaml.safe_dump(list(ids), default_flow_style=True, width=math.inf).strip()


def _bits(members: int) -> Iterator[int]:
    """The modules in a set, lowest bit (earliest in the questionnaire) first."""
    while members:
        lowest = members & -members
        yield lowest.bit_length() - 1
        members ^= lowest
