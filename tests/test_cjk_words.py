"""Han characters across Chinese and Japanese, and Chinese dictionary words (indexer.hanzi),
on both engines: a kanji of Japanese form is found by its Chinese form, a Chinese character
keeps its meaning, and a query's whole word ranks the work that has it whole first."""

from __future__ import annotations

import re

import pytest

from indexer.documents import loose_terms
from indexer.hanzi import simplified, words
from indexer.query import SearchRequest
from indexer.text import analyze
from search_ui.request_params import search_request_from_params
from tests.fixtures.builders import record
from tests.fixtures.real_records import mapped_records


def found(catalog, q: str, limit: int = 10) -> list[str]:
    request = search_request_from_params({"q": q})
    result = catalog.engine.search(SearchRequest(request.query, limit=limit))
    return [r["identifier"] for hit in result.hits for r in hit.payload["records"]]


def test_kanji_of_japanese_form_fold_to_the_chinese_forms():
    assert analyze("電子図書館") == analyze("电子图书馆") == analyze("電子圖書館")
    assert analyze("経済学") == analyze("經濟學") == analyze("经济学")
    assert analyze("気象") == analyze("氣象") == analyze("气象")
    assert [simplified(c) for c in "関駅桜"] == list("关驿樱")


def test_a_chinese_character_that_is_also_a_japanese_form_keeps_its_own_meaning():
    # 欠 芸 予 弁 are Japanese forms of 缺 藝 豫 辨, and Chinese characters of their own
    for japanese, other in (("欠", "缺"), ("芸", "艺"), ("予", "豫"), ("弁", "辨")):
        assert simplified(japanese) == japanese
        assert analyze(f"{japanese}款") != analyze(f"{other}款")
    # characters outside Han are never touched
    assert [simplified(c) for c in "aé한の"] == list("aé한の")


def test_chinese_words_are_indexed_beside_the_bigrams():
    tokens = analyze("中华人民共和国图书馆")
    assert words(tokens) == ["中华人民共和国", "图书馆"]
    terms = loose_terms(tokens, "chi")
    assert "zh:图书馆" in terms and "zh:中华人民共和国" in terms
    # kana ends a Han run; the Han of a Japanese title is cut as Chinese after folding
    assert words(analyze("図書館の経済学")) == ["图书馆", "经济学"]
    assert words(analyze("とうきょう")) == []


@pytest.fixture(scope="module")
def ndl_records():
    return mapped_records("cjk/enju-ndl/marc21.dat")


def test_a_japanese_title_is_found_typed_in_chinese_forms(catalog, ndl_records):
    catalog.add_records(ndl_records)
    held = sorted(r.identifier for r in ndl_records if "電子図書館" in r.title)
    assert held, "the NDL sample has titles with 電子図書館"
    for query in ("电子图书馆", "電子圖書館", "電子図書館"):
        hits = found(catalog, query, limit=50)
        assert sorted(i for i in hits if i in held) == held, query
    digital = [r for r in ndl_records if r.title.startswith("デジタルが変える出版と図書館")]
    assert digital
    # the kana as written, the kanji typed in their Chinese forms (変 → 变, 図 → 图)
    assert digital[0].identifier in found(catalog, "デジタルが变える出版と图书馆")[:3]


def test_a_whole_word_ranks_above_the_same_bigrams_across_words(catalog):
    # 研究生命 (research on life) is shorter, so its bigrams alone would score more; the
    # query's word 研究生 (graduate student) is whole only in the other title
    life = record("north", "oai:north:life", "研究生命", language="chi")
    graduate = record("south", "oai:south:grad", "研究生教育的起源与演化", language="chi")
    catalog.add_records([life, graduate])
    assert found(catalog, "研究生") == ["oai:south:grad", "oai:north:life"]
    assert found(catalog, "生命") == ["oai:north:life"]
    # the words only order what the bigrams found: a query cut otherwise finds both
    assert sorted(found(catalog, "研究")) == ["oai:north:life", "oai:south:grad"]


def test_a_word_divided_title_matches_the_same_title_undivided():
    from dataclasses import replace

    from indexer.matching import compare, title_proper_terms

    assert title_proper_terms("理智　与　情感") == title_proper_terms("理智与情感")
    divided = [
        r
        for r in mapped_records("cjk/yaz/marccol1.u8.marc")
        if re.search(r"[\u4e00-\u9fff][ \u3000]+[\u4e00-\u9fff]", r.title)
    ]
    assert divided, "yaz's sample has word-divided Han titles"
    for original in divided:
        joined = re.sub(r"(?<=[\u4e00-\u9fff])[ \u3000]+(?=[\u4e00-\u9fff])", "", original.title)
        undivided = replace(original, partner_id="other", title=joined)
        title = next(f for f in compare(original, undivided).fields if f.name == "title")
        assert title.outcome == "agree", original.title
