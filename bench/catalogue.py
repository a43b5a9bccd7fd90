"""A synthetic union catalogue for the benchmarks, made from the real records in ../shared/data.

`SyntheticCatalogue(works, libraries, seed)` describes `works` titles held across `libraries`
partner libraries. Everything is deterministic from the seed, and each work is made on demand
from its index (`record_xml(work, library)`), so a million works cost no more memory than ten:
only the holdings plan (which libraries hold which work, a few bytes a record) is kept.

What makes it realistic enough to measure with:

- each record starts from a real MARC record (leader, 008, physical description, notes,
  classification...), so formats, languages and record sizes are those of real catalogues;
- titles, subjects and authors are drawn from the words, headings and names of the real
  records with a Zipf law over their real frequency, so there are common, medium and rare terms;
- ISBN-13s with valid check digits (a tenth of the works have none, like old books and many
  recordings), years 1900-2026 leaning recent;
- holdings: about 35% of works are held by two or more libraries, bigger libraries hold more;
  each library's copy is its own record with a SirsiDynix 949 item field (call number,
  location, status), and a fifth of the extra copies lack the ISBN, so only the
  title/author/year key can merge them into the work.
"""

from __future__ import annotations

import bisect
import logging
import random
import re
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pymarc

from indexer.marc_readers import marc_records_from_file, marc_records_from_sql

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
)
MARC_NS = "http://www.loc.gov/MARC21/slim"
#: Fields a template keeps; identity (001, 020, 035, 1xx/7xx, 245, 26x, 6xx) is generated,
#: and other libraries' items (852/949/999) and linked scripts (880) are dropped.
KEPT_TAGS = re.compile(r"^(0(07|08|41|50|82|90)|250|300|5(0[0-9]|[1-8][0-9])|856)$")
#: How many libraries hold a work: 1 for 65% of works, 2+ for 35%.
HOLDERS = ((1, 0.65), (2, 0.20), (3, 0.08), (4, 0.04), (5, 0.03))
NO_ISBN_WORKS = 0.10
NO_ISBN_COPIES = 0.20
#: the ILL benchmark routes between 100 libraries
MAX_LIBRARIES = 200
WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


@dataclass(frozen=True)
class Template:
    leader: str
    control_008: str
    #: the kept control and data fields, as MARCXML text
    static_xml: str
    call_number: str


@dataclass(frozen=True)
class Library:
    id: str
    name: str
    location: str


def _zipf_cumulative(count: int, exponent: float = 1.0) -> list[float]:
    return list(accumulate(1.0 / (rank + 1) ** exponent for rank in range(count)))


def _field_xml(field: pymarc.Field) -> str:
    if field.is_control_field():
        return f'<controlfield tag="{field.tag}">{escape(field.data)}</controlfield>'
    subfields = "".join(
        f"<subfield code={quoteattr(s.code)}>{escape(s.value)}</subfield>" for s in field.subfields
    )
    return (
        f'<datafield tag="{field.tag}" ind1={quoteattr(field.indicator1 or " ")}'
        f" ind2={quoteattr(field.indicator2 or ' ')}>{subfields}</datafield>"
    )


def _datafield(tag: str, ind: str, subfields: list[tuple[str, str]]) -> str:
    inner = "".join(f'<subfield code="{c}">{escape(v)}</subfield>' for c, v in subfields)
    return f'<datafield tag="{tag}" ind1="{ind[0]}" ind2="{ind[1]}">{inner}</datafield>'


def isbn13(number: int) -> str:
    """A valid ISBN-13 (978 prefix, correct check digit) for a 9-digit serial number."""
    digits12 = f"978{number % 10**9:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits12))
    return digits12 + str((10 - total % 10) % 10)


