"""The matching policy: which records can meet, and whether two records are one edition.

Match keys only find candidates: every identifier (ISBN, ISSN, OCLC number, LCCN, and the
cancelled numbers of 020 $z / 022 $y $z) and the title proper with the first author. Whether
two candidates are the same manifestation is decided by `compare`, field by field, with the
weights and vetoes of `indexer/match_rules.toml` (data a cataloguer can read and change). The
result is an `Evidence`: what agreed, what differed, what was absent, the score, and words a
member of staff can read. `indexer.works` applies it to whole works (no chains);
`indexer.editions` reuses the title proper and first author to find other editions.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from functools import cache
from pathlib import Path
from typing import Any, Literal

from indexer.model import Record
from indexer.text import analyze, join_divided_cjk

RULES_FILE = Path(__file__).with_name("match_rules.toml")
_WEAK_PREFIX = "title:"
Outcome = Literal["agree", "differ", "absent"]


@cache
def rules(path: Path = RULES_FILE) -> dict[str, Any]:
    """The matching rules (decision thresholds, field weights), read once."""
    with path.open("rb") as fh:
        return tomllib.load(fh)


def title_proper_terms(title: str) -> list[str]:
    """The analysed title proper. Some records carry the subtitle inside the title proper
    ("Title : subtitle" in 245 $a or one dc:title); cutting it lets both forms meet. A
    word-divided CJK title (理智　与　情感, older LC practice) is joined first, as the index
    joins it, so it meets the same title catalogued undivided."""
    return analyze(join_divided_cjk(re.split(r"\s*:\s+", title, maxsplit=1)[0]))


def first_word(name: str) -> str:
    """The first analysed word of a name: the surname of a "Surname, Forename" heading."""
    return next(iter(analyze(name)), "")


def _author(record: Record) -> str:
    return first_word(record.contributors[0].name) if record.contributors else ""


def match_keys(record: Record) -> list[str]:
    """The keys under which this record looks for candidates; identifiers first.

    A key only brings records together for `compare`; it never merges on its own. Parts are
    left out of the keys on purpose: a volume catalogued without its part must still meet
    the set, and `compare` keeps two different parts apart.
    """
    keys = [f"isbn:{i}" for i in record.isbns]
    keys += [f"isbn:{i}" for i in record.weak_isbns if len(i) == 13]
    keys += [f"issn:{i}" for i in (*record.issns, *record.weak_issns)]
    keys += [f"oclc:{o}" for o in record.oclc_numbers]
    if record.lccn:
        keys.append(f"lccn:{record.lccn.replace(' ', '')}")
    title = " ".join(title_proper_terms(record.title))
    if title:
        keys.append(f"{_WEAK_PREFIX}{title}|{_author(record)}")
    return keys


def is_strong(key: str) -> bool:
    """Whether a match key is an identifier key rather than the title key."""
    return not key.startswith(_WEAK_PREFIX)


def has_strong_key(keys: Iterable[str]) -> bool:
    return any(is_strong(key) for key in keys)


# -- comparing two records -----------------------------------------------------------------


@dataclass
class FieldResult:
    """How one field compared: its outcome, the two values, and what it added to the score."""

    name: str
    outcome: Outcome
    a: str = ""
    b: str = ""
    points: float = 0
    note: str = ""


_RESULT_FIELDS = tuple(f.name for f in dataclass_fields(FieldResult))


@dataclass
class Evidence:
    """Why two records are (or are not) one edition."""

    score: float
    merge: bool
    vetoed_by: list[str] = field(default_factory=list)
    fields: list[FieldResult] = field(default_factory=list)

    def outcome(self, name: str) -> Outcome:
        return next((f.outcome for f in self.fields if f.name == name), "absent")

    def to_dict(self) -> dict[str, Any]:
        """As `dataclasses.asdict` gives it (the same dict), with the summary; built directly,
        since asdict's deep copy of every field made it a tenth of matching's time."""
        return {
            "score": self.score,
            "merge": self.merge,
            "vetoed_by": list(self.vetoed_by),
            "fields": [{name: getattr(f, name) for name in _RESULT_FIELDS} for f in self.fields],
            "summary": self.summary(),
        }

    def summary(self) -> str:
        """The evidence in words: "same ISBN 978…, same publisher and year; pages differ by 2"."""
        return describe(self)


def _set_outcome(a: Iterable[str], b: Iterable[str]) -> tuple[Outcome, str, str]:
    first, second = set(filter(None, a)), set(filter(None, b))
    if not first or not second:
        return "absent", ", ".join(sorted(first)), ", ".join(sorted(second))
    shared = first & second
    if shared:
        return "agree", min(shared), min(shared)
    return "differ", min(first), min(second)


def _similar(a: str, b: str, ratio: float = 0.85) -> bool:
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= ratio


def _is_cjk(text: str) -> bool:
    return bool(re.search(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", text))


def _forms_outcome(a: list[str], b: list[str], same: Callable[[str, str], bool]) -> Outcome:
    """Compare the forms of one value (romanised and vernacular): agree when any two forms
    match; differ only when two forms in the same script do not (a romanised publisher
    says nothing against a vernacular one)."""
    a, b = [x for x in a if x], [x for x in b if x]
    if not a or not b:
        return "absent"
    if any(same(x, y) for x in a for y in b):
        return "agree"
    if any(_is_cjk(x) == _is_cjk(y) for x in a for y in b):
        return "differ"
    return "absent"


def _publisher_words(name: str) -> str:
    generic = set(rules()["publisher"]["generic_words"])
    return " ".join(w for w in analyze(name) if w not in generic)


def _publishers_agree(a: str, b: str) -> bool:
    first, second = set(a.split()), set(b.split())
    if not first or not second:
        return a == b
    return first <= second or second <= first or _similar(a, b, 0.8)


_PAGES = re.compile(r"(\d+)\s*(?:p\b|p\.|pages|leaves|ページ|頁|页)", re.IGNORECASE)
_VOLUMES = re.compile(r"(\d+)\s*(?:v\.|vols?\b|volumes|冊|册)", re.IGNORECASE)


def extent(description: str) -> tuple[str, int] | None:
    """("p", pages) or ("v", volumes) from a 300 field's text, or None when it does not say."""
    pages = [int(n) for n in _PAGES.findall(description)]
    if pages:
        return "p", max(pages)
    volumes = _VOLUMES.search(description)
    return ("v", int(volumes.group(1))) if volumes else None


