"""MARC21 → Record on real records from ../shared/data, and the shared cleaning helpers."""

from __future__ import annotations

import logging
from functools import cache

import pymarc
import pytest
from lxml import etree

from config.partners import Partner
from indexer import normalize as nz
from indexer.mapping import MappingError, map_record
from indexer.marc import marc_to_record
from indexer.marc_readers import marc_records_from_file, marc_records_from_sql
from indexer.text import analyze
from tests.fixtures.paths import SHARED_DATA

EVERGREEN = SHARED_DATA / "evergreen"
PYMARC = SHARED_DATA / "pymarc-test"
NORTH = Partner(
    id="north",
    name="North City Public Library",
    base_url="http://127.0.0.1:8401/oai",
    location="Main Library",
    catalog_url="http://127.0.0.1:8401/catalog/{id}",
)


@cache
def _marc(name: str) -> list[pymarc.Record]:
    path = EVERGREEN / name
    reader = marc_records_from_sql if path.suffix == ".sql" else marc_records_from_file
    return list(reader(path))


def _mapped(name: str, position: int):
    return marc_to_record(
        _marc(name)[position], NORTH, f"oai:north:{name}-{position}", "2026-11-01"
    )


# -- reading ------------------------------------------------------------------------------


def test_sql_dumps_yield_every_marcxml_insert():
    assert len(_marc("bibs_concerto.sql")) == 100
    assert len(_marc("bibs_graphic_880.sql")) == 7
    assert _marc("bibs_cze.sql")[0]["245"] is not None  # records without a namespace too
    assert _marc("bibs_cze.sql")[0]["245"]["a"] == "Husovská dilemata /"


def test_binary_and_xml_files_are_read_in_full():
    assert len(_marc("jazz_1k.mrc")) == 1000
    assert len(_marc("nepali.marc")) == 96
    assert len(list(marc_records_from_file(EVERGREEN / "serials_marc21.xml"))) == 7  # no root
    assert len(list(marc_records_from_file(EVERGREEN / "serials_mfhd.xml"))) == 7


def test_broken_binary_records_are_skipped_with_a_logged_reason(caplog):
    with caplog.at_level(logging.WARNING, logger="indexer.marc_readers"):
        records = list(marc_records_from_file(PYMARC / "bad_records.mrc"))
    assert len(records) == 2
    assert all(r.title.startswith("The pragmatic programmer") for r in records)
    assert any("Base address exceeds size of record" in m for m in caplog.messages)
    assert all("bad_records.mrc: skipped record" in m for m in caplog.messages)
    skipped = [m.split("skipped record #")[1].split(":")[0] for m in caplog.messages]
    assert skipped == ["2", "3", "4", "5", "6", "7", "9"]


def test_marc8_records_are_converted_to_unicode():
    (record,) = marc_records_from_file(PYMARC / "marc8.dat")
    assert "ü" in str(record) or "é" in str(record) or not str(record).isascii()
    assert "\x1b" not in str(record)
    # MARC-8 'á' + 'a' and 'â' + 'e' (combining marks first) become precomposed à and é.
    assert record["240"]["a"] == "De la solitude \u00e0 la communaut\u00e9."
    assert record["500"]["a"] == "Translation of De la solitude \u00e0 la communaut\u00e9."
    assert [str(f) for f in record.fields if not str(f).isascii()] == [
        "=240  10$aDe la solitude \u00e0 la communaut\u00e9.$lEnglish.",
        "=500  \\\\$aTranslation of De la solitude \u00e0 la communaut\u00e9.",
        "=730  01$aDe la solitude \u00e0 la communaut\u00e9.$lEnglish.",
    ]


def test_utf8_record_without_leader_flag_is_read_as_utf8():
    (flagged,) = marc_records_from_file(PYMARC / "utf8_with_leader_flag.dat")
    (unflagged,) = marc_records_from_file(PYMARC / "utf8_without_leader_flag.dat")
    assert [str(f) for f in unflagged.fields] == [str(f) for f in flagged.fields]
    assert not str(flagged).isascii()
    # the UTF-8 file spells the accents as combining marks; reading keeps them as written
    assert flagged["240"]["a"] == "De la solitude a\u0300 la communaute\u0301."


# -- descriptive fields -------------------------------------------------------------------


def test_245_gives_title_subtitle_and_responsibility_without_isbd_punctuation():
    record = _mapped("bibs_graphic_880.sql", 0)
    assert record.vernacular["title"][0] == "Tu shuo Zhongguo jie : Tushuo Zhongguojie"
    assert record.subtitle == "Tushuo Zhongguojie"
    assert record.responsibility == "Da Qiao bian zhu"


