"""Known-item relevance: does the search find a title the way a patron types it?

    .venv/bin/python bench/relevance.py [--engine tantivy|elasticsearch|both] [--json PATH]

Every readable record of the files in SOURCES (real records in ../shared/data: jazz
recordings, French, Czech, Nepali, fiction, Chinese with 880s, LC's Russian and Chinese
records, Tibetan/Persian/Hebrew/Korean ones) is mapped by the real MARC mapping into a real
Catalog (work matching in SQLite, the real engine). From a seeded sample of them (at most
`--per-source` per file) the queries a patron might type to find each are made by general
rules (`variants`), never by hand; each query goes through the app's own parsing
(`search_request_from_params`) and the rank of the target's work among the first ten is
kept. Prints success@1, success@10 and MRR (over the first ten) per kind and overall.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sqlite3
import sys
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.partners import Partner  # noqa: E402
from config.settings import Settings  # noqa: E402
from demo.partners import SHARED_DATA  # noqa: E402
from indexer import normalize as nz  # noqa: E402
from indexer.catalog import Catalog  # noqa: E402
from indexer.cjk import has_cjk  # noqa: E402
from indexer.engine import SearchEngine  # noqa: E402
from indexer.engines import open_engine  # noqa: E402
from indexer.marc import marc_to_record  # noqa: E402
from indexer.marc_readers import marc_records_from_file, marc_records_from_sql  # noqa: E402
from indexer.model import Record  # noqa: E402
from search_ui.request_params import search_request_from_params  # noqa: E402

SOURCES = (
    "evergreen/jazz_1k.mrc",
    "evergreen/lul_fre_500.mrc",
    "evergreen/nepali.marc",
    "evergreen/bibs_cze.sql",
    "evergreen/bibs_fre.sql",
    "evergreen/bibs_fic.sql",
    "evergreen/bibs_graphic_880.sql",
    "evergreen/bibs_concerto.sql",
    "evergreen/bibs_mr.sql",
    "cjk/lc-marc2bibframe2/dataset/gwu.xml",
    "cjk/traject/test_data.utf8.mrc",
    "cjk/yaz/marccol1.u8.marc",
    "cjk/stanford-solrmarc-sw/nonlatinscripts.mrc",
)
KINDS = (
    "exact_title",
    "title_words_author",
    "title_start",
    "no_diacritics",
    "number_changed",
    "typo",
    "vernacular_title",
    "subject_author",
)
#: Languages whose plural is mostly the singular + "s" (the rule `number_changed` uses).
PLURAL_S = {"eng", "fre", "spa", "por", "cat"}
DEPTH = 10


@dataclass(frozen=True)
class Probe:
    kind: str
    query: str
    work_id: str
    source: str


def load_records() -> dict[str, list[Record]]:
    """Every mappable record of each source, one partner per file."""
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    out: dict[str, list[Record]] = {}
    for name in SOURCES:
        path = SHARED_DATA / name
        reader = marc_records_from_sql if path.suffix == ".sql" else marc_records_from_file
        partner_id = Path(name).stem.replace(".", "_")
        partner = Partner(partner_id, partner_id, "http://127.0.0.1:9/oai")
        records = []
        for n, marc in enumerate(reader(path)):
            try:
                records.append(marc_to_record(marc, partner, f"oai:{partner_id}:{n}", "2026-12-01"))
            except nz.MappingError:
                continue
        out[name] = records
    return out


# -- query variants: general rules, the same for every record ----------------------------


def _words(text: str) -> list[str]:
    """The words of `text` as a patron reads them: split at spaces, outer punctuation off."""
    stripped = (w.strip(".,:;/=()[]\"'!?") for w in text.split())
    return [w for w in stripped if any(c.isalnum() for c in w)]


def _surname(record: Record) -> str:
    if not record.contributors:
        return ""
    name = record.contributors[0].name
    head = name.split(",")[0] if "," in name else (name.split() or [""])[-1]
    return " ".join(_words(head))


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not _latin_mark(c)))


def _latin_mark(char: str) -> bool:
    return unicodedata.combining(char) > 0 and "COMBINING" in unicodedata.name(char, "")


def _is_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all("LATIN" in unicodedata.name(c, "") for c in letters)


def _longest(words: list[str], at_least: int) -> int | None:
    """The longest word of letters typed one by one (CJK text, typed through an input method,
    has slips of its own: bench/cjk.py's `slip`)."""
    fit = [
        (len(w), -i)
        for i, w in enumerate(words)
        if w.isalpha() and len(w) >= at_least and not has_cjk(w)
    ]
    return -max(fit)[1] if fit else None


def _typo(word: str, rng: random.Random) -> str:
    """One edit inside the word (the first letter kept): swap, drop, double or replace."""
    i = rng.randrange(1, len(word) - 1)
    edit = rng.choice(("swap", "drop", "double", "replace"))
    if edit == "swap" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if edit == "drop":
        return word[:i] + word[i + 1 :]
    if edit == "double":
        return word[:i] + word[i] + word[i:]
    replacement = "e" if word[i] in "aiou" else "a" if word[i] not in "a" else "o"
    return word[:i] + replacement + word[i + 1 :]


def _toggle_number(word: str) -> str:
    if word.endswith("s") and not word.endswith("ss") and len(word) > 4:
        return word[:-1]
    return word + "s"


def variants(record: Record, rng: random.Random) -> Iterator[tuple[str, str]]:
    """(kind, query) pairs for one record; a kind that does not apply is left out."""
    title = record.title.strip()
    words = _words(title)
    if not words:
        return
    yield "exact_title", title
    surname = _surname(record)
    significant = [w for w in words if len(w) >= 3][:3]
    if surname and significant:
        yield "title_words_author", " ".join([*significant, surname])
    if len(words) >= 3:
        yield "title_start", " ".join(words[: 3 if len(words) >= 5 else 2])
    if _is_latin(title) and _strip_marks(title) != title:
        yield "no_diacritics", _strip_marks(title)
    head = words[:5]
    where = _longest(head, 4)
    if record.language in PLURAL_S and where is not None:
        changed = [*head[:where], _toggle_number(head[where]), *head[where + 1 :]]
        yield "number_changed", " ".join(changed)
    where = _longest(head, 5)
    if where is not None:
        changed = [*head[:where], _typo(head[where], rng), *head[where + 1 :]]
        yield "typo", " ".join(changed)
    vernacular = record.vernacular.get("title", [])
    if vernacular and vernacular[0] != title:
        yield "vernacular_title", vernacular[0].split(" : ")[0].split(" / ")[0]
    if surname and record.subjects:
        subject_words = _words(record.subjects[0].heading.split(" -- ")[0])
        where = _longest(subject_words, 4)
        if where is not None:
            yield "subject_author", f"{subject_words[where]} {surname}"


def probes(catalog: Catalog, records: dict[str, list[Record]], per_source: int, seed: int):
    rng = random.Random(seed)
    out: list[Probe] = []
    for source, found in records.items():
        sample = rng.sample(found, min(per_source, len(found)))
        for record in sample:
            work_id = catalog.store.work_of(record.key)
            if work_id is None:
                continue
            for kind, query in variants(record, rng):
                out.append(Probe(kind, query, work_id, source))
    return out


# -- running ----------------------------------------------------------------------------


def rank_of(engine: SearchEngine, probe: Probe) -> int | None:
    request = search_request_from_params({"q": probe.query, "per_page": str(DEPTH)})
    hits = engine.search(request).hits
    ids = [hit.work_id for hit in hits]
    return ids.index(probe.work_id) + 1 if probe.work_id in ids else None


def summary(ranks: list[int | None]) -> dict:
    n = len(ranks)
    return {
        "queries": n,
        "success_at_1": round(sum(r == 1 for r in ranks) / n, 3) if n else None,
        "success_at_10": round(sum(r is not None for r in ranks) / n, 3) if n else None,
        "mrr": round(sum(1 / r for r in ranks if r) / n, 3) if n else None,
    }


def evaluate(engine: SearchEngine, records: dict[str, list[Record]], args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "state.sqlite", isolation_level=None)
        catalog = Catalog(db, engine, {})
        for found in records.values():
            catalog.add_records(found, "relevance")
        started = time.perf_counter()
        tried = probes(catalog, records, args.per_source, args.seed)
        by_kind: dict[str, list[int | None]] = {kind: [] for kind in KINDS}
        misses = []
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
        "works": engine.count(),
        "seconds": round(time.perf_counter() - started, 1),
        "figures": figures,
        "misses": misses,
    }


