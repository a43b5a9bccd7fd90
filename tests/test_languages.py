"""Language codes from partner feeds → ISO 639-2/B, and the names the language facet shows."""

from __future__ import annotations

import pytest

from indexer.languages import language, language_name
from indexer.marc import marc_to_record
from indexer.marc_readers import marc_records_from_file, marc_records_from_sql
from tests.fixtures.paths import SHARED_DATA
from tests.test_marc_mapping import NORTH

# Every ISO 639-2 language whose terminology (T) and bibliographic (B) codes differ.
T_TO_B = {
    "sqi": "alb", "hye": "arm", "eus": "baq", "bod": "tib", "mya": "bur", "ces": "cze",
    "zho": "chi", "cym": "wel", "deu": "ger", "nld": "dut", "ell": "gre", "fas": "per",
    "fra": "fre", "kat": "geo", "isl": "ice", "mkd": "mac", "mri": "mao", "msa": "may",
    "ron": "rum", "slk": "slo",
}  # fmt: skip


@pytest.mark.parametrize(("terminologic", "bibliographic"), sorted(T_TO_B.items()))
def test_terminology_codes_become_bibliographic(terminologic, bibliographic):
    assert language(terminologic) == bibliographic
    assert language(bibliographic) == bibliographic
    assert language(terminologic.upper()) == bibliographic


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("fr", "fre"), ("de", "ger"), ("zh", "chi"), ("en-US", "eng"), ("zh_CN", "chi"),
        ("tl", "tgl"), ("ne", "nep"), ("bo", "tib"), ("cs", "cze"), ("xx", ""),
    ],
)  # fmt: skip
def test_iso_639_1_codes_and_tags_become_bibliographic(raw, code):
    assert language(raw) == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [("nep", "nep"), ("haw", "haw"), ("mul", "mul"), ("scc", "scc"), ("mol", "mol")],
)
def test_other_three_letter_codes_are_kept_as_marc_writes_them(raw, code):
    assert language(raw) == code


@pytest.mark.parametrize("raw", ["und", "zxx", "", "   ", "eng; fre", "1234", "!!", "\x000\x80"])
def test_no_language_or_garbage_gives_no_code(raw):
    assert language(raw) == ""


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("French", "fre"), ("Français", "fre"), ("francais", "fre"), ("Deutsch", "ger"),
        ("Español", "spa"), ("Chinese", "chi"), ("中文", "chi"), ("Nepali", "nep"),
        ("Greek", "gre"), ("Portuguese", "por"),
    ],
)  # fmt: skip
def test_language_names_in_any_language_become_codes(name, code):
    assert language(name) == code


@pytest.mark.parametrize(
    ("code", "english", "chinese"),
    [
        ("fre", "French", "法语"),
        ("ger", "German", "德语"),
        ("chi", "Chinese", "中文"),
        ("eng", "English", "英语"),
        ("nep", "Nepali", "尼泊尔语"),
        ("cze", "Czech", "捷克语"),
        ("mul", "Multiple languages", "多语种"),
    ],
)
def test_language_name_in_the_interface_language(code, english, chinese):
    assert language_name(code, "en") == english
    assert language_name(code, "zh") == chinese
    assert language_name(code) == english


@pytest.mark.parametrize("code", ["qqq", "!!", "", "x1"])
def test_language_name_of_an_unknown_code_is_the_code(code):
    assert language_name(code, "en") == code
    assert language_name(code, "zh") == code


def test_real_records_languages_are_named_in_both_interfaces():
    """The facet values the shared MARC files give all have a name, in English and Chinese."""
    evergreen = SHARED_DATA / "evergreen"
    records = [
        *marc_records_from_file(evergreen / "lul_fre_500.mrc"),
        *marc_records_from_file(evergreen / "nepali.marc"),
        *marc_records_from_sql(evergreen / "bibs_graphic_880.sql"),
        *marc_records_from_sql(evergreen / "bibs_cze.sql"),
    ]
    codes = sorted({marc_to_record(r, NORTH, "oai:north:x").language for r in records} - {""})
    assert codes == ["chi", "cze", "eng", "fre", "lat", "nep"]
    assert [language_name(c, "en") for c in codes] == [
        "Chinese", "Czech", "English", "French", "Latin", "Nepali",
    ]  # fmt: skip
    assert [language_name(c, "zh") for c in codes] == [
        "中文", "捷克语", "英语", "法语", "拉丁语", "尼泊尔语",
    ]  # fmt: skip