def test_880_vernacular_title_is_the_title_and_the_romanised_245_is_kept_beside_it():
    """US practice (romanised 245, vernacular 880): the title shows in its own script."""
    record = _mapped("bibs_graphic_880.sql", 0)
    assert record.title == "图说中国节"
    assert record.vernacular["title"][0] == "Tu shuo Zhongguo jie : Tushuo Zhongguojie"


def test_880_name_publisher_place_edition_become_vernacular_forms():
    record = _mapped("bibs_graphic_880.sql", 0)
    assert record.contributors[0].name == "Da, Qiao"
    assert record.contributors[0].vernacular == "大乔"
    assert record.vernacular["contributors"] == ["大乔"]
    assert record.vernacular["publisher"] == ["中国社会科学出版社"]
    assert record.vernacular["place"] == ["北京"]
    assert record.vernacular["edition"] == ["第1版"]
    assert (record.publisher, record.place, record.edition) == (
        "Zhongguo she hui ke xue chu ban she",
        "Beijing",
        "Di 1 ban",
    )


def test_880_subjects_become_vernacular_subjects():
    record = _mapped("bibs_graphic_880.sql", 5)
    assert "老子 -- Criticism and interpretation" in record.vernacular["subjects"]


def test_chinese_title_fields_analyze_to_bigrams_and_pinyin():
    record = _mapped("bibs_graphic_880.sql", 0)
    tokens = [
        t for v in [record.title, record.subtitle, *record.vernacular["title"]] for t in analyze(v)
    ]
    assert {"中国", "国节", "图说"} <= set(tokens)
    assert {"zhongguo", "jie", "tushuo"} <= set(tokens)
    traditional = analyze("圖說中國節")
    assert set(traditional) <= set(tokens)


def test_contributors_carry_relator_terms_and_codes():
    record = _mapped("bibs_concerto.sql", 0)
    assert record.contributors, "concerto records name composers and performers"
    assert [(c.name, c.role) for c in record.contributors] == [("Baldazzi, Gianfranco", "")]
    roles = {c.role for r in _marc("bibs_concerto.sql")[:100] for c in _roles(r)}
    assert roles - {""}, "some real 7XX carry $e/$4 roles"
    assert roles == {"", "performer"}


def _roles(marc):
    return marc_to_record(marc, NORTH, "oai:north:x").contributors


def test_6xx_subjects_join_subdivisions_and_name_their_scheme():
    record = _mapped("bibs_graphic_880.sql", 0)
    assert nz.unique(f"{s.scheme}:{s.heading}" for s in record.subjects)[:4] == [
        "lcsh:Festivals -- China",
        "lcsh:Chinese language materials",
        "lcsh:China -- Social life and customs",
        "lcac:Holidays -- China",
    ]
    french = _mapped("lul_fre_500.mrc", 0)
    assert french.subjects[0].scheme == "rvm"  # 2nd indicator 6: Répertoire de vedettes-matière


def test_subject_scheme_from_subfield_2_when_indicator_is_7():
    schemes = {s.scheme for i in range(7) for s in _mapped("bibs_mr.sql", i).subjects}
    assert "gsafd" in schemes
    assert schemes == {"", "gsafd", "lcgft", "lcsh", "local"}


def test_standard_numbers_are_normalised():
    record = _mapped("bibs_graphic_880.sql", 0)
    assert record.isbns == ["9787500473817"]  # the 13- and 10-digit forms are one ISBN
    assert record.oclc_numbers == ["319126686"]
    assert _mapped("bibs_graphic_880.sql", 6).oclc_numbers == ["50279560"]  # (OCoLC)ocm…
    assert _mapped("bibs_concerto.sql", 2).lccn == "64008198"  # 010 "64-8198"
    assert _mapped("bibs_fic.sql", 0).lccn == "68021584"  # 010 "   68021584 //r933"


def test_invalid_isbns_are_dropped():
    records = list(marc_records_from_file(EVERGREEN / "badisbns.xml"))
    raw = [v for r in records for f in r.get_fields("020") for v in f.get_subfields("a")]
    mapped = [i for r in records for i in marc_to_record(r, NORTH, "oai:north:b").isbns]
    assert len(mapped) < len(raw)
    assert all(len(i) == 13 and nz.isbn13(i) == i for i in mapped)
    assert raw == [
        "0553204300", "0553268473 (pbk.) :", "184533213X (hbk.)", "9781845332136 (hbk.)",
        "8901452100503",
    ]  # fmt: skip
    # the 10- and 13-digit forms of one ISBN are one; the bad check digit is dropped
    assert mapped == ["9780553204308", "9780553268478", "9781845332136"]


