"""From the record store's works to what the subject model reads and learns.

A work's text is what a cataloguer reads to choose headings: title, subtitle, notes (with
contents notes), series, publisher and classification numbers, from each of its records. Its
labels are its catalogued headings, each with its vocabulary (``lcsh``, ``rvm``, ``ndlsh``...),
since "Jazz" in LCSH and "Jazz" in a local list are not the same decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from indexer.documents import primary_record
from indexer.model import Record
from indexer.text import analyze
from indexer.works import WorkStore

#: How a label is written: vocabulary, this separator, heading ("lcsh\x1fJazz").
LABEL_SEPARATOR = "\x1f"


def label(heading: str, scheme: str) -> str:
    return f"{scheme}{LABEL_SEPARATOR}{heading}"


def split_label(value: str) -> tuple[str, str]:
    """(heading, scheme) of a label."""
    scheme, _, heading = value.partition(LABEL_SEPARATOR)
    return heading, scheme


@dataclass(frozen=True)
class Example:
    """One work as the model sees it."""

    work_id: str
    text: str
    labels: tuple[str, ...]
    language: str
    #: the main record's title (with its original-script forms), for title-based matching
    title: str = ""


def work_text(records: Sequence[Record]) -> str:
    """The words a subject may be read from, over every record of a work."""
    parts: list[str] = []
    for r in records:
        parts += [r.title, r.subtitle, r.part, r.series, r.publisher, *r.notes]
        parts += r.vernacular.get("title", []) + r.vernacular.get("notes", [])
        parts += [c for numbers in r.classification.values() for c in numbers]
    return " ".join(dict.fromkeys(p for p in parts if p))


def work_labels(records: Sequence[Record]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(label(s.heading, s.scheme) for r in records for s in r.subjects))


def example(work_id: str, records: Sequence[Record]) -> Example:
    main = primary_record(records)
    title = " ".join([main.full_title, *main.vernacular.get("title", [])])
    return Example(work_id, work_text(records), work_labels(records), main.language, title)


def store_examples(store: WorkStore, batch: int = 500) -> Iterator[Example]:
    """Every work of the store as an Example (with or without headings)."""
    ids: list[str] = []
    for work_id in store.work_ids():
        ids.append(work_id)
        if len(ids) >= batch:
            yield from _examples(store, ids)
            ids = []
    yield from _examples(store, ids)


def _examples(store: WorkStore, ids: list[str]) -> Iterator[Example]:
    for work_id, members in sorted(store.members_of(ids).items()):
        yield example(work_id, [r for r, _ in members])


def tokens(text: str) -> list[str]:
    """The words of a text as the engines analyse them (CJK as overlapping bigrams)."""
    return analyze(text)


def with_headings(examples: Iterable[Example]) -> list[Example]:
    return [e for e in examples if e.labels]
