"""What a suggestion is and who made it: light types, importable without scikit-learn."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provenance:
    """Who made a suggestion: which model, trained when, on how many works."""

    model_id: str
    trained_at: str
    trained_on: int
    threshold: float


@dataclass(frozen=True)
class Suggestion:
    heading: str
    scheme: str
    score: float
    #: the record's words that drove it, strongest first
    words: tuple[str, ...]
