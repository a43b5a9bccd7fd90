"""Known-item search over the real CJK records: is a title found the way a reader types it?

    .venv/bin/python bench/cjk.py [--engine tantivy|elasticsearch|both] [--misses] [--json PATH]

Every readable record of ../shared/data/cjk (NDL's MARC 21, BNU's CNMARC and MARC 21, LC's
880 tests, yaz, traject, Open Library, SolrMarc) is mapped by the real mapping into a real
Catalog. For each record with a title in CJK script, queries are made by general rules
(`variants`), never by hand, and go through the app's own parsing; the rank of the target's
work among the first ten is kept. Kinds:

- vernacular_title: the title in its own script (Han, kana, Hangul), as catalogued;
- twin: that title converted traditional ↔ simplified (zhconv), when it differs;
- undivided: a word-divided title (理智　与　情感) typed without its spaces;
- first_characters: the first four characters of a title of eight or more;
- kana_reading: NDL's katakana reading (880 $6 245-nn/$1) typed in hiragana, undivided;
- romanised_title: the romanised form (245 in US practice, 880 (B for NDL, CNMARC's pinyin);
- chinese_form: a Japanese title with kanji of Japanese form (図 経 気), typed as a Chinese
  reader types its kanji: OpenCC's Japanese → traditional phrases, then zhconv's simplified.

Prints success@1, success@10 and MRR per kind, like bench/relevance.py.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sqlite3
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import opencc  # noqa: E402
from zhconv import zhconv  # noqa: E402

from bench.relevance import DEPTH, Probe, _engine, rank_of, summary, table  # noqa: E402
from config.partners import Partner  # noqa: E402
from demo.partners import SHARED_DATA  # noqa: E402
from indexer import normalize as nz  # noqa: E402
from indexer.catalog import Catalog  # noqa: E402
from indexer.engine import SearchEngine  # noqa: E402
from indexer.marc import marc_to_record  # noqa: E402
from indexer.marc_readers import marc_records_from_file  # noqa: E402
from indexer.model import Record  # noqa: E402

CJK = SHARED_DATA / "cjk"
#: The bibliographic files (the other dp2 samples repeat the CNMARC records in MODS, DC, ...).
SKIP = {"sample_dc.xml", "sample_dcx.xml", "sample_mods.xml", "sample_isohold.xml",
        "sample_unimarcxml.xml", "sample_kormarcxml.xml", "README.md"}  # fmt: skip
KINDS = (
    "vernacular_title", "twin", "undivided", "first_characters", "kana_reading",
    "romanised_title", "slip", "hangul_undivided", "chinese_form",
)  # fmt: skip
_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KATAKANA = re.compile(r"[\u30a1-\u30f6]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_UNDIVIDED = r"[\u3040-\u30ff\u3400-\u9fff]"
_DIVIDED = re.compile(rf"(?<={_UNDIVIDED})[ \u3000]+(?={_UNDIVIDED})")
_HANGUL_GAP = re.compile(r"(?<=[\uac00-\ud7a3])[ \u3000]+(?=[\uac00-\ud7a3])")


def load_records() -> dict[str, list[Record]]:
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    logging.getLogger("indexer.marc_readers").setLevel(logging.ERROR)
    out: dict[str, list[Record]] = {}
    for path in sorted(p for p in CJK.rglob("*") if p.is_file() and p.name not in SKIP):
        name = str(path.relative_to(CJK))
        partner_id = re.sub(r"[^a-z0-9_]", "_", path.stem.lower())[:32]
        partner = Partner(partner_id, partner_id, "http://127.0.0.1:9/oai")
        records = []
        for n, marc in enumerate(marc_records_from_file(path)):
            try:
                records.append(marc_to_record(marc, partner, f"oai:{name}:{n}", "2026-12-01"))
            except (nz.MappingError, ValueError, KeyError, IndexError, AttributeError):
                continue
        out[name] = records
    return out


def _main_part(title: str) -> str:
    return title.split(" : ")[0].split(" / ")[0].split(" = ")[0].strip()


def _hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if 0x30A1 <= ord(c) <= 0x30F6 else c for c in text)


def _first_characters(title: str, count: int = 4) -> str:
    """The first `count` characters of a title of twice as many, spaces kept as written,
    when they are all CJK script (a title starting 'iPhone' is not a CJK first-characters
    search)."""
    if sum(not c.isspace() for c in title) < 2 * count:
        return ""
    end, seen = 0, 0
    while seen < count:
        seen += not title[end].isspace()
        end += 1
    start = title[:end]
    return start if all(_SCRIPT.match(c) or c.isspace() for c in start) else ""


def _slip(title: str) -> str:
    """The title (undivided) with one character typed twice or left out, as an input method
    slip does: which, and where (inside, never the first or last), fixed by the title's own
    checksum; titles of fewer than six CJK characters are too short to tell apart."""
    text = _DIVIDED.sub("", title)
    if len(text) < 6 or not all(_SCRIPT.match(c) for c in text):
        return ""
    checksum = zlib.crc32(text.encode())
    where = 1 + checksum % (len(text) - 2)
    if checksum % 2:
        return text[:where] + text[where] + text[where:]
    return text[:where] + text[where + 1 :]


def _chinese_form(title: str) -> str:
    """A Japanese title's kanji in their Chinese simplified forms ("" when that is the title
    simplified as Chinese already, i.e. it has no kanji of a Japanese form)."""
    if not _KANA.search(title) and not _HAN.search(title):
        return ""
    chinese = zhconv.convert(opencc.OpenCC("jp2t").convert(title), "zh-hans")
    return chinese if chinese != zhconv.convert(title, "zh-hans") else ""


def variants(record: Record) -> Iterator[tuple[str, str]]:
    """(kind, query) pairs for one record, from its title forms whichever field holds them."""
    forms = [_main_part(f) for f in (record.title, *record.vernacular.get("title", [])) if f]
    script = [f for f in forms if _SCRIPT.search(f) and not _KATAKANA.fullmatch(f[:1] or " ")]
    readings = [f for f in forms[1:] if _KATAKANA.search(f) and not _HAN.search(f)]
    script = [f for f in script if f not in readings]
    if not script:
        return
    title = script[0]
    yield "vernacular_title", title
    if _HAN.search(title):
        simplified = zhconv.convert(title, "zh-hans") == title
        other = zhconv.convert(title, "zh-hant" if simplified else "zh-hans")
        if other != title:
            yield "twin", other
    chinese = _chinese_form(title)
    if chinese:
        yield "chinese_form", chinese
    if _DIVIDED.search(title):
        yield "undivided", _DIVIDED.sub("", title)
    start = _first_characters(_DIVIDED.sub("", title))
    if start:
        yield "first_characters", start
    if readings:
        yield "kana_reading", _hiragana(_DIVIDED.sub("", readings[0]))
    if _HANGUL_GAP.search(title):  # Korean typed without its word spaces
        yield "hangul_undivided", _HANGUL_GAP.sub("", title)
    slip = _slip(title)
    if slip:
        yield "slip", slip
    romanised = [f for f in forms if not _SCRIPT.search(f) and any(c.isalpha() for c in f)]
    if romanised:
        yield "romanised_title", romanised[0]


def probes(catalog: Catalog, records: dict[str, list[Record]]) -> tuple[list[Probe], int]:
    """The probes with one right answer, and how many were left out for having several:
    a query made from one record that the rules also make from another work (NDL's yearly
    電子書籍ビジネス調査報告書, or twenty titles starting 電子書籍) has no defined target."""
    made: list[Probe] = []
    for source, found in records.items():
        for record in found:
            work_id = catalog.store.work_of(record.key)
            if work_id is not None:
                made += [Probe(k, q, work_id, source) for k, q in variants(record) if q]
    targets: dict[tuple[str, str], set[str]] = {}
    for probe in made:
        targets.setdefault((probe.kind, probe.query), set()).add(probe.work_id)
    kept = [p for p in made if len(targets[p.kind, p.query]) == 1]
    return kept, len(made) - len(kept)


def evaluate(engine: SearchEngine, records: dict[str, list[Record]]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "state.sqlite", isolation_level=None)
        catalog = Catalog(db, engine, {})
        for found in records.values():
            catalog.add_records(found, "cjk")
        started = time.perf_counter()
        by_kind: dict[str, list[int | None]] = {kind: [] for kind in KINDS}
        misses = []
        tried, ambiguous = probes(catalog, records)
        for probe in tried:
            rank = rank_of(engine, probe)
            by_kind[probe.kind].append(rank)
            if rank is None:
                misses.append({"kind": probe.kind, "query": probe.query, "source": probe.source})
        db.close()
    figures = {kind: summary(ranks) for kind, ranks in by_kind.items() if ranks}
    figures["overall"] = summary([r for ranks in by_kind.values() for r in ranks])
    return {
        "engine": engine.name,
        "records": sum(map(len, records.values())),
        "works": engine.count(),
        "seconds": round(time.perf_counter() - started, 1),
        "ambiguous": ambiguous,
        "figures": figures,
        "misses": misses,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("tantivy", "elasticsearch", "both"), default="both")
    parser.add_argument(
        "--es-url", default=os.environ.get("FEDCAT_ES_URL", "http://127.0.0.1:9200")
    )
    parser.add_argument("--json", type=Path, help="write the figures (and every miss) here")
    parser.add_argument("--misses", action="store_true", help="print every query that missed")
    args = parser.parse_args(argv)
    records = load_records()
    kinds = ("tantivy", "elasticsearch") if args.engine == "both" else (args.engine,)
    results = []
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            engine = _engine(kind, Path(tmp), args.es_url)
            try:
                results.append(evaluate(engine, records))
            finally:
                if kind == "elasticsearch":
                    engine.drop()
                engine.close()
    print(table(results))
    for result in results:
        print(
            f"{result['engine']}: {result['records']} records, {result['works']} works, "
            f"{result['seconds']} s of queries (first {DEPTH} ranked), "
            f"{result['ambiguous']} queries with several right answers left out"
        )
        if args.misses:
            for miss in result["misses"]:
                print(f"  miss {miss['kind']:<18} {miss['query']!r}  ({miss['source']})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
