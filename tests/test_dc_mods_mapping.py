"""Dublin Core and MODS → Record, on samples modelled on real records in ../shared/data."""

from __future__ import annotations

import pytest
from lxml import etree

from config.partners import Partner
from indexer.mapping import MappingError, map_record
from indexer.marc import marc_to_record
from indexer.marc_readers import marc_records_from_file, marc_records_from_sql
from indexer.query import SearchRequest, Words
from indexer.text import analyze
from tests.fixtures.paths import FIXTURES, SHARED_DATA

WEST = Partner(
    id="west",
    name="West Side Library",
    base_url="http://127.0.0.1:8404/oai",
    metadata_prefix="oai_dc",
    location="Reading Room",
    catalog_url="http://127.0.0.1:8404/record/{id}",
)
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _map(path: str, prefix: str, identifier: str = ""):
    element = etree.parse(str(FIXTURES / path), _SAFE).getroot()
    identifier = identifier or f"oai:west.example:{path.split('/')[-1].removesuffix('.xml')}"
    return map_record(WEST, identifier, "2026-11-02T10:00:00Z", element, prefix)


# -- Dublin Core --------------------------------------------------------------------------


def test_first_dc_title_is_the_title_split_at_isbd_marks():
    record = _map("oai_dc/lul_fre_autre_monde.xml", "oai_dc")
    assert record.source_format == "oai_dc"
    assert record.title == "L'autre monde, mythes et légendes"
    assert record.subtitle == "le purgatoire de Saint Patrice"
    assert record.responsibility == "par Ph. de Félice"


def test_dc_title_elision_is_searchable_like_marc():
    record = _map("oai_dc/lul_fre_autre_monde.xml", "oai_dc")
    assert "autre" in analyze(record.title)


def test_dc_creator_and_contributor_become_contributors():
    record = _map("oai_dc/jazz_montgomery.xml", "oai_dc")
    assert [(c.name, c.role) for c in record.contributors] == [
        ("Montgomery, Wes", ""),
        ("Flanagan, Tommy", "contributor"),
        ("Heath, Percy", "contributor"),
    ]


def test_dc_subjects_descriptions_publisher_date_and_language():
    record = _map("oai_dc/lul_fre_autre_monde.xml", "oai_dc")
    assert [s.heading for s in record.subjects] == ["Purgatoire", "Patrice, Saint, 373?-463?"]
    assert record.classification == {"lcc": ["BL 545 F4"]}  # dcterms:LCC-typed subject
    assert record.notes == ["Thèse--Université de Paris.", "Bibliographie: p. [179]-188."]
    assert (record.publisher, record.year, record.language) == ("Champion", 1906, "fre")
    assert record.physical_description == "193 p."
    assert record.format == "book"


def test_dc_relation_and_coverage_are_ignored():
    record = _map("oai_dc/lul_fre_autre_monde.xml", "oai_dc")
    text = str(record.to_dict())
    assert "Irlande" not in text and "hautes études" not in text
    assert (record.place, record.notes) == (
        "",
        ["Thèse--Université de Paris.", "Bibliographie: p. [179]-188."],
    )


def test_dc_identifiers_are_sorted_into_isbn_issn_oclc_and_urls():
    record = _map("oai_dc/jazz_montgomery.xml", "oai_dc")
    assert record.isbns == ["9780140449136"]  # the barcode and label number are not ISBNs
    assert record.issns == ["0317-8471"]
    assert record.oclc_numbers == ["1234567"]
    french = _map("oai_dc/lul_fre_autre_monde.xml", "oai_dc")
    assert french.urls == ["http://catalogue.example.org/record/lul-0"]


def test_dc_type_sound_is_a_recording_and_two_letter_language_is_mapped():
    record = _map("oai_dc/jazz_montgomery.xml", "oai_dc")
    assert (record.format, record.language, record.year) == ("recording", "eng", 1960)


def test_dc_record_gets_the_partner_holding():
    record = _map("oai_dc/lul_fre_autre_monde.xml", "oai_dc", "oai:west.example:lul-0")
    (holding,) = record.holdings
    assert (holding.library_id, holding.location, holding.status) == (
        "west",
        "Reading Room",
        "unknown",
    )
    assert holding.call_number == "BL 545 F4"
    assert holding.catalog_url == "http://127.0.0.1:8404/record/lul-0"


def test_dc_record_without_title_is_a_mapping_error_naming_it():
    with pytest.raises(MappingError, match="oai:west.example:untitled"):
        _map("oai_dc/untitled.xml", "oai_dc")


