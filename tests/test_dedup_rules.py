"""Issue 20 on real records: each case merged wrongly (or was missed) before the matcher
compared editions field by field. Records come from ../shared/data, variants are made by
the edits of tests/fixtures/dedup_variants.tsv, and everything goes through the real MARC
mapping and the real WorkStore."""

from __future__ import annotations

import sqlite3

import pytest

from bench.dedup import VARIANT_PREFIX, _partner, source_record, variant_records
from indexer.marc import marc_to_record
from indexer.matching import compare, describe, rules
from indexer.works import Change, WorkStore


def mapped(record_id: str):
    marc = (
        variant_records()[record_id]
        if record_id.startswith(VARIANT_PREFIX)
        else source_record(record_id)
    )
    return marc_to_record(marc, _partner(record_id), record_id)


def works_of(*record_ids: str) -> dict[str, str]:
    """Put the records through one WorkStore, in order; record id → work id."""
    store = WorkStore(sqlite3.connect(":memory:"))
    change = Change()
    records = {rid: mapped(rid) for rid in record_ids}
    for record in records.values():
        store.upsert(record, "test", change)
    return {rid: store.work_of(record.key) for rid, record in records.items()}


NDL = "cjk/enju-ndl/marc21.dat#"


def test_record_without_isbn_does_not_chain_two_editions_of_one_year():
    """電子書籍ストア利用動向調査 2013: two editions with their own ISBNs and publishers,
    and a third without ISBN whose title key used to link it to both."""
    work = works_of(f"{NDL}97", f"{NDL}98", f"{NDL}99")
    assert len(set(work.values())) == 3


def test_cancelled_isbn_ebook_joins_no_print_edition():
    """The e-book's ISBNs are only in 020 $z: it is not keyless, and online is not print."""
    ebook = "variant:store-survey-online"
    work = works_of(f"{NDL}97", f"{NDL}98", ebook, "variant:store-survey-online-copy")
    assert work[ebook] not in (work[f"{NDL}97"], work[f"{NDL}98"])
    assert work[ebook] == work["variant:store-survey-online-copy"]  # the same e-book elsewhere
    evidence = compare(mapped(ebook), mapped(f"{NDL}97"))
    assert "carrier" in evidence.vetoed_by
    assert evidence.outcome("weak_isbn") == "agree"


def test_online_edition_with_the_print_isbn_stays_apart_from_print():
    work = works_of("pymarc-test/test.dat#3", "variant:perl-online")
    assert work["pymarc-test/test.dat#3"] != work["variant:perl-online"]


def test_isbn_reused_on_a_later_republication_is_another_edition():
    evidence = compare(
        mapped("variant:reeves-reissue-same-isbn"), mapped("evergreen/jazz_1k.mrc#575")
    )
    assert evidence.outcome("isbn") == "agree"
    assert not evidence.merge and evidence.vetoed_by == ["year"]
    assert "different year 2009 / 1989" in evidence.summary()


def test_lccn_carried_to_a_reissue_by_another_publisher_does_not_merge():
    work = works_of("evergreen/lul_fre_500.mrc#394", "variant:boissier-lccn-reissue")
    assert len(set(work.values())) == 2


def test_duplicate_with_a_mistyped_isbn_merges_when_publisher_year_and_pages_agree():
    first = "evergreen/jazz_1k.mrc#718"
    work = works_of(first, "variant:jazz-styles-wrong-isbn", "evergreen/jazz_1k.mrc#903")
    assert work[first] == work["variant:jazz-styles-wrong-isbn"]
    assert work["evergreen/jazz_1k.mrc#903"] != work[first]  # the 1978 edition stays apart
    evidence = compare(mapped("variant:jazz-styles-wrong-isbn"), mapped(first))
    isbn = next(f for f in evidence.fields if f.name == "isbn")
    assert isbn.outcome == "differ" and isbn.points == 0 and "forgiven" in isbn.note


def test_lc_and_uiuc_records_of_one_japanese_book_merge_across_lccns():
    work = works_of("cjk/traject/test_data.utf8.mrc#3", "cjk/traject/test_data.utf8.mrc#28")
    assert len(set(work.values())) == 1


def test_traditional_script_copy_meets_the_original():
    work = works_of("cjk/traject/test_data.utf8.mrc#3", "variant:kubo-hant")
    assert len(set(work.values())) == 1


def test_translation_keeps_apart_from_the_original():
    evidence = compare(
        mapped("variant:mister-jelly-roll-german"), mapped("evergreen/jazz_1k.mrc#403")
    )
    assert "language" in evidence.vetoed_by


def test_evidence_reads_as_words_with_the_identifier_and_page_gap():
    a, b = mapped("variant:gridley-ocn"), mapped("evergreen/jazz_1k.mrc#903")
    b.physical_description = "x, 412 p. : ill."
    words = describe(compare(a, b))
    assert "same title, first author, publisher, year and pages" in words
    assert "pages differ by 2" in words


@pytest.mark.parametrize("name", sorted(rules()["fields"]))
def test_every_rule_has_a_label_and_weights(name):
    rule = rules()["fields"][name]
    assert rule["label"] and isinstance(rule["agree"], int) and isinstance(rule["differ"], int)
    for other in (*rule.get("trusted_unless", ()), *rule.get("differ_allowed_if", ())):
        assert other in rules()["fields"], other
