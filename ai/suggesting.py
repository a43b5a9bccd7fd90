"""Running the model over the record store: which works get suggestions, and storing them.

Works with catalogued headings get none (a cataloguer has spoken; a work that had suggestions
and has catalogued headings now loses them, staff's accepted ones apart). `suggest_works` looks at
every other work, or only at those the current model has not yet looked at (`missing_only`,
what runs after a harvest), stores up to k suggestions each and re-indexes the works whose
suggestions changed, so search and the facet see them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from ai.corpus import Example, store_examples
from ai.model import DEFAULT_K, SubjectModel
from ai.suggestions import SuggestionStore
from indexer.catalog import Catalog

BATCH = 500


@dataclass
class SuggestReport:
    looked_at: int = 0
    given: int = 0
    suggestions: int = 0
    changed: set[str] = field(default_factory=set)

    def summary(self) -> str:
        return (
            f"{self.looked_at} works without catalogued subjects looked at, "
            f"{self.given} given {self.suggestions} suggestions"
        )


def _batches(items: Iterable[Example], size: int) -> Iterator[list[Example]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def suggest_works(
    catalog: Catalog,
    store: SuggestionStore,
    model: SubjectModel,
    *,
    k: int = DEFAULT_K,
    missing_only: bool = False,
    work_ids: set[str] | None = None,
) -> SuggestReport:
    report = SuggestReport()
    seen = store.suggested_by()

    def wanted(e: Example) -> bool:
        if work_ids is not None and e.work_id not in work_ids:
            return False
        if e.labels:
            if e.work_id in seen:  # catalogued since: the model's guesses go
                store.clear(e.work_id)
                report.changed.add(e.work_id)
            return False
        return not missing_only or seen.get(e.work_id) != model.provenance.model_id

    for batch in _batches(filter(wanted, store_examples(catalog.store)), BATCH):
        found = model.suggest(batch, k=k)
        catalog.db.execute("BEGIN IMMEDIATE")
        try:
            for example, suggestions in zip(batch, found, strict=True):
                before = store.suggested_subjects(example.work_id)
                store.replace(example.work_id, suggestions, model.provenance)
                if store.suggested_subjects(example.work_id) != before:
                    report.changed.add(example.work_id)
                report.looked_at += 1
                report.given += bool(suggestions)
                report.suggestions += len(suggestions)
        except BaseException:
            catalog.db.execute("ROLLBACK")
            raise
        catalog.db.execute("COMMIT")
    if report.changed:
        catalog.refresh(report.changed)
    return report