class Vocabulary:
    """Titles words, subject headings and names of the real records, most frequent first."""

    def __init__(self, records: list[pymarc.Record], rng: random.Random):
        words: Counter[str] = Counter()
        headings: Counter[str] = Counter()
        surnames: Counter[str] = Counter()
        forenames: Counter[str] = Counter()
        places: list[tuple[str, str]] = []
        for record in records:
            for field in record.get_fields("245", "246", "650", "651", "505", "520"):
                for code, value in field.subfields:
                    if code in "abt":
                        words.update(w.casefold() for w in WORD.findall(value))
            for field in record.get_fields("650", "651", "600", "610"):
                heading = " ".join(field.get_subfields("a")).strip(" .,;:")
                if heading:
                    headings[heading] += 1
            for field in record.get_fields("100", "700"):
                name = (field.get("a") or "").strip(" .,;:")
                surname, _, forename = name.partition(", ")
                if surname and forename:
                    surnames[surname] += 1
                    forenames[forename.strip(" .,")] += 1
            for field in record.get_fields("260", "264"):
                place = (field.get("a") or "").strip(" :;,[]")
                publisher = (field.get("b") or "").strip(" :;,")
                if place and publisher:
                    places.append((place, publisher))
        self.words = [w for w, _ in words.most_common()]
        self.headings = [h for h, _ in headings.most_common()]
        self.surnames = [n for n, _ in surnames.most_common()]
        self.forenames = [n for n, _ in forenames.most_common()]
        self.places = sorted(set(places)) or [("New York", "Publisher")]
        rng.shuffle(self.places)
        self._cumulative = {
            name: _zipf_cumulative(len(getattr(self, name)))
            for name in ("words", "headings", "surnames", "forenames")
        }

    def draw(self, rng: random.Random, name: str, k: int = 1) -> list[str]:
        return rng.choices(getattr(self, name), cum_weights=self._cumulative[name], k=k)


def load_templates(data_dir: Path = SHARED_DATA) -> list[pymarc.Record]:
    if not data_dir.is_dir():
        raise FileNotFoundError(f"benchmark data not found at {data_dir} (../shared/data)")
    records: list[pymarc.Record] = []
    logging.getLogger("pymarc").setLevel(logging.ERROR)  # the Nepali file's odd indicators
    for source in SOURCES:
        path = data_dir / source
        reader = marc_records_from_sql if path.suffix == ".sql" else marc_records_from_file
        records.extend(r for r in reader(path) if r.get("245") is not None)
    return records


def _template(record: pymarc.Record) -> Template:
    f008 = record.get("008")
    control = (f008.data if f008 is not None else "").ljust(40)
    call = ""
    for tag in ("050", "090", "082"):
        field = record.get(tag)
        if field is not None and field.get("a"):
            call = " ".join(field.get_subfields("a", "b")).strip()
            break
    kept = "".join(
        _field_xml(f) for f in record.fields if KEPT_TAGS.match(f.tag) and f.tag != "008"
    )
    leader = str(record.leader)[:9] + "a" + str(record.leader)[10:]  # the XML is UTF-8
    return Template(leader.ljust(24)[:24], control, kept, call)


@dataclass(frozen=True)
class Work:
    """What every library's record of one title shares."""

    index: int
    template: Template
    title: str
    subtitle: str
    author: str
    subjects: tuple[str, ...]
    year: int
    place: str
    publisher: str
    isbn: str  # "" for works without one
    call_number: str