def _engine(kind: str, tmp: Path, es_url: str) -> SearchEngine:
    return open_engine(
        Settings(
            data_dir=tmp,
            engine=kind,
            es_url=es_url,
            es_index=f"fedcat-relevance-{uuid.uuid4().hex[:10]}",
        )
    )


def table(results: list[dict]) -> str:
    lines = [
        "| engine | kind | queries | success@1 | success@10 | MRR |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        for kind, f in result["figures"].items():
            label = f"**{kind}**" if kind == "overall" else kind
            lines.append(
                f"| {result['engine']} | {label} | {f['queries']} | {f['success_at_1']:.3f} "
                f"| {f['success_at_10']:.3f} | {f['mrr']:.3f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("tantivy", "elasticsearch", "both"), default="both")
    parser.add_argument(
        "--es-url", default=os.environ.get("FEDCAT_ES_URL", "http://127.0.0.1:9200")
    )
    parser.add_argument("--per-source", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
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
                results.append(evaluate(engine, records, args))
            finally:
                if kind == "elasticsearch":
                    engine.drop()
                engine.close()
    print(table(results))
    for result in results:
        print(f"{result['engine']}: {result['works']} works, {result['seconds']} s of queries")
        if args.misses:
            for miss in result["misses"]:
                print(f"  miss {miss['kind']:<20} {miss['query']!r}  ({miss['source']})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
