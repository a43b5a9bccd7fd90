"""Dedup quality: pairwise precision and recall of work matching on labelled real records.

    .venv/bin/python bench/dedup.py [--json bench/results/dedup.json]

Every readable record of each file named in tests/fixtures/dedup_pairs.tsv (so unlabelled
records can bridge or split works as they would in a real catalogue), plus the realistic
variants of tests/fixtures/dedup_variants.tsv, is mapped by the real MARC mapping and put
through the real WorkStore (SQLite in memory). A labelled pair is predicted "same" when both
records end in one work. Prints precision and recall overall and per group, lists every
wrong pair with the key that merged it, and writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import sqlite3
import sys
import unicodedata
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pymarc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.partners import Partner  # noqa: E402
from demo.partners import SHARED_DATA  # noqa: E402
from indexer import normalize as nz  # noqa: E402
from indexer.marc import marc_to_record  # noqa: E402
from indexer.marc_readers import marc_records_from_file, marc_records_from_sql  # noqa: E402
from indexer.model import Record  # noqa: E402
from indexer.works import Change, WorkStore  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
PAIRS = FIXTURES / "dedup_pairs.tsv"
VARIANTS = FIXTURES / "dedup_variants.tsv"
VARIANT_PREFIX = "variant:"


@dataclass(frozen=True)
class LabelledPair:
    group: str
    record_a: str
    record_b: str
    same: bool
    reason: str


def _rows(path: Path) -> Iterator[list[str]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            yield line.split("\t")


def labelled_pairs(path: Path = PAIRS) -> list[LabelledPair]:
    pairs = []
    for group, record_a, record_b, label, reason in _rows(path):
        if label not in ("same", "different"):
            raise ValueError(f"{path}: label must be same or different, not {label!r}")
        pairs.append(LabelledPair(group, record_a, record_b, label == "same", reason))
    return pairs


@cache
def _file_records(name: str) -> tuple[pymarc.Record, ...]:
    path = SHARED_DATA / name
    reader = marc_records_from_sql if path.suffix == ".sql" else marc_records_from_file
    return tuple(reader(path))


def source_record(record_id: str) -> pymarc.Record:
    """'evergreen/jazz_1k.mrc#49' → that file's 50th readable record."""
    name, _, position = record_id.rpartition("#")
    return _file_records(name)[int(position)]


# -- variants: what another library's cataloguer would have typed -------------------------


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _field_and_code(spec: str) -> tuple[str, str]:
    tag, _, code = spec.partition("$")
    return tag, code


def _set(record: pymarc.Record, spec: str) -> None:
    target, _, value = spec.partition("=")
    tag, code = _field_and_code(target)
    if not code:
        record.remove_fields(tag)
        record.add_ordered_field(pymarc.Field(tag=tag, data=value))
        return
    field = record.get(tag)
    if field is None:
        record.add_ordered_field(
            pymarc.Field(tag=tag, indicators=[" ", " "], subfields=[pymarc.Subfield(code, value)])
        )
    elif code in field:
        field[code] = value
    else:
        field.add_subfield(code, value)


def _drop(record: pymarc.Record, spec: str) -> None:
    tag, code = _field_and_code(spec)
    if not code:
        record.remove_fields(tag)
        return
    for field in record.get_fields(tag):
        while code in field:
            field.delete_subfield(code)


def _rewrite(record: pymarc.Record, tags: tuple[str, ...], change) -> None:
    for field in record.get_fields(*tags):
        field.subfields = [
            pymarc.Subfield(s.code, change(s.code, s.value)) for s in field.subfields
        ]


def _isbn10(record: pymarc.Record, qualifier: str) -> None:
    isbns = [nz.isbn13(v) for f in record.get_fields("020") for v in f.get_subfields("a")]
    record.remove_fields("020")
    for isbn in nz.unique(isbns):
        body = isbn[3:12]
        check = sum((10 - i) * int(d) for i, d in enumerate(body)) % 11
        digit = "X" if (11 - check) % 11 == 10 else str((11 - check) % 11)
        hyphenated = f"{body[0]}-{body[1:4]}-{body[4:9]}-{digit}"
        subfields = [pymarc.Subfield("a", hyphenated), pymarc.Subfield("q", qualifier)]
        record.add_ordered_field(pymarc.Field("020", [" ", " "], subfields))


def _to_264(record: pymarc.Record) -> None:
    for field in record.get_fields("260"):
        record.remove_field(field)
        record.add_ordered_field(pymarc.Field("264", [" ", "1"], field.subfields))


def _move_name(record: pymarc.Record, spec: str) -> None:
    source, _, target = spec.partition(">")
    for field in record.get_fields(source):
        record.remove_field(field)
        record.add_ordered_field(pymarc.Field(target, field.indicators, field.subfields))


def _join_245ab(record: pymarc.Record) -> None:
    field = record["245"]
    joined = " ".join(v.strip() for v in field.get_subfields("a", "b"))
    rest = [s for s in field.subfields if s.code not in "ab"]
    field.subfields = [pymarc.Subfield("a", joined), *rest]


