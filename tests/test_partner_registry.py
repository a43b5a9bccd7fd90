"""The partner registry file: what operators write, and the errors they get."""

from __future__ import annotations

import pytest

from config.partners import RegistryError, load_registry, parse_registry
from config.settings import REPO_ROOT, SettingsError, from_environment
from demo.partners import LIBRARIES

GOOD = """
[[partner]]
id = "north"
name = "North City Library"
base_url = "https://opac.north.example/oai"
metadata_prefix = "oai_dc"
set = "books"
catalog_url = "https://opac.north.example/record/{id}"
origins = ["https://www.north.example"]
"""


def test_registry_entry_becomes_a_partner():
    (partner,) = parse_registry(GOOD)
    assert partner.id == "north" and partner.metadata_prefix == "oai_dc" and partner.set == "books"
    assert partner.origins == ("https://www.north.example",)
    assert partner.record_url("b123") == "https://opac.north.example/record/b123"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace('id = "north"', 'id = "North Library"'), "must be 1-32"),
        (GOOD.replace('metadata_prefix = "oai_dc"', 'metadata_prefix = "pdf"'), "metadata_prefix"),
        (
            GOOD.replace('base_url = "https://opac.north.example/oai"', 'base_url = "ftp://x"'),
            "http",
        ),
        (GOOD.replace('set = "books"', 'sets = "books"'), "unknown keys"),
        (GOOD.replace('name = "North City Library"', ""), "'name' is required"),
        (GOOD + GOOD, "duplicate partner ids"),
        ("[[partner]\nid=", "not valid TOML"),
        (GOOD + "max_removal = 120\n", "max_removal must be a percentage from 0 to 100"),
        (GOOD + 'max_removal = "all"\n', "max_removal must be a percentage"),
    ],
)
def test_mistakes_in_the_registry_are_named(text, message):
    with pytest.raises(RegistryError, match=message):
        parse_registry(text, "partners.toml")


def test_a_partner_may_have_its_own_removal_limit():
    (partner,) = parse_registry(GOOD + "max_removal = 25\n")
    assert partner.max_removal == 25
    (default,) = parse_registry(GOOD)
    assert default.max_removal is None


def test_missing_registry_file_is_a_clear_error(tmp_path):
    with pytest.raises(RegistryError, match="cannot read partner registry"):
        load_registry(tmp_path / "nope.toml")


def test_bundled_registry_lists_the_demo_libraries_on_their_ports():
    partners = load_registry(REPO_ROOT / "config" / "partners.toml")
    assert [(p.id, p.name) for p in partners] == [(lib.id, lib.name) for lib in LIBRARIES]
    for partner, library in zip(partners, LIBRARIES, strict=True):
        assert partner.base_url == f"http://127.0.0.1:{library.port}/oai"


def test_unknown_engine_in_environment_is_refused():
    with pytest.raises(SettingsError, match="FEDCAT_ENGINE"):
        from_environment({"FEDCAT_ENGINE": "solr"})


def test_elasticsearch_timeout_from_environment_is_a_bounded_number_of_seconds():
    assert from_environment({}).es_timeout == 10.0
    assert from_environment({"FEDCAT_ES_TIMEOUT": "2.5"}).es_timeout == 2.5
    for bad in ("0", "-1", "nan", "inf", "ten", "301"):
        with pytest.raises(SettingsError, match="FEDCAT_ES_TIMEOUT"):
            from_environment({"FEDCAT_ES_TIMEOUT": bad})