def test_dc_and_marc_of_the_same_book_agree_on_what_matching_reads():
    dc = _map("oai_dc/lul_fre_autre_monde.xml", "oai_dc")
    marc = next(marc_records_from_file(SHARED_DATA / "evergreen/lul_fre_500.mrc"))
    from_marc = marc_to_record(marc, WEST, "oai:west:marc")
    assert (dc.title, dc.subtitle, dc.year, dc.language) == (
        from_marc.title,
        from_marc.subtitle,
        from_marc.year,
        from_marc.language,
    )
    assert dc.contributors[0].name == from_marc.contributors[0].name
    assert (from_marc.title, from_marc.year, from_marc.language) == (
        "L'autre monde, mythes et légendes",
        1906,
        "fre",
    )
    assert from_marc.contributors[0].name == "Félice, Philippe de"


# -- MODS ---------------------------------------------------------------------------------


def test_mods_title_info_with_subtitle_part_and_non_sort():
    record = _map("mods/map_yosemite.xml", "mods")
    assert record.source_format == "mods"
    assert record.title.startswith("The Map of Yosemite Valley")
    assert record.title == (  # nonSort "The" joined to the title
        "The Map of Yosemite Valley, Yosemite National Park and Wilderness, California,"
        " Mariposa County"
    )
    assert record.subtitle == ""
    assert record.part == "Sheet 2, Valley floor"
    chinese = _map("mods/graphic_880_tushuo.xml", "mods")
    assert (chinese.title, chinese.subtitle) == ("Tu shuo Zhongguo jie", "Tushuo Zhongguojie")
    assert chinese.responsibility == "Da Qiao bian zhu"


def test_mods_alt_rep_group_gives_vernacular_title_and_name():
    record = _map("mods/graphic_880_tushuo.xml", "mods")
    assert record.vernacular["title"] == ["圖說中國節 : Tushuo Zhongguojie"]
    assert [(c.name, c.role, c.vernacular) for c in record.contributors] == [
        ("Da, Qiao", "author", "大乔")
    ]


def _han_form(record) -> str:
    """The record's title form in Han script (the title itself or one of its other forms:
    MARC shows the 880 vernacular as the title, MODS keeps it beside the romanised one)."""
    forms = [record.title, *record.vernacular.get("title", [])]
    return next(form for form in forms if any("\u4e00" <= c <= "\u9fff" for c in form))


def test_mods_traditional_title_meets_marc_simplified_title_in_the_index():
    mods = _map("mods/graphic_880_tushuo.xml", "mods")
    marc = next(marc_records_from_sql(SHARED_DATA / "evergreen/bibs_graphic_880.sql"))
    from_marc = marc_to_record(marc, WEST, "oai:west:marc")

    def han_tokens(record) -> list[str]:
        return [t for t in analyze(_han_form(record)) if any("\u4e00" <= c <= "\u9fff" for c in t)]

    assert han_tokens(mods) == han_tokens(from_marc) != []
    tokens = analyze(" ".join([mods.title, *mods.vernacular["title"]]))
    assert {"tu", "shuo", "zhongguo", "中国", "国节"} <= set(tokens)


def test_mods_names_with_roles_codes_and_name_parts():
    record = _map("mods/map_yosemite.xml", "mods")
    assert [(c.name, c.role) for c in record.contributors] == [
        ("Geological Survey (U.S.)", "cartographer"),
        ("Huber, N. King", ""),
    ]


def test_mods_subjects_join_parts_and_keep_authority():
    record = _map("mods/map_yosemite.xml", "mods")
    assert [(s.heading, s.scheme) for s in record.subjects] == [
        ("Yosemite Valley (Calif.) -- Maps, Topographic", "lcsh"),
        ("Geology -- California -- 20th century", "lcsh"),
    ]
    chinese = _map("mods/graphic_880_tushuo.xml", "mods")
    assert chinese.subjects[2].scheme == "lcshac"


def test_mods_typed_identifiers_and_classification():
    record = _map("mods/map_yosemite.xml", "mods")
    assert record.isbns == ["9781411318014"]
    assert record.lccn == "2007631309"
    assert record.issns == ["0317-8471"]
    assert record.urls == ["https://pubs.example.gov/yosemite.pdf"]
    chinese = _map("mods/graphic_880_tushuo.xml", "mods")
    assert chinese.isbns == ["9787500473817"]  # 10 and 13 digits agree; invalid="yes" ignored
    assert chinese.oclc_numbers == ["319126686"]
    assert chinese.classification == {"lcc": ["GT4883.A2 D326 2009"], "ddc": ["394.26951"]}


