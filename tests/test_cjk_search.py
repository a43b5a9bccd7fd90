"""CJK search rules on real records from ../shared/data/cjk, on both engines: word-divided
titles (older LC/RLIN records) found by their undivided form and back."""

from __future__ import annotations

import re

import pytest

from indexer.cjk import has_cjk
from indexer.documents import _tokens
from indexer.query import SearchRequest
from indexer.text import analyze, join_divided_cjk, term_spans
from search_ui.query_parser import parse_query
from search_ui.request_params import search_request_from_params
from tests.fixtures.real_records import mapped_records

_DIVIDED = re.compile(r"[\u4e00-\u9fff\u3040-\u30ff][ \u3000]+[\u4e00-\u9fff\u3040-\u30ff]")


def search(catalog, q: str, limit: int = 10) -> list[str]:
    request = search_request_from_params({"q": q})
    found = catalog.engine.search(SearchRequest(request.query, limit=limit))
    return [r["identifier"] for hit in found.hits for r in hit.payload["records"]]


def titles(catalog, q: str, limit: int = 10) -> list[str]:
    """The titles of the first `limit` works found (several NDL reports share one title)."""
    request = search_request_from_params({"q": q})
    found = catalog.engine.search(SearchRequest(request.query, limit=limit))
    return [hit.payload["title"] for hit in found.hits]


@pytest.fixture(scope="module")
def divided_records():
    records = mapped_records("cjk/yaz/marccol1.u8.marc")
    records += mapped_records("cjk/traject/test_data.utf8.mrc")
    return records


@pytest.fixture
def cjk_catalog(catalog, divided_records):
    catalog.add_records(divided_records)
    return catalog


def _divided_titles(records):
    return [
        (record, value.split(" : ")[0])
        for record in records
        for value in [record.title, *record.vernacular.get("title", [])]
        if _DIVIDED.search(value.split(" : ")[0])
    ]


def test_spaces_between_han_or_kana_do_not_cut_bigrams_in_a_value():
    assert (
        _tokens(["理智　与　情感"]) == _tokens(["理智与情感"]) == ["理智", "智与", "与情", "情感"]
    )
    assert _tokens(["理智 与 情感"]) == analyze("理智与情感")
    assert join_divided_cjk("いま を 生きる") == "いまを生きる"
    # Korean divides words by spaces: hangul words stay apart, as do Latin words; the
    # bigram across the division comes after them (a patron may leave the space out)
    assert _tokens(["한국 문학"]) == ["한국", "문학", "국문"]
    assert analyze("한국 문학") == ["한국", "문학"]  # a query's words are its words
    assert _tokens(["中国 Studies 文学"]) == ["中国", "studies", "文学"]


def test_a_divided_query_is_one_word_and_parser_words_stay_apart():
    assert parse_query("理智　与　情感") == parse_query("理智与情感")
    # the words the parser took apart at a parenthesis are not joined again by the analysis
    assert "省区" not in analyze(parse_query("四省(区)强").text)


def test_values_of_one_field_never_make_a_bigram_across_them():
    assert "告中" not in _tokens(["中国发展报告", "中国发展报告书"])
    assert "告中" in _tokens(["中国发展报告 中国发展报告书"])  # one value, word-divided


def test_highlight_spans_of_a_divided_title_cover_what_was_matched():
    text = "理智　与　情感"
    spans = term_spans(text)
    assert [term for _, _, term in spans] == _tokens([text])
    assert [text[a:b].replace("\u3000", "") for a, b, _ in spans] == _tokens([text])


def test_real_word_divided_titles_are_many(divided_records):
    assert len(_divided_titles(divided_records)) >= 18


def test_undivided_form_finds_the_word_divided_record(cjk_catalog, divided_records):
    titles = _divided_titles(divided_records)
    missed = [
        title
        for record, title in titles
        if record.identifier not in search(cjk_catalog, re.sub(r"[ \u3000]+", "", title))
    ]
    assert not missed


def test_word_divided_form_finds_the_undivided_record(cjk_catalog, divided_records):
    """LC's 久保栄 「火山灰地」 を読む is word-divided, UIUC's is not; each finds the other."""
    kubo = [
        (r.identifier, v)
        for r in divided_records
        for v in [r.full_title, *r.vernacular.get("title", [])]
        if v.startswith("久保栄")
    ]
    assert len(kubo) == 2 and len({" " in v for _, v in kubo}) == 2
    for _, title in kubo:
        found = search(cjk_catalog, title)
        assert {i for i, _ in kubo} <= set(found), title
    # and a title typed divided finds the undivided yaz record it belongs to
    undivided = next(r for r, t in _divided_titles(divided_records) if "艺术家" in t)
    assert undivided.identifier in search(cjk_catalog, "艺术家　与　德育")[:1]


# -- both 880 practices, kana readings ------------------------------------------------------


def _hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if 0x30A1 <= ord(c) <= 0x30F6 else c for c in text)


@pytest.fixture(scope="module")
def ndl_records():
    return mapped_records("cjk/enju-ndl/marc21.dat")


def test_us_practice_shows_the_vernacular_and_ndl_practice_keeps_its_kanji_title(
    divided_records, ndl_records
):
    us = [r for r in divided_records if r.vernacular.get("title") and r.partner_id == "marccol1_u8"]
    assert len(us) >= 18 and all(has_cjk(r.title) for r in us)  # the 880, Han or Hangul
    assert not any(has_cjk(r.vernacular["title"][0]) for r in us)  # the romanised 245
    first = ndl_records[0]
    assert first.title == "これからの本の話をしよう"  # 245 as NDL catalogues it
    assert first.vernacular["title"] == [
        "コレカラ ノ ホン ノ ハナシ オ シヨウ",  # 880 $6 245-01/$1: the reading
        "Korekara no hon no hanashi o shiyo",  # 880 $6 245-01/(B: the romanisation
    ]


def test_hiragana_and_katakana_fold_to_one_another():
    assert analyze("トウキョウ") == analyze("とうきょう")
    assert analyze("ｶﾀｶﾅ") == analyze("かたかな")  # half-width katakana too


@pytest.fixture
def ndl_catalog(catalog, ndl_records):
    catalog.add_records(ndl_records)
    return catalog


def test_kana_reading_typed_in_either_script_finds_the_kanji_title(ndl_catalog, ndl_records):
    readings = [
        (r, next(v for v in r.vernacular["title"] if re.search(r"[\u30a1-\u30f6]", v)))
        for r in ndl_records
        if any(re.search(r"[\u30a1-\u30f6]", v) for v in r.vernacular.get("title", []))
    ][:40]
    assert len(readings) == 40
    missed = []
    for record, reading in readings:
        main = reading.split(" : ")[0]
        for typed in (_hiragana(join_divided_cjk(main)), main):
            if record.title not in titles(ndl_catalog, typed):
                missed.append((record.title, typed))
    assert not missed


@pytest.mark.parametrize(
    "typed",
    ["韓國目録規則", "韩国目录规则", "한국 목록 규칙", "한국목록규칙", "목록 규칙"],
    ids=["hanja", "hanja-simplified", "hangul", "hangul-undivided", "hangul-words"],
)
def test_a_korean_record_with_hanja_and_hangul_is_found_by_either(catalog, typed):
    """NDL's record of the Korean cataloguing rules has its title in hanja (245) and in
    hangul (246/880); either, as a Korean patron types it, finds it."""
    records = [
        r for r in mapped_records("cjk/enju-ndl/marc21.dat") if r.title.startswith("韓國目録規則")
    ]
    assert len(records) == 1
    catalog.add_records(records)
    assert search(catalog, typed) == [records[0].identifier]