class SyntheticCatalogue:
    def __init__(self, works: int, libraries: int = 5, seed: int = 1, data_dir: Path = SHARED_DATA):
        if works < 1 or not 2 <= libraries <= MAX_LIBRARIES:
            raise ValueError(
                f"a catalogue needs at least one work and 2 to {MAX_LIBRARIES} libraries"
            )
        self.works = works
        self.seed = seed
        self.libraries = [
            Library(f"lib{n:02d}", f"Library {n:02d}", f"Branch {n:02d} stacks")
            for n in range(1, libraries + 1)
        ]
        rng = random.Random(seed)
        records = load_templates(data_dir)
        self.templates = [_template(r) for r in records]
        self.vocabulary = Vocabulary(records, rng)
        # bigger libraries hold more: weight 1/sqrt(rank)
        self._library_weights = list(
            accumulate(1.0 / (n + 1) ** 0.5 for n in range(len(self.libraries)))
        )

    # -- the holdings plan --------------------------------------------------------------
    def _rng(self, work: int, stream: int) -> random.Random:
        """The random stream `stream` of `work`: 0 holders, 1 the work, 2+ a library's copy.

        Streams past 63 (libraries past the 62nd) are seeded apart, so catalogues of up to 62
        libraries stay exactly what they were.
        """
        if stream >= 64:
            return random.Random(f"{self.seed}:{work}:{stream}")
        return random.Random((self.seed * 1_000_003 + work) * 64 + stream)

    def holders(self, work: int) -> list[int]:
        """Indexes (into `libraries`) of the libraries holding `work`, in a stable order."""
        rng = self._rng(work, 0)
        roll, count = rng.random(), 1
        for holders, share in HOLDERS:
            count = holders
            if roll < share:
                break
            roll -= share
        count = min(count, len(self.libraries))
        chosen: list[int] = []
        while len(chosen) < count:
            (pick,) = rng.choices(range(len(self.libraries)), cum_weights=self._library_weights)
            if pick not in chosen:
                chosen.append(pick)
        return chosen

    @cached_property
    def plan(self) -> list[array]:
        """Per library, the indexes of the works it holds, ascending (4 bytes a record)."""
        per_library = [array("I") for _ in self.libraries]
        for work in range(self.works):
            for library in self.holders(work):
                per_library[library].append(work)
        return per_library

    @property
    def record_count(self) -> int:
        return sum(len(works) for works in self.plan)

    def works_held_by_several(self) -> int:
        return sum(1 for work in range(self.works) if len(self.holders(work)) > 1)

    # -- works and records --------------------------------------------------------------
    def work(self, index: int) -> Work:
        rng = self._rng(index, 1)
        vocab = self.vocabulary
        template = self.templates[rng.randrange(len(self.templates))]
        words = vocab.draw(rng, "words", rng.randint(2, 6))
        title = " ".join(words).capitalize()
        subtitle = (
            " ".join(vocab.draw(rng, "words", rng.randint(2, 4))) if rng.random() < 0.3 else ""
        )
        author = f"{vocab.draw(rng, 'surnames')[0]}, {vocab.draw(rng, 'forenames')[0]}"
        subjects = tuple(dict.fromkeys(vocab.draw(rng, "headings", rng.randint(1, 3))))
        year = min(2026, int(1900 + 126 * rng.random() ** 0.6))
        place, publisher = vocab.places[rng.randrange(len(vocab.places))]
        isbn = "" if rng.random() < NO_ISBN_WORKS else isbn13(self.seed * 7_919 + index)
        call = template.call_number or f"{rng.choice('BDHMNPQ')}{rng.randint(1, 9999)}"
        return Work(
            index, template, title, subtitle, author, subjects, year, place, publisher, isbn, call
        )

    def record_xml(self, work: Work, library: int, copy_number: int = 0) -> str:
        """One library's MARCXML record of `work` (`copy_number` 0 is the first holder's)."""
        lib = self.libraries[library]
        rng = self._rng(work.index, 2 + library)
        control_008 = (
            f"{work.template.control_008[:7]}{work.year:04d}{work.template.control_008[11:]}"
        )
        title_subfields = [("a", work.title + (" :" if work.subtitle else " /"))]
        if work.subtitle:
            title_subfields.append(("b", work.subtitle + " /"))
        forename, _, surname = work.author.partition(", ")[::-1]
        title_subfields.append(("c", f"{forename} {surname}."))
        fields = [
            f'<controlfield tag="001">{lib.id}-{work.index}</controlfield>',
            f'<controlfield tag="008">{escape(control_008)}</controlfield>',
        ]
        if work.isbn and not (copy_number and rng.random() < NO_ISBN_COPIES):
            fields.append(_datafield("020", "  ", [("a", work.isbn)]))
        fields.append(_datafield("100", "1 ", [("a", work.author + ",")]))
        fields.append(_datafield("245", "10", title_subfields))
        fields.append(
            _datafield(
                "264",
                " 1",
                [("a", work.place + " :"), ("b", work.publisher + ","), ("c", str(work.year))],
            )
        )
        fields.append(work.template.static_xml)
        fields.extend(_datafield("650", " 0", [("a", s)]) for s in work.subjects)
        status = rng.random()
        item = [("a", work.call_number), ("l", lib.location), ("m", lib.id.upper())]
        item.append(("r", "N" if status > 0.92 else "Y"))
        if status < 0.2:
            item.append(("k", "CHECKEDOUT"))
        fields.append(_datafield("949", "  ", item))
        return (
            f'<record xmlns="{MARC_NS}"><leader>{escape(work.template.leader)}</leader>'
            f"{''.join(fields)}</record>"
        )

    def records_of(self, library: int, start: int = 0, stop: int | None = None) -> Iterator[str]:
        """MARCXML of `library`'s records number `start` to `stop` (its own order)."""
        for work_index in self.plan[library][start:stop]:
            holders = self.holders(work_index)
            yield self.record_xml(self.work(work_index), library, holders.index(library))

    def all_records(self) -> Iterator[tuple[int, int, str]]:
        """(library, work, MARCXML) of every record, work by work."""
        for work_index in range(self.works):
            work = self.work(work_index)
            for copy_number, library in enumerate(self.holders(work_index)):
                yield library, work_index, self.record_xml(work, library, copy_number)


def locate(works: array, work: int) -> int | None:
    """Position of `work` in a library's ascending plan, or None."""
    position = bisect.bisect_left(works, work)
    return position if position < len(works) and works[position] == work else None