def test_mods_origin_info_language_type_and_extent():
    record = _map("mods/map_yosemite.xml", "mods")
    assert (record.publisher, record.place, record.year) == (
        "U.S. Geological Survey",
        "Reston, Va",
        2007,
    )
    assert record.edition == "Shaded relief ed., limited revision 1970"
    assert (record.language, record.format) == ("eng", "map")
    assert record.physical_description == "1 map : col. ; 40 x 97 cm."
    assert record.notes == ["Relief shown by contours, shading, and spot heights."]


def test_mods_holding_simple_copies_become_holdings_with_status():
    record = _map("mods/graphic_880_tushuo.xml", "mods")
    assert [(h.call_number, h.location, h.status) for h in record.holdings] == [
        ("GT4883.A2 D326 2009", "MBI Stacks", "on_loan"),
        ("GT4883.A2 D326 2009 c.2", "MBI Reference", "not_loanable"),
    ]
    assert record.holdings[0].catalog_url == "http://127.0.0.1:8404/record/2741359"


def test_mods_without_location_gets_the_partner_holding_with_class_number():
    record = _map("mods/map_yosemite.xml", "mods", "oai:west.example:maps/yosemite")
    (holding,) = record.holdings
    assert (holding.location, holding.call_number, holding.status) == (
        "Reading Room",
        "G4362.Y62 2007 .G4",
        "unknown",
    )
    assert holding.catalog_url == "http://127.0.0.1:8404/record/yosemite"


def test_mods_without_title_info_is_a_mapping_error():
    empty = etree.fromstring(b'<mods xmlns="http://www.loc.gov/mods/v3"><note>x</note></mods>')
    with pytest.raises(MappingError, match="oai:west:7"):
        map_record(WEST, "oai:west:7", "", empty, "mods")


# -- MODS vernacular beyond title and names -------------------------------------------------


def test_mods_script_twins_of_imprint_edition_and_subjects_are_kept_beside_the_romanised():
    record = _map("mods/laozi_dao_speaks.xml", "mods")
    assert (record.publisher, record.place, record.edition) == (
        "Xian dai chu ban she",
        "Beijing Shi",
        "Di 1 ban",
    )
    assert [s.heading for s in record.subjects][:2] == [
        "Laozi -- Dao de jing",
        "Laozi -- Criticism and interpretation",
    ]
    assert record.vernacular["publisher"] == ["现代出版社"]
    assert record.vernacular["place"] == ["北京市"]
    assert record.vernacular["edition"] == ["第1版"]
    assert record.vernacular["subjects"] == [
        "老子 -- 道德經",
        "老子 -- Criticism and interpretation",
    ]


def test_mods_twin_listed_first_is_still_the_vernacular_and_notes_have_twins_too():
    mods = etree.fromstring(
        """<mods xmlns="http://www.loc.gov/mods/v3">
          <titleInfo><title>Laozi shuo</title></titleInfo>
          <originInfo altRepGroup="05" script="Hani"><publisher>现代出版社</publisher></originInfo>
          <originInfo altRepGroup="05"><publisher>Xian dai chu ban she</publisher></originInfo>
          <note altRepGroup="09" script="Hani">中英文对照</note>
          <note altRepGroup="09">Zhong Ying wen dui zhao</note>
          <note>Parallel text in Chinese and English.</note>
        </mods>"""
    )
    record = map_record(WEST, "oai:west.example:twins", "", mods, "mods")
    assert record.publisher == "Xian dai chu ban she"
    assert record.vernacular["publisher"] == ["现代出版社"]
    assert record.notes == ["Zhong Ying wen dui zhao", "Parallel text in Chinese and English."]
    assert record.vernacular["notes"] == ["中英文对照"]


def test_mods_vernacular_publisher_place_and_subjects_are_searchable(catalog):
    catalog.add_records([_map("mods/laozi_dao_speaks.xml", "mods")])
    for text in ("现代出版社", "北京市", "道德經", "Xian dai chu ban she"):
        result = catalog.engine.search(SearchRequest(query=Words("all", text), limit=5))
        assert result.total == 1, text
    subject = catalog.engine.search(SearchRequest(query=Words("subject", "道德经")))
    assert subject.total == 1  # traditional twin found by its simplified form
