"""Subject suggestion quality on real records: the model beside two baselines.

    .venv/bin/python bench/subjects.py [--test-share 0.2] [--json bench/results/subjects.json]

Every readable record of the files in SOURCES (../shared/data: English jazz recordings, French
university books with RVM headings, Nepali, Czech, Hebrew, Russian, Chinese and Japanese
records) is mapped by the real MARC mapping and grouped into works by the real WorkStore
(SQLite in memory). The works with catalogued headings are split by a hash of their id: the
test share is never seen by training (nor by the threshold, which `ai.model.train` tunes on
a validation split of the training works). Prints precision@1, precision@5, recall@5, F1@5
and nDCG@5 (`ai.evaluation`, Annif's document averages) overall and per language for:

- model: `ai.model.train` as `fedcat ai train` runs it (threshold and language evidence);
- most frequent: the 5 headings most often catalogued in the training works, for every work;
- nearest title: the headings of the training work sharing most title words (Jaccard).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ai.corpus import Example, split_label, store_examples  # noqa: E402
from ai.evaluation import evaluate  # noqa: E402
from ai.model import MIN_LABEL_WORKS, train, validation_split  # noqa: E402
from config.partners import Partner  # noqa: E402
from indexer.marc import marc_to_record  # noqa: E402
from indexer.marc_readers import marc_records_from_file, marc_records_from_sql  # noqa: E402
from indexer.normalize import MappingError  # noqa: E402
from indexer.text import analyze  # noqa: E402
from indexer.works import Change, WorkStore  # noqa: E402

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
SOURCES = (
    "evergreen/jazz_1k.mrc",
    "evergreen/lul_fre_500.mrc",
    "evergreen/nepali.marc",
    "evergreen/bibs_concerto.sql",
    "evergreen/bibs_fre.sql",
    "evergreen/bibs_fic.sql",
    "evergreen/bibs_cze.sql",
    "evergreen/bibs_mr.sql",
    "evergreen/bibs_maps.sql",
    "evergreen/bibs_graphic_880.sql",
    "cjk/enju-ndl/marc21.dat",
    "cjk/traject/test_data.utf8.mrc",
    "cjk/stanford-solrmarc-sw/nonlatinscripts.mrc",
    "cjk/yaz/marccol1.u8.marc",
)
#: Languages reported on their own rows (the issue's, and Japanese, which the data holds);
#: the rest are summed in "other".
LANGUAGES = ("eng", "fre", "cze", "nep", "heb", "rus", "chi", "jpn")
MEASURES = ("p@1", "p@5", "r@5", "f1@5", "ndcg@5")


@dataclass(frozen=True)
class Found:
    heading: str
    scheme: str


def load_examples(sources: Sequence[str] = SOURCES, limit: int | None = None) -> list[Example]:
    """The works of the real records (each file its own partner), as Examples."""
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    store, change = WorkStore(sqlite3.connect(":memory:")), Change()
    for name in sources:
        path = SHARED_DATA / name
        reader = marc_records_from_sql if path.suffix == ".sql" else marc_records_from_file
        partner_id = Path(name).stem.replace(".", "_")
        partner = Partner(partner_id, partner_id, "http://127.0.0.1:9/oai")
        for n, marc in enumerate(reader(path)):
            if limit is not None and n >= limit:
                break
            try:
                record = marc_to_record(marc, partner, f"oai:{partner_id}:{n}", "2026-12-01")
            except MappingError:
                continue
            store.upsert(record, "", change)
    return list(store_examples(store))


def most_frequent(training: Sequence[Example]) -> Callable[[Example], list[Found]]:
    top = [lab for lab, _ in Counter(lab for e in training for lab in e.labels).most_common(5)]
    found = [Found(*split_label(lab)) for lab in top]
    return lambda example: found


def nearest_title(training: Sequence[Example]) -> Callable[[Example], list[Found]]:
    words = [(set(analyze(e.title)), e) for e in training]

    def suggest(example: Example) -> list[Found]:
        mine = set(analyze(example.title))
        best, best_score = None, 0.0
        for theirs, other in words:
            if mine and theirs:
                score = len(mine & theirs) / len(mine | theirs)
                if score > best_score:
                    best, best_score = other, score
        return [Found(*split_label(lab)) for lab in best.labels[:5]] if best else []

    return suggest


def table(rows: dict[str, dict[str, dict[str, float]]]) -> str:
    """A Markdown table, one line per (system, language): works measured and each measure."""
    widths = (13, 8, 5, *(max(6, len(m)) for m in MEASURES))

    def line(cells: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(
                c.rjust(w) if i > 1 else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )

    lines = [line(["system", "language", "works", *MEASURES])]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for system, by_language in rows.items():
        for language, figures in by_language.items():
            cells = [f"{figures[m]:.3f}" for m in MEASURES]
            lines.append(line([system, language, str(int(figures["works"])), *cells]))
    return "\n".join(lines)


def _by_language(test: Sequence[Example], found: Sequence[Sequence[Found]]) -> dict:
    groups: dict[str, list[int]] = {"all": list(range(len(test)))}
    for i, e in enumerate(test):
        groups.setdefault(e.language if e.language in LANGUAGES else "other", []).append(i)
    order = ["all", *LANGUAGES, "other"]
    return {
        name: evaluate([test[i] for i in groups[name]], [found[i] for i in groups[name]])
        for name in order
        if groups.get(name)
    }


def learnable(training: Sequence[Example], test: Sequence[Example]) -> dict[str, float]:
    """Per language, the share of the test works' headings catalogued on at least
    MIN_LABEL_WORKS training works: the most any learner of headings could find."""
    counts = Counter(lab for e in training for lab in e.labels)
    seen: dict[str, list[int]] = {}
    for e in test:
        language = e.language if e.language in LANGUAGES else "other"
        for name in ("all", language):
            pair = seen.setdefault(name, [0, 0])
            pair[0] += sum(counts[lab] >= MIN_LABEL_WORKS for lab in e.labels)
            pair[1] += len(e.labels)
    return {name: round(found / total, 3) for name, (found, total) in seen.items() if total}


def run(test_share: float = 0.2, limit: int | None = None) -> dict:
    started = time.perf_counter()
    examples = [e for e in load_examples(limit=limit) if e.labels]
    training, test = validation_split(examples, test_share, salt="test")
    loaded = time.perf_counter()
    model = train(training)
    trained = time.perf_counter()
    systems = {
        "model": model.suggest(test),
        "most frequent": [most_frequent(training)(e) for e in test],
        "nearest title": [nearest_title(training)(e) for e in test],
    }
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "works_with_headings": len(examples),
        "training_works": len(training),
        "test_works": len(test),
        "threshold": model.provenance.threshold,
        "headings_learnt": len(model.labels),
        "load_seconds": round(loaded - started, 1),
        "train_seconds": round(trained - loaded, 1),
        "learnable_headings": learnable(training, test),
        "results": {name: _by_language(test, found) for name, found in systems.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test-share", type=float, default=0.2)
    parser.add_argument("--limit", type=int, help="Records read per file at most.")
    parser.add_argument("--json", type=Path, default=Path("bench/results/subjects.json"))
    args = parser.parse_args()
    result = run(args.test_share, args.limit)
    print(
        f"{result['works_with_headings']} works with headings: {result['training_works']} "
        f"to train on, {result['test_works']} to test with; {result['headings_learnt']} "
        f"headings learnt, threshold {result['threshold']:g}; trained in "
        f"{result['train_seconds']} s"
    )
    print(table(result["results"]))
    shares = ", ".join(f"{k} {v:.0%}" for k, v in result["learnable_headings"].items())
    print(f"test headings catalogued on {MIN_LABEL_WORKS}+ training works: {shares}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
