"""A CJK title typed with one character slipped (typed twice, left out, or the wrong one
chosen by the input method) is still found, by the fallback that reads a run of bigrams
past one character; on both engines, over the National Diet Library's real records."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from indexer.engine import slip_readings, slip_tokens
from indexer.query import SearchRequest
from indexer.text import analyze
from search_ui.request_params import search_request_from_params
from tests.fixtures.real_records import mapped_records

_ALL_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]{8,}")
#: a character in none of the records (an archaic ideograph)
_STRAY = "鱻"


def test_a_run_of_bigrams_is_read_without_each_of_its_characters():
    tokens = analyze("中国外交六十年")  # 中国 国外 外交 交六 六十 十年
    readings = slip_readings(tokens, frozenset(tokens))
    assert readings[0] == tokens
    assert ["中国", "交六", "六十", "十年"] in readings  # without 外 (国外, 外交)
    assert ["国外", "外交", "交六", "六十", "十年"] in readings  # without the first 中
    assert len(readings) == 1 + 7  # one per character


def test_only_the_fallback_and_only_long_runs_are_read_past_a_slip():
    tokens = analyze("中国外交六十年")
    assert slip_readings(tokens, frozenset()) == [tokens]
    short = analyze("中国外交")  # three bigrams: what is left of it would find too much
    assert slip_readings(short, frozenset(short)) == [short]
    assert slip_tokens(search_request_from_params({"q": "中国外交"}).query) == frozenset()
    mixed = search_request_from_params({"q": "history 中国外交六十年 -日本語の歴史"}).query
    assert slip_tokens(mixed) == frozenset(tokens)  # not the words under NOT


@pytest.fixture(scope="module")
def ndl_records():
    return mapped_records("cjk/enju-ndl/marc21.dat")


def _long_titles(records) -> list[tuple[str, str]]:
    """(record id, title) of records whose title is eight or more CJK characters unbroken,
    and no other record's (NDL's yearly reports share one title: no one right answer)."""
    out = []
    for record in records:
        found = _ALL_CJK.fullmatch(record.title.split(" : ")[0].strip())
        if found:
            out.append((record.identifier, found.group(0)))
    count = Counter(title for _, title in out)
    return [(identifier, title) for identifier, title in out if count[title] == 1]


def _found(catalog, q: str):
    request = search_request_from_params({"q": q})
    return catalog.engine.search(SearchRequest(request.query, limit=10))


def _ids(result) -> list[str]:
    return [r["identifier"] for hit in result.hits for r in hit.payload["records"]]


@pytest.mark.parametrize(
    "slip",
    [
        pytest.param(lambda t: t[:4] + t[3] + t[4:], id="typed-twice"),
        pytest.param(lambda t: t[:4] + t[5:], id="left-out"),
        pytest.param(lambda t: t[:4] + _STRAY + t[5:], id="wrong-character"),
    ],
)
def test_a_title_with_one_slipped_character_is_found_marked_as_near(catalog, ndl_records, slip):
    catalog.add_records(ndl_records)
    titles = _long_titles(ndl_records)
    assert len(titles) >= 5, "the NDL sample has long unbroken titles"
    for identifier, title in titles[:5]:
        typed = slip(title)
        result = _found(catalog, typed)
        assert identifier in _ids(result), (typed, title)
        assert result.near_spellings, typed
        assert not _found(catalog, title).near_spellings


def test_a_short_title_with_a_wrong_character_finds_nothing(catalog, ndl_records):
    catalog.add_records(ndl_records)
    assert _found(catalog, "電子" + _STRAY + "籍").total == 0