def test_issn_from_022():
    marc = next(marc_records_from_file(EVERGREEN / "serials_marc21.xml"))
    record = marc_to_record(marc, NORTH, "oai:north:serial")
    assert record.format == "serial"
    assert record.issns and all(len(i) == 9 and i[4] == "-" for i in record.issns)
    assert record.issns == ["0009-7330", "1524-4571"]  # print and electronic


def test_classification_collects_lcc_and_ddc():
    record = _mapped("bibs_graphic_880.sql", 0)
    assert record.classification["lcc"] == ["GT4883.A2 D326 2009"]
    assert _mapped("bibs_mr.sql", 1).classification["ddc"] == ["813.52"]


def test_084_with_scheme_clc_goes_under_clc():
    marc = _marc("bibs_graphic_880.sql")[0]
    marc.add_field(
        pymarc.Field(
            "084",
            pymarc.Indicators(" ", " "),
            [pymarc.Subfield("a", "K892.1"), pymarc.Subfield("2", "clc")],
        )
    )
    assert marc_to_record(marc, NORTH, "oai:north:clc").classification["clc"] == ["K892.1"]


def test_language_year_edition_extent_notes_and_urls():
    record = _mapped("bibs_graphic_880.sql", 3)
    assert record.language == "eng"
    assert record.year == 2006
    assert record.physical_description.startswith("xi") or record.physical_description
    assert record.physical_description == "xvi, 148 p. : ill. ; 24 cm."  # 300 $a $b $c
    assert record.urls[0].startswith("http://librweb.laurentian.ca/login?url=")
    assert record.format == "eresource"
    cd = list(marc_records_from_file(EVERGREEN / "RDA/RDA_record_CD_Claudia.mrc"))[0]
    claudia = marc_to_record(cd, NORTH, "oai:north:claudia")
    assert "Sung in Portuguese" in claudia.notes
    assert (claudia.language, claudia.year, claudia.publisher) == ("por", 2012, "EMI")


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("RDA_record_CD_Claudia.mrc", "recording"),
        ("RDA_record_DVD-BLUE-RAY-MOVIE_Pineapple_express.mrc", "video"),
        ("RDA_record_MAP_2012_Enchanted_Circle.mrc", "map"),
        ("RDA_record_PHOTO_Srid_pa_ho.mrc", "image"),
        ("RDA_record_SCORE_Wiegenlied.mrc", "score"),
        ("RDA_record_SERIAL_IEEE_International_conference.mrc", "serial"),
    ],
)
def test_format_follows_leader_and_007(file, expected):
    (marc,) = marc_records_from_file(EVERGREEN / "RDA" / file)
    assert marc_to_record(marc, NORTH, f"oai:north:{file}").format == expected


def test_spoken_recordings_are_told_from_music():
    formats = {_mapped("bibs_mr.sql", i).format for i in range(7)}
    assert "spoken_word" in formats
    assert [_mapped("bibs_mr.sql", i).format for i in range(7)] == [
        "spoken_word", "book", "spoken_word", "book", "spoken_word", "spoken_word", "book",
    ]  # fmt: skip
    assert _mapped("jazz_1k.mrc", 1).format == "recording"


# -- holdings -----------------------------------------------------------------------------


def test_949_items_become_holdings_with_status_from_circulation_flag():
    record = _mapped("jazz_1k.mrc", 1)
    assert [(h.call_number, h.location, h.status) for h in record.holdings] == [
        ("5479", "HUNT-AUDIO", "available")
    ]
    assert record.holdings[0].catalog_url == "http://127.0.0.1:8401/catalog/03-0018070"
    assert record.holdings[0].library_id == "north"


def test_949_current_location_bindery_or_in_process_is_not_loanable():
    assert _mapped("jazz_1k.mrc", 889).holdings[0].status == "not_loanable"  # $k BINDERY
    assert {h.status for h in _mapped("bibs_fre.sql", 9).holdings} >= {"not_loanable"}
    assert [(h.call_number, h.location, h.status) for h in _mapped("bibs_fre.sql", 9).holdings] == [
        ("K 830 R44 1982", "DESM-CIR", "not_loanable")
    ]


def test_checked_out_item_is_on_loan():
    marc = _marc("jazz_1k.mrc")[1]
    marc.get("949").add_subfield("k", "CHECKEDOUT")  # as the demo partners' ILS exports it
    assert marc_to_record(marc, NORTH, "oai:north:x").holdings[0].status == "on_loan"


