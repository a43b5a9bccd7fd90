"""One message catalogue for the pages and the widget, in English and Chinese.

The catalogue is gettext (Flask-Babel): the .pot lists every message the code, the templates
and the widget use (checked by extracting them again), the Chinese .po translates each one,
and the committed .mo is what the .po compiles to. Languages are negotiated by werkzeug.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from config.settings import Settings
from search_ui.app import create_app
from search_ui.i18n import LANGUAGES, TEMPLATE, TRANSLATIONS
from tests.fixtures.builders import APP_PARTNERS

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalogue(path: Path):
    with path.open("rb") as file:
        return read_mo(file) if path.suffix == ".mo" else read_po(file)


def strings(catalog) -> dict:
    """msgid -> text; a plural message as (singular, plural) -> (forms...)."""

    def plain(value):
        return value if isinstance(value, str) else tuple(value)

    return {plain(m.id): plain(m.string) for m in catalog if m.id}


@pytest.fixture
def client(tmp_path):
    return create_app(Settings(data_dir=tmp_path), partners=APP_PARTNERS).test_client()


# -- the catalogue files -----------------------------------------------------------------------


def test_the_template_lists_exactly_the_messages_the_code_templates_and_widget_use():
    with (ROOT / "search_ui" / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
    used = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }
    listed = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue(TEMPLATE) if m.id}
    assert used == listed
    widget = (ROOT / "search_ui" / "static" / "widget.js").read_text()
    assert "Search all partner libraries" in listed and '"Search all partner libraries"' in widget


def test_every_message_has_a_chinese_translation_with_the_same_placeholders():
    template = strings(catalogue(TEMPLATE))
    chinese = strings(catalogue(TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"))
    assert set(chinese) == set(template)
    for msgid, text in chinese.items():
        forms = text if isinstance(text, tuple) else (text,)
        source = msgid if isinstance(msgid, tuple) else (msgid,)
        assert all(forms), msgid
        for form in forms:
            assert set(PLACEHOLDER.findall(form)) == set(PLACEHOLDER.findall(source[-1])), msgid


@pytest.mark.parametrize("po", sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")))
def test_the_committed_mo_is_the_compiled_po(po):
    """Run `make translations` after editing a .po: the app reads the .mo."""
    compiled = strings(catalogue(po.with_suffix(".mo")))
    assert compiled == strings(catalogue(po))


# -- negotiation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("zh-CN,en;q=0.5", "zh"),
        ("en;q=0.4, zh;q=0.9", "zh"),
        ("fr, zh-Hant-TW;q=0.5", "zh"),
        ("EN-gb, zh", "en"),
        ("fr, de", "en"),
        ("zh;q=0, en;q=0.1", "en"),
        ("*", "en"),
        ("", "en"),
        (";;,;q=abc,\x7f", "en"),
    ],
)
def test_the_page_language_follows_accept_language_quality_values(
    client, accept_language, expected
):
    page = client.get("/", headers={"Accept-Language": accept_language}).get_data(as_text=True)
    heading = "在任一成员馆查找图书、乐谱或录音" if expected == "zh" else "Find a book, score"
    assert heading in page
    assert f'<html lang="{"zh-Hans" if expected == "zh" else "en"}">' in page


def test_the_lang_parameter_wins_over_the_browser(client):
    page = client.get("/?lang=en", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Search the catalogue" in page and 'href="/?lang=zh"' in page
    page = client.get("/?lang=zh", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "检索联合目录" in page and ">English</a>" in page


# -- the widget's messages ---------------------------------------------------------------------


def test_the_messages_endpoint_serves_the_catalogue_with_cldr_plural_forms(client):
    chinese = client.get("/api/v1/messages?lang=zh").get_json()
    assert chinese["lang"] == "zh"
    assert chinese["messages"]["Search all partner libraries"] == "检索所有成员馆"
    assert chinese["messages"]["%(num)d result in the consortium"] == {
        "other": "联合目录中有 %(num)d 条结果"
    }
    assert chinese["messages"]["Did you mean %(suggestion)s?"] == "您是不是要找 %(suggestion)s？"
    english = client.get("/api/v1/messages?lang=en").get_json()
    assert english["messages"]["%(num)d result"] == {
        "one": "%(num)d result",
        "other": "%(num)d results",
    }
    assert english["messages"]["On loan"] == "On loan"
    listed = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue(TEMPLATE) if m.id}
    assert set(chinese["messages"]) == set(english["messages"]) == listed


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("lang=zh-CN", "en", "zh"),
        ("lang=zh-Hans", "", "zh"),
        ("lang=fr", "zh", "zh"),
        ("", "", "en"),
    ],
)
def test_the_messages_endpoint_picks_the_nearest_language(client, query, header, expected):
    body = client.get(f"/api/v1/messages?{query}", headers={"Accept-Language": header}).get_json()
    assert body["lang"] == expected and expected in LANGUAGES
