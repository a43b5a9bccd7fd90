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
import re
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


#: What a pair is, as its labeller read it (see bench/README.md, "Dedup quality").
KINDS = (
    "duplicate",  # one manifestation catalogued by two libraries (or keyed differently)
    "identical",  # one record twice: another set, another encoding (not counted in the aim)
    "edition",  # other edition, printing with another date, reissue
    "translation",  # the same text in another language
    "print_online",  # print and online (or microform) editions
    "format",  # another format of one title: audiobook, score vs disc, braille
    "volume",  # another volume of one set
    "other_work",  # another work with the same or a similar title
)


@dataclass(frozen=True)
class LabelledPair:
    group: str
    kind: str
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
    for group, kind, record_a, record_b, label, reason in _rows(path):
        if label not in ("same", "different"):
            raise ValueError(f"{path}: label must be same or different, not {label!r}")
        if kind not in KINDS:
            raise ValueError(f"{path}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
        pairs.append(LabelledPair(group, kind, record_a, record_b, label == "same", reason))
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


def _script(record: pymarc.Record, locale: str) -> None:
    """Han characters converted the way a library of the other script would key them, word
    spaces (an RLIN habit) dropped between CJK characters."""
    from zhconv import convert

    def change(code: str, value: str) -> str:
        if code in "60":
            return value
        joined = re.sub(r"(?<=[\u3000-\u9fff])[ \u3000]+(?=[\u3000-\u9fff])", "", value)
        return convert(joined, locale)

    _rewrite(record, ("245", "260", "264", "880"), change)


def _online(record: pymarc.Record) -> None:
    """The online edition of a print record, as an e-book vendor's record says it."""
    record.remove_fields("007")
    record.add_ordered_field(pymarc.Field(tag="007", data="cr |n|||||||||"))
    f008 = record.get("008")
    if f008 is not None:
        f008.data = f008.data.ljust(40)[:23] + "o" + f008.data.ljust(40)[24:]
    pages = re.search(r"(\d+) p", _subfield(record, "300", "a"))
    extent = f"1 online resource ({pages.group(1)} pages)" if pages else "1 online resource"
    record.remove_fields("300")
    record.add_ordered_field(pymarc.Field("300", [" ", " "], [pymarc.Subfield("a", extent)]))


def _subfield(record: pymarc.Record, tag: str, code: str) -> str:
    field = record.get(tag)
    return (field.get(code) or "") if field is not None else ""


def _isbn_to_z(record: pymarc.Record) -> None:
    for field in record.get_fields("020"):
        field.subfields = [
            pymarc.Subfield("z" if s.code == "a" else s.code, s.value) for s in field.subfields
        ]


def _fixed(record: pymarc.Record, start: int, value: str) -> None:
    f008 = record.get("008")
    if f008 is not None:
        data = f008.data.ljust(40)
        f008.data = data[:start] + value + data[start + len(value) :]


def _year(record: pymarc.Record, year: str) -> None:
    _fixed(record, 7, year)
    for field in record.get_fields("260", "264"):
        if "c" in field:
            field["c"] = f"{year}."


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
    elif kind == "script":
        _script(record, argument)
    elif kind == "online":
        _online(record)
    elif kind == "isbn-to-z":
        _isbn_to_z(record)
    elif kind == "lang":
        _fixed(record, 35, argument)
    elif kind == "year":
        _year(record, argument)
    elif kind == "unpunct":
        _rewrite(record, ("100", "245", "260"), lambda code, value: nz.strip_isbd(value))
    else:
        raise ValueError(f"unknown variant edit {edit!r}")


@cache
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

    def subset(keep) -> dict:
        chosen = [(p, g) for p, g in zip(pairs, predicted, strict=True) if keep(p)]
        return scores([p for p, _ in chosen], [g for _, g in chosen])

    result = {
        "records": len(records),
        "works": len(set(work.values())),
        "overall": scores(pairs, predicted),
        "cross_library": subset(lambda p: p.kind != "identical" and _cross_library(p)),
        "groups": {
            g: subset(lambda p, g=g: p.group == g) for g in sorted({p.group for p in pairs})
        },
        "kinds": {k: subset(lambda p, k=k: p.kind == k) for k in KINDS},
        "errors": [
            {
                "group": p.group,
                "kind": p.kind,
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


@cache
def library_of(record_id: str) -> str:
    """Who catalogued a record: 040 $a (the cataloguing agency) when the record says it, else
    its source file; a variant without its own 040 counts as another library's record."""
    if record_id.startswith(VARIANT_PREFIX):
        base = variant_records()[record_id]
    else:
        base = source_record(record_id)
    field = base.get("040")
    agency = (field.get("a") or "").strip() if field is not None else ""
    if agency and not (record_id.startswith(VARIANT_PREFIX) and agency == _base_agency(record_id)):
        return agency
    return record_id if record_id.startswith(VARIANT_PREFIX) else record_id.rpartition("#")[0]


def _base_agency(variant_id: str) -> str:
    name = variant_id.removeprefix(VARIANT_PREFIX)
    base = next(row[1] for row in _rows(VARIANTS) if row[0] == name)
    field = source_record(base).get("040")
    return (field.get("a") or "").strip() if field is not None else ""


def _cross_library(pair: LabelledPair) -> bool:
    return library_of(pair.record_a) != library_of(pair.record_b)


def _merged_by(store: WorkStore, record_id: str) -> str:
    key = f"{_partner(record_id).id}\x1f{record_id}"
    row = store.db.execute("SELECT merged_by FROM records WHERE record_key = ?", (key,)).fetchone()
    return f"{record_id}: {row[0]}" if row and row[0] else ""


def _line(name: str, figures: dict) -> str:
    def pct(value):
        return "  n/a " if value is None else f"{value:6.1%}"

    return (
        f"{name:<13} {figures['pairs']:>5} {figures['same']:>5} {figures['different']:>5}"
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
    print(f"{'pairs':<13} {'pairs':>5} {'same':>5} {'diff':>5}  {'prec':>6}  {'recall':>6}")
    for group, figures in result["groups"].items():
        print(_line(group, figures))
    for kind, figures in result["kinds"].items():
        if figures["pairs"]:
            print(_line(kind, figures))
    print(_line("overall", result["overall"]))
    print(_line("cross-library", result["cross_library"]))
    print("  (cross-library: records of different libraries, identical copies not counted)")
    for error in result["errors"]:
        print(
            f"  wrong: {error['label']:<9} [{error['kind']}] {error['a']} ~ {error['b']}:"
            f" {error['reason']}"
        )
        for merged in error["merged_by"]:
            print(f"         merged by {merged}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