def _extent_result(a: Record, b: Record, rule: dict[str, Any]) -> FieldResult:
    first, second = extent(a.physical_description), extent(b.physical_description)
    if first is None or second is None:
        return FieldResult("extent", "absent")
    shown = (f"{first[1]} {first[0]}.", f"{second[1]} {second[0]}.")
    if first[0] != second[0]:
        return FieldResult("extent", "differ", *shown)
    gap = abs(first[1] - second[1])
    allowed = max(rule["tolerance_pages"], rule["tolerance_share"] * max(first[1], second[1]))
    if first[0] == "v":
        allowed = 0
    outcome: Outcome = "agree" if gap <= allowed else "differ"
    note = f"{'pages' if first[0] == 'p' else 'volumes'} differ by {gap}" if gap else ""
    return FieldResult("extent", outcome, *shown, note=note)


def _edition_number(statement: str) -> int | None:
    """The number of an edition statement (2nd ed., 25e éd., 第3版); 1 for a first edition."""
    folded = statement.casefold()
    if re.search(r"\b(1st|first|premi[eè]re|erste|shohan)\b|初版", folded):
        return 1
    number = re.search(r"\d+", folded)
    return int(number.group()) if number else None


def _simple(name: str, a: str, b: str, same: Callable[[str, str], bool] = _similar) -> FieldResult:
    if not a or not b:
        return FieldResult(name, "absent", a, b)
    return FieldResult(name, "agree" if same(a, b) else "differ", a, b)


def _title(record: Record) -> list[str]:
    forms = [record.title, *record.vernacular.get("title", [])]
    return [" ".join(title_proper_terms(t)) for t in forms]


def _translator(record: Record) -> str:
    for contributor in record.contributors:
        if contributor.role.casefold().rstrip(".") in ("translator", "trl", "tr", "translated by"):
            return first_word(contributor.name)
    return ""


def _language(record: Record) -> str:
    return "" if record.language in ("", "und", "mul", "zxx") else record.language


def _kind(record: Record) -> str:
    """The format class: print, online and untyped text are all text (the carrier tells
    print from online); a score, its recording and a map stay what they are."""
    return "text" if record.format in ("", "book", "eresource") else record.format


def _carrier(record: Record) -> str:
    if record.carrier:
        return record.carrier
    return "online" if record.format == "eresource" else "print"


