"""Which form of a CJK title a record shows: the vernacular, whichever MARC practice it follows.

US libraries put the romanised title in 245 and the vernacular in a linked 880; the National
Diet Library puts the kanji/kana title in 245 and its kana reading and romanisation in 880s.
Patrons reading Chinese, Japanese or Korean want the title in its own script either way, and
search must find every form: so the vernacular becomes the title and the romanised 245 joins
the other forms (`Record.vernacular["title"]`), all of which are indexed.
"""

from __future__ import annotations

import re

from indexer.model import Record

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def vernacular_title_first(record: Record) -> Record:
    """The record with its CJK vernacular title as the title (US practice); a record whose
    title is already in CJK script (NDL practice), or has no CJK form, is left as it is."""
    forms = record.vernacular.get("title", [])
    vernacular = next((form for form in forms if has_cjk(form)), "")
    if not vernacular or has_cjk(record.title):
        return record
    romanised = " : ".join(v for v in (record.title, record.subtitle) if v)
    title, _, subtitle = vernacular.partition(" : ")
    record.title, record.subtitle = title, subtitle
    record.vernacular["title"] = [romanised, *(form for form in forms if form != vernacular)]
    return record
