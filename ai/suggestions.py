"""Machine-suggested subjects and staff's decisions on them, apart from catalogued headings.

Two tables in the state file (fedcat.sqlite, beside the record store): what the current model
suggested for each work (replaced each time `fedcat ai suggest` runs), and what staff decided
about a suggestion (kept for good). A rejected heading is never shown or indexed again for
that work, whatever a later model says; an accepted one stays, with the provenance it was
accepted with, even when a re-trained model no longer suggests it. Decisions are keyed by work
id, which re-harvesting keeps (indexer.works), and follow a work merged into another.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from ai.provenance import Provenance, Suggestion
from indexer.overrides import Overrides
from indexer.payloads import SuggestedSubjectRow

SCHEMA = """
CREATE TABLE IF NOT EXISTS subject_suggestions (
    work_id TEXT NOT NULL,
    scheme TEXT NOT NULL,
    heading TEXT NOT NULL,
    score REAL NOT NULL,
    words TEXT NOT NULL,
    model_id TEXT NOT NULL,
    trained_at TEXT NOT NULL,
    trained_on INTEGER NOT NULL,
    PRIMARY KEY (work_id, scheme, heading)
);
CREATE TABLE IF NOT EXISTS subject_suggested_by (
    work_id TEXT PRIMARY KEY,
    model_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS subject_decisions (
    work_id TEXT NOT NULL,
    scheme TEXT NOT NULL,
    heading TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
    operator TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    suggestion TEXT NOT NULL,
    PRIMARY KEY (work_id, scheme, heading)
);
"""
Decision = Literal["accepted", "rejected"]
_COLUMNS = "scheme, heading, score, words, model_id, trained_at, trained_on"


class SuggestionError(Exception):
    """A decision about a suggestion that does not exist."""


class SuggestionStore:
    """Suggestions and decisions over the state file's connection (autocommit statements)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.db.executescript(SCHEMA)
        self.overrides = Overrides(db)

    def replace(
        self, work_id: str, suggestions: Sequence[Suggestion], provenance: Provenance
    ) -> None:
        """This work's suggestions are now these (the model's latest), rejected ones left out."""
        rows = [
            (
                work_id,
                s.scheme,
                s.heading,
                s.score,
                json.dumps(list(s.words), ensure_ascii=False),
                provenance.model_id,
                provenance.trained_at,
                provenance.trained_on,
            )
            for s in suggestions
            if self._decision(work_id, s.scheme, s.heading) != "rejected"
        ]
        self.db.execute("DELETE FROM subject_suggestions WHERE work_id = ?", (work_id,))
        self.db.execute(
            "INSERT OR REPLACE INTO subject_suggested_by VALUES (?, ?)",
            (work_id, provenance.model_id),
        )
        self.db.executemany(
            f"INSERT INTO subject_suggestions (work_id, {_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
            rows,
        )

    def suggested_subjects(self, work_id: str) -> list[SuggestedSubjectRow]:
        """What the page, the API and the engines get: accepted ones first, then the rest by
        score; rejected ones never."""
        ids = self._ids(work_id)
        marks = ",".join("?" * len(ids))
        decided = {
            (scheme, heading): (decision, json.loads(suggestion))
            for scheme, heading, decision, suggestion in self.db.execute(
                "SELECT scheme, heading, decision, suggestion FROM subject_decisions"
                f" WHERE work_id IN ({marks})",
                ids,
            )
        }
        rows: dict[tuple[str, str], SuggestedSubjectRow] = {}
        for (scheme, heading), (decision, row) in decided.items():
            if decision == "accepted":
                accepted: SuggestedSubjectRow = row
                accepted["status"] = "accepted"
                rows[(scheme, heading)] = accepted
        sql = f"SELECT {_COLUMNS} FROM subject_suggestions WHERE work_id = ?"
        for scheme, heading, score, words, model_id, trained_at, trained_on in self.db.execute(
            sql + " ORDER BY score DESC, heading", (work_id,)
        ):
            if (scheme, heading) not in decided:
                rows.setdefault(
                    (scheme, heading),
                    {
                        "heading": heading,
                        "scheme": scheme,
                        "score": score,
                        "status": "suggested",
                        "words": json.loads(words),
                        "model_id": model_id,
                        "trained_at": trained_at,
                        "trained_on": trained_on,
                    },
                )
        return sorted(rows.values(), key=lambda r: (r["status"] != "accepted", -r["score"]))

    def decide(
        self,
        work_id: str,
        heading: str,
        decision: Decision,
        operator: str,
        scheme: str | None = None,
        now: datetime | None = None,
    ) -> SuggestedSubjectRow:
        """Accept or reject one suggestion of a work (by heading, and scheme when two
        vocabularies suggest the same words); returns it as it was."""
        found = [
            r
            for r in self.suggested_subjects(work_id)
            if r["heading"] == heading and scheme in (None, r["scheme"])
        ]
        if not found:
            raise SuggestionError(f"work {work_id} has no suggested subject {heading!r}")
        if len(found) > 1:
            schemes = ", ".join(r["scheme"] for r in found)
            raise SuggestionError(f"{heading!r} is suggested in {schemes}: say which (--scheme)")
        row = found[0]
        when = (now or datetime.now(UTC)).replace(microsecond=0).isoformat()
        self.db.execute(
            "INSERT OR REPLACE INTO subject_decisions (work_id, scheme, heading, decision,"
            " operator, decided_at, suggestion) VALUES (?,?,?,?,?,?,?)",
            (
                work_id,
                row["scheme"],
                row["heading"],
                decision,
                operator,
                when,
                json.dumps({**row, "status": "suggested"}, ensure_ascii=False),
            ),
        )
        if decision == "rejected":
            self.db.execute(
                "DELETE FROM subject_suggestions WHERE work_id = ? AND scheme = ? AND heading = ?",
                (work_id, row["scheme"], row["heading"]),
            )
        return row

    def decisions(self) -> list[tuple[str, str, str, str, str, str]]:
        """(work_id, scheme, heading, decision, operator, decided_at) of every decision."""
        sql = (
            "SELECT work_id, scheme, heading, decision, operator, decided_at"
            " FROM subject_decisions ORDER BY decided_at, work_id"
        )
        return list(self.db.execute(sql))

    def clear(self, work_id: str) -> None:
        """Forget the model's suggestions for a work (it has catalogued headings now); staff's
        decisions stay."""
        self.db.execute("DELETE FROM subject_suggestions WHERE work_id = ?", (work_id,))
        self.db.execute("DELETE FROM subject_suggested_by WHERE work_id = ?", (work_id,))

    def suggested_by(self) -> dict[str, str]:
        """The model id that last looked at each work (whether it suggested anything)."""
        return dict(self.db.execute("SELECT work_id, model_id FROM subject_suggested_by"))

    def _decision(self, work_id: str, scheme: str, heading: str) -> str | None:
        sql = (
            "SELECT decision FROM subject_decisions"
            " WHERE work_id = ? AND scheme = ? AND heading = ?"
        )
        row = self.db.execute(sql, (work_id, scheme, heading)).fetchone()
        return row[0] if row else None

    def _ids(self, work_id: str) -> list[str]:
        """A work's id and the ids of works merged into it (whose decisions it inherits; their
        suggestions went with their old id)."""
        merged = self.db.execute(
            "SELECT old_id FROM work_redirects WHERE new_id = ?", (work_id,)
        ).fetchall()
        return [work_id, *(old for (old,) in merged)]
