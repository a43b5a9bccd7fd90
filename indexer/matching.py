"""The matching policy: which keys a record has, and which keys may link two records.

Strong keys (ISBN, ISSN, OCLC number, LCCN) link any two records; the weak key (normalised
title proper, part, first author, year, edition, format) links a record only to records where
at least one side has no strong key, so two editions with their own ISBNs stay apart. Volumes
of a set carry their part in every key, so a set ISBN shared by its volumes never merges them.
`indexer.works` applies this policy to the record store; `indexer.editions` reuses its title
proper and first author to find other editions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from indexer.model import Record
from indexer.text import analyze

_WEAK_PREFIX = "title:"


def title_proper_terms(title: str) -> list[str]:
    """The analysed title proper. Some records carry the subtitle inside the title proper
    ("Title : subtitle" in 245 $a or one dc:title); cutting it lets both forms meet."""
    return analyze(re.split(r"\s*:\s+", title, maxsplit=1)[0])


def first_word(name: str) -> str:
    """The first analysed word of a name: the surname of a "Surname, Forename" heading."""
    return next(iter(analyze(name)), "")


def match_keys(record: Record) -> list[str]:
    """The keys that can link this record to others; strong keys first.

    The weak key is title proper, part, first author's first word, year, edition number and
    format; tests/test_dedup_quality.py measures what it merges on labelled real records.
    """
    part = "".join(analyze(record.part))
    suffix = f"|{part}" if part else ""
    strong = [f"isbn:{i}{suffix}" for i in record.isbns]
    strong += [f"issn:{i}{suffix}" for i in record.issns]
    strong += [f"oclc:{o}{suffix}" for o in record.oclc_numbers]
    if record.lccn:
        strong.append(f"lccn:{record.lccn.replace(' ', '')}{suffix}")
    title = " ".join(title_proper_terms(record.title))
    if not title:
        return strong
    author = first_word(record.contributors[0].name) if record.contributors else ""
    edition = "".join(c for c in record.edition if c.isdigit())
    # The format keeps a score, its recording and a book's companion disc apart: they share
    # title, author and year but are shelved and lent as different things. Print, online
    # text and untyped records (a dc:type is often missing) all count as text.
    kind = "text" if record.format in ("", "book", "eresource") else record.format
    weak = f"{_WEAK_PREFIX}{title}|{part}|{author}|{record.year or ''}|{edition}|{kind}"
    return [*strong, weak]


def is_strong(key: str) -> bool:
    """Whether a match key is a strong (identifier) key rather than the weak title key."""
    return not key.startswith(_WEAK_PREFIX)


def has_strong_key(keys: Iterable[str]) -> bool:
    return any(is_strong(key) for key in keys)


def may_link(key: str, one_has_strong: bool, other_has_strong: bool) -> bool:
    """Whether two records sharing `key` belong to one work: a strong key always links; the
    weak key only when at least one of the two records has no strong key of its own."""
    return is_strong(key) or not (one_has_strong and other_has_strong)
