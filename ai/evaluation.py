"""How good suggestions are, as Annif measures them: precision@1/@5, recall@5, F1@5, nDCG@5.

Each figure is the mean over works of the per-work value (Annif's document average). Precision
counts the suggestions made, at most k of them after the threshold (a model that suggests two
headings, both right, has precision 1); a work given nothing scores 0 in precision and recall.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from ai.corpus import Example, label


class Scored(Protocol):
    @property
    def heading(self) -> str: ...

    @property
    def scheme(self) -> str: ...


def _labels(found: Sequence[Scored]) -> list[str]:
    return [label(s.heading, s.scheme) for s in found]


def per_work(gold: set[str], found: list[str], k: int) -> dict[str, float]:
    top = found[:k]
    hits = [lab in gold for lab in top]
    p1 = 1.0 if hits[:1] == [True] else 0.0
    pk = sum(hits) / len(top) if top else 0.0
    rk = sum(hits) / len(gold) if gold else 0.0
    f1 = 2 * pk * rk / (pk + rk) if pk + rk else 0.0
    dcg = sum(1 / math.log2(i + 2) for i, hit in enumerate(hits) if hit)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return {"p@1": p1, "p@5": pk, "r@5": rk, "f1@5": f1, "ndcg@5": dcg / ideal if ideal else 0.0}


def evaluate(
    examples: Sequence[Example], suggestions: Sequence[Sequence[Scored]], k: int = 5
) -> dict[str, float]:
    """The mean of each measure over `examples`, and how many works were measured."""
    totals = {"p@1": 0.0, "p@5": 0.0, "r@5": 0.0, "f1@5": 0.0, "ndcg@5": 0.0}
    for e, found in zip(examples, suggestions, strict=True):
        for name, value in per_work(set(e.labels), _labels(found), k).items():
            totals[name] += value
    n = len(examples)
    return {**{name: total / n if n else 0.0 for name, total in totals.items()}, "works": n}
