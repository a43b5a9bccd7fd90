"""indexer.text: the one analysis both engines and every query share."""

from __future__ import annotations

from indexer.marc_readers import marc_records_from_file
from indexer.text import analyze, fold, term_spans
from tests.fixtures.paths import SHARED_DATA


def test_case_and_diacritics_fold_alike():
    assert analyze("ÉCRITS sur l'Économie") == analyze("ecrits sur l'economie")
    assert fold("Straße Ærø Łódź") == "strasse aero lodz"


def test_nfkc_turns_ligatures_and_fullwidth_letters_into_plain_words():
    assert analyze("ﬁnance Ｆｕｌｌ") == ["finance", "full"]


def test_elided_article_does_not_hide_the_word():
    assert "art" in analyze("L'art d'aimer")
    assert "aimer" in analyze("L’art d’aimer")
    assert "autre" in analyze("L'autre monde")
    assert analyze("L'art d'aimer") == analyze("L’art d’aimer") == ["l", "art", "d", "aimer"]
    assert analyze("L'autre monde") == ["l", "autre", "monde"]


def test_hyphenated_isbn_gives_the_same_token_as_the_bare_number():
    assert analyze("978-0-14-044913-6") == analyze("9780140449136") == ["9780140449136"]
    assert analyze("ISBN 2-07-036822-X") == ["isbn", "207036822x"]
    assert analyze("207036822X") == ["207036822x"]


def test_year_ranges_stay_two_years():
    assert analyze("1998-2001") == ["1998", "2001"]


def test_hyphenated_issn_is_findable_joined_and_by_its_halves():
    assert analyze("0317-8471") == ["0317", "8471", "03178471"]


def test_cjk_runs_become_overlapping_bigrams():
    assert analyze("中国节") == ["中国", "国节"]
    assert analyze("節") == ["节"]


def test_traditional_and_simplified_chinese_analyze_to_the_same_tokens():
    assert analyze("圖說中國節") == analyze("图说中国节") == ["图说", "说中", "中国", "国节"]
    assert analyze("圖書館") == analyze("图书馆")


def test_korean_syllables_survive_diacritic_folding():
    assert analyze("한국어") == ["한국", "국어"]


def test_plain_ascii_text_analyses_and_spans_as_the_general_path_does():
    # analyze() has a shortcut for plain ASCII; a CJK word forces the general path.
    titles = [r.title or "" for r in marc_records_from_file(SHARED_DATA / "evergreen/jazz_1k.mrc")]
    titles += ["O'Brien's C++ & AT&T: 1990s, vol. 3.5 (rev.)", "Kafka_on_the_shore #2"]
    plain = [t for t in titles if "-" not in t and t.isascii()]
    assert len(plain) > 500
    assert len(plain) == 952  # of the 1,002 titles, those without a hyphen or non-ASCII text
    for title in plain:
        assert analyze(title + " 中") == [*analyze(title), "中"], title
        end = len(title) + 1
        assert term_spans(title + " 中") == [*term_spans(title), (end, end + 1, "中")], title