def test_852_status_and_shelving_come_from_evergreen_export():
    record = _mapped("bibs_maps.sql", 1)
    assert [(h.call_number, h.location, h.status) for h in record.holdings] == [
        ("G4362.Y62 2007.G4", "BR1 Stacks", "not_loanable")  # $z "In process"
    ]
    assert _mapped("bibs_maps.sql", 0).holdings[0].status == "available"


def test_record_without_holdings_gets_one_partner_holding():
    record = _mapped("bibs_graphic_880.sql", 0)
    assert [(h.library_id, h.location, h.status, h.call_number) for h in record.holdings] == [
        ("north", "Main Library", "unknown", "GT4883.A2 D326 2009")
    ]
    assert record.holdings[0].catalog_url == "http://127.0.0.1:8401/catalog/2741359"


# -- entry point --------------------------------------------------------------------------


def test_map_record_reads_the_oai_metadata_element():
    text = (EVERGREEN / "bibs_maps.sql").read_text(encoding="utf-8")
    start = text.index("<record")
    xml = text[start : text.index("</record>", start) + len("</record>")].replace("''", "'")
    element = etree.fromstring(xml.encode(), etree.XMLParser(resolve_entities=False))
    record = map_record(NORTH, "oai:north:serial-1", "2026-11-01", element, "marc21")
    assert record.lccn == "2004631763"
    assert record.source_format == "marc21"
    assert record.datestamp == "2026-11-01"
    assert record.key == "north\x1foai:north:serial-1"


def test_holdings_record_without_title_raises_mapping_error_naming_it():
    text = (EVERGREEN / "serials_mfhd.xml").read_bytes()
    root = etree.fromstring(text, etree.XMLParser(resolve_entities=False, no_network=True))
    mfhd = next(e for e in root.iter() if etree.QName(e).localname == "record")
    with pytest.raises(MappingError, match="oai:north:mfhd-1"):
        map_record(NORTH, "oai:north:mfhd-1", "", mfhd, "marcxml")


def test_unknown_prefix_is_a_mapping_error():
    with pytest.raises(ValueError, match="oai:north:1.*'ead'"):
        map_record(NORTH, "oai:north:1", "", etree.Element("x"), "ead")


def test_every_real_bibliographic_record_maps():
    mapped = 0
    for name in ("jazz_1k.mrc", "lul_fre_500.mrc", "nepali.marc", "bibs_fre.sql", "bibs_cze.sql"):
        for position, marc in enumerate(_marc(name)):
            record = marc_to_record(marc, NORTH, f"oai:north:{name}-{position}")
            assert record.title and record.holdings
            mapped += 1
    assert mapped == 1000 + 500 + 96 + 100 + 7


# -- shared cleaning ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "isbn"),
    [
        ("0140449132 (pbk.)", "9780140449136"),
        ("978-0-14-044913-6 : $12.00", "9780140449136"),
        ("7500473818", "9787500473817"),
        ("0140449133", ""),
        ("ISBN 2-07-036822-X", "9782070368228"),
    ],
)
def test_isbns_are_validated_and_become_isbn13(raw, isbn):
    assert nz.isbn13(raw) == isbn


@pytest.mark.parametrize(
    ("raw", "year"),
    [("c1998.", 1998), ("[199-?]", 1990), ("1998-2001", 1998), ("MCMXCVIII", None), ("19uu", None)],
)
def test_messy_dates_give_a_clean_year(raw, year):
    assert nz.year(raw) == year


@pytest.mark.parametrize(
    ("raw", "code"),
    [("en", "eng"), ("fra", "fre"), ("zh-Hant", "chi"), ("French", "fre"), ("xx", "")],
)
def test_languages_become_iso_639_2b(raw, code):
    assert nz.language(raw) == code


def test_trailing_isbd_punctuation_goes_but_abbreviations_stay():
    assert nz.strip_isbd("Tu shuo Zhongguo jie =") == "Tu shuo Zhongguo jie"
    assert nz.strip_isbd("Coltrane, John.") == "Coltrane, John"
    assert nz.strip_isbd("Davis, Sammy, Jr.") == "Davis, Sammy, Jr."
    assert nz.strip_isbd("Bach, J. S.") == "Bach, J. S."
    assert nz.issn("0028-0836 (Print)") == "0028-0836"
    assert nz.oclc_number("(OCoLC)ocm01234567") == "1234567"