def apply_edit(record: pymarc.Record, edit: str) -> None:
    """One edit from dedup_variants.tsv, in place; unknown edits are an error, not a no-op."""
    kind, _, argument = edit.partition(":")
    if kind == "drop":
        _drop(record, argument)
    elif kind == "set":
        _set(record, argument)
    elif kind == "isbn10q":
        _isbn10(record, argument)
    elif kind == "fold" and argument == "diacritics":
        _rewrite(record, ("100", "245", "260", "264"), lambda code, value: _fold(value))
    elif kind in ("upper", "titlecase"):
        tag, code = _field_and_code(argument)
        change = str.upper if kind == "upper" else str.title
        _rewrite(record, (tag,), lambda c, value: change(value) if c == code else value)
    elif kind == "to264":
        _to_264(record)
    elif kind == "move":
        _move_name(record, argument)
    elif kind == "join" and argument == "245ab":
        _join_245ab(record)
    elif kind == "unpunct":
        _rewrite(record, ("100", "245", "260"), lambda code, value: nz.strip_isbd(value))
    else:
        raise ValueError(f"unknown variant edit {edit!r}")


def variant_records() -> dict[str, pymarc.Record]:
    variants = {}
    for name, base, *edits in _rows(VARIANTS):
        record = copy.deepcopy(source_record(base))
        for edit in edits:
            apply_edit(record, edit)
        variants[VARIANT_PREFIX + name] = record
    return variants


# -- the evaluation -----------------------------------------------------------------------


def _partner(record_id: str) -> Partner:
    """One partner per source file (and one for the variants): records come from 'libraries'."""
    stem = "variants" if record_id.startswith(VARIANT_PREFIX) else Path(record_id).name
    stem = stem.partition("#")[0].replace(".", "_")
    return Partner(id=stem, name=stem, base_url="http://127.0.0.1:1/oai")


def corpus(pairs: list[LabelledPair]) -> dict[str, Record]:
    """Every record of every labelled file, and the variants, mapped; keyed by record id."""
    names = {
        rid.rpartition("#")[0]
        for pair in pairs
        for rid in (pair.record_a, pair.record_b)
        if not rid.startswith(VARIANT_PREFIX)
    }
    marc: dict[str, pymarc.Record] = {}
    for name in sorted(names):
        marc.update({f"{name}#{n}": record for n, record in enumerate(_file_records(name))})
    marc.update(variant_records())
    mapped = {}
    for record_id, record in marc.items():
        try:
            mapped[record_id] = marc_to_record(record, _partner(record_id), record_id)
        except nz.MappingError:
            continue  # a record without any title cannot be labelled either
    return mapped


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def scores(pairs: list[LabelledPair], predicted: list[bool]) -> dict:
    tp = sum(p.same and guess for p, guess in zip(pairs, predicted, strict=True))
    fp = sum(not p.same and guess for p, guess in zip(pairs, predicted, strict=True))
    fn = sum(p.same and not guess for p, guess in zip(pairs, predicted, strict=True))
    return {
        "pairs": len(pairs),
        "same": sum(p.same for p in pairs),
        "different": sum(not p.same for p in pairs),
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
    }


def evaluate(pairs: list[LabelledPair] | None = None) -> dict:
    """Run the WorkStore over the corpus and score every labelled pair."""
    pairs = labelled_pairs() if pairs is None else pairs
    records = corpus(pairs)
    missing = {rid for p in pairs for rid in (p.record_a, p.record_b)} - set(records)
    if missing:
        raise ValueError(f"labelled records that could not be read or mapped: {sorted(missing)}")
    store = WorkStore(sqlite3.connect(":memory:"))
    change = Change()
    for record in records.values():
        store.upsert(record, "bench", change)
    work = {rid: store.work_of(record.key) for rid, record in records.items()}
    predicted = [work[p.record_a] == work[p.record_b] for p in pairs]
    groups = sorted({p.group for p in pairs})
    result = {
        "records": len(records),
        "works": len(set(work.values())),
        "overall": scores(pairs, predicted),
        "groups": {
            group: scores(
                [p for p in pairs if p.group == group],
                [g for p, g in zip(pairs, predicted, strict=True) if p.group == group],
            )
            for group in groups
        },
        "errors": [
            {
                "group": p.group,
                "a": p.record_a,
                "b": p.record_b,
                "label": "same" if p.same else "different",
                "reason": p.reason,
                "merged_by": [m for r in (p.record_a, p.record_b) if (m := _merged_by(store, r))],
            }
            for p, guess in zip(pairs, predicted, strict=True)
            if guess != p.same
        ],
    }
    return result


def _merged_by(store: WorkStore, record_id: str) -> str:
    key = f"{_partner(record_id).id}\x1f{record_id}"
    row = store.db.execute("SELECT merged_by FROM records WHERE record_key = ?", (key,)).fetchone()
    return f"{record_id}: {row[0]}" if row and row[0] else ""


def _line(name: str, figures: dict) -> str:
    def pct(value):
        return "  n/a " if value is None else f"{value:6.1%}"

    return (
        f"{name:<10} {figures['pairs']:>5} {figures['same']:>5} {figures['different']:>5}"
        f"  {pct(figures['precision'])}  {pct(figures['recall'])}"
        f"  (tp {figures['true_positives']}, fp {figures['false_positives']},"
        f" fn {figures['false_negatives']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=Path("bench/results/dedup.json"))
    args = parser.parse_args()
    # pymarc's complaints about the deliberately broken test records would bury the table
    logging.basicConfig(level=logging.ERROR)
    warnings.simplefilter("ignore")
    result = evaluate()
    print(f"{result['records']} records → {result['works']} works")
    print(f"{'group':<10} {'pairs':>5} {'same':>5} {'diff':>5}  {'prec':>6}  {'recall':>6}")
    for group, figures in result["groups"].items():
        print(_line(group, figures))
    print(_line("overall", result["overall"]))
    for error in result["errors"]:
        print(f"  wrong: {error['label']:<9} {error['a']} ~ {error['b']}: {error['reason']}")
        for merged in error["merged_by"]:
            print(f"         merged by {merged}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