def _field_results(a: Record, b: Record) -> list[FieldResult]:
    outcome, x, y = _set_outcome(a.weak_isbns + a.weak_issns, b.weak_isbns + b.weak_issns)
    weak = _set_outcome(
        [*a.weak_isbns, *a.weak_issns],
        [*b.isbns, *b.issns, *b.weak_isbns, *b.weak_issns],
    )
    weak_back = _set_outcome([*a.isbns, *a.issns], [*b.weak_isbns, *b.weak_issns])
    weak_outcome: Outcome = "agree" if "agree" in (outcome, weak[0], weak_back[0]) else "absent"
    a_pub = [_publisher_words(p) for p in (a.publisher, *a.vernacular.get("publisher", []))]
    b_pub = [_publisher_words(p) for p in (b.publisher, *b.vernacular.get("publisher", []))]
    a_names = [_author(a), *(first_word(c.vernacular) for c in a.contributors[:1])]
    b_names = [_author(b), *(first_word(c.vernacular) for c in b.contributors[:1])]
    return [
        FieldResult("isbn", *_set_outcome(a.isbns, b.isbns)),
        FieldResult("issn", *_set_outcome(a.issns, b.issns)),
        FieldResult("oclc", *_set_outcome(a.oclc_numbers, b.oclc_numbers)),
        FieldResult("lccn", *_set_outcome([a.lccn.replace(" ", "")], [b.lccn.replace(" ", "")])),
        FieldResult("weak_isbn", weak_outcome, x or weak[1], y or weak[2]),
        FieldResult("title", _forms_outcome(_title(a), _title(b), _similar), a.title, b.title),
        _simple("subtitle", " ".join(analyze(a.subtitle)), " ".join(analyze(b.subtitle)), _prefix),
        _simple("part", " ".join(analyze(a.part)), " ".join(analyze(b.part)), str.__eq__),
        FieldResult("author", _forms_outcome(a_names, b_names, _similar), a_names[0], b_names[0]),
        FieldResult(
            "publisher", _forms_outcome(a_pub, b_pub, _publishers_agree), a.publisher, b.publisher
        ),  # fmt: skip
        _simple("year", str(a.year or ""), str(b.year or ""), str.__eq__),
        _simple("edition", _edition_text(a), _edition_text(b), _same_edition),
        _extent_result(a, b, rules()["fields"]["extent"]),
        _simple("series", " ".join(analyze(a.series)), " ".join(analyze(b.series)), _prefix),
        _simple("format", _kind(a), _kind(b), str.__eq__),
        _simple("carrier", _carrier(a), _carrier(b), str.__eq__),
        _simple("language", _language(a), _language(b), str.__eq__),
        _simple("translator", _translator(a), _translator(b)),
    ]


def _edition_text(record: Record) -> str:
    return record.edition if _edition_number(record.edition) is not None else ""


def _same_edition(a: str, b: str) -> bool:
    return _edition_number(a) == _edition_number(b)


def _prefix(a: str, b: str) -> bool:
    """Subtitles and series agree when one is the start of the other (libraries cut them)."""
    return a.startswith(b) or b.startswith(a) or _similar(a, b, 0.8)


def compare(a: Record, b: Record) -> Evidence:
    """Whether two records describe one edition, with the reasons (see match_rules.toml)."""
    config = rules()
    results = _field_results(a, b)
    outcomes = {r.name: r.outcome for r in results}
    vetoed = []
    for result in results:
        rule = config["fields"][result.name]
        if result.outcome == "agree":
            distrust = [f for f in rule.get("trusted_unless", ()) if outcomes[f] == "differ"]
            result.points = 0 if distrust else rule["agree"]
            if distrust:
                result.note = f"not counted: {', '.join(_label(f) for f in distrust)} differ"
        elif result.outcome == "differ":
            forgiven = rule.get("differ_allowed_if")
            if forgiven and all(outcomes[f] == "agree" for f in forgiven):
                result.note = f"forgiven: {', '.join(_label(f) for f in forgiven)} agree"
            else:
                result.points = rule["differ"]
            if rule.get("veto"):
                vetoed.append(result.name)
    score = sum(r.points for r in results)
    merge = not vetoed and score >= config["decision"]["merge_at"]
    return Evidence(score=score, merge=merge, vetoed_by=vetoed, fields=results)


def compatible(evidence: Evidence) -> bool:
    """Whether a record may share a work with the other record of this comparison."""
    return not evidence.vetoed_by and evidence.score >= rules()["decision"]["compatible_at"]


def _label(name: str) -> str:
    return rules()["fields"][name]["label"]


# -- evidence in words ---------------------------------------------------------------------

#: Fields named with their value when they agree (identifiers); the rest by name only.
_WITH_VALUE = {"isbn", "issn", "oclc", "lccn", "weak_isbn"}
#: Fields whose two values are shown when they differ ("different year 1991 / 1978").
_SHOW_BOTH = {"year", "edition", "publisher", "format", "carrier", "language", "part", "isbn",
              "issn", "oclc", "lccn", "extent", "subtitle", "series", "author", "translator",
              "title"}  # fmt: skip


def describe(evidence: Evidence) -> str:
    """Staff-readable words: the agreements, then the differences, then the decision."""
    agreed = [f for f in evidence.fields if f.outcome == "agree" and f.name not in _QUIET]
    differed = [f for f in evidence.fields if f.outcome == "differ"]
    named = [f"same {_label(f.name)} {f.a}" for f in agreed if f.name in _WITH_VALUE]
    plain = [_label(f.name) for f in agreed if f.name not in _WITH_VALUE]
    parts = []
    if named or plain:
        plain_text = f"same {_join(plain)}" if plain else ""
        parts.append(", ".join([*named, plain_text] if plain_text else named))
    notes = [f.note for f in agreed if f.note]
    notes += [_difference(f) for f in differed]
    if notes:
        parts.append(", ".join(notes))
    text = "; ".join(parts) or "nothing to compare"
    return f"{text} (score {evidence.score:g})"


#: Agreements too common to be worth saying (every candidate shares its title).
_QUIET = {"format", "carrier", "language"}


def _difference(result: FieldResult) -> str:
    if result.note:
        return result.note
    label = _label(result.name)
    if result.name in _SHOW_BOTH and (result.a or result.b):
        return f"different {label} {result.a} / {result.b}"
    return f"different {label}"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
