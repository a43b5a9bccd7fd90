"""A full harvest never removes a partner's records wholesale by accident.

A partner whose OAI-PMH server answers with a short but well-formed list (a truncated export)
or with nothing at all (an empty index after an ILS upgrade) would lose its records at the
sweep. Real providers on loopback, real MARC records, the real catalog on both engines, and
the real `fedcat harvest` command in a subprocess.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.partners import Partner
from config.settings import from_environment
from demo.oai_provider import REPOSITORY, make_app, serve
from harvester.checkpoints import Checkpoints
from harvester.client import RetryPolicy
from harvester.errors import RemovalHeld
from harvester.removal import RemovalGuard
from harvester.runner import harvest
from indexer.catalog import Catalog
from tests.fixtures.harvest_cli import Installation, write_registry
from tests.fixtures.oai_faults import marc_records

FAST = RetryPolicy(attempts=2, backoff=0.01, backoff_cap=0.05, timeout=5)


@pytest.fixture
def north():
    """(base URL, app): 60 real MARC records in pages of 10."""
    app = make_app(marc_records(60), repository_name="North", page_size=10)
    with serve(app) as url:
        yield url, app


@pytest.fixture
def south():
    app = make_app(marc_records(20, library="south", start=100), repository_name="South")
    with serve(app) as url:
        yield url, app


@pytest.fixture
def checkpoints(tmp_path) -> Iterator[Checkpoints]:
    store = Checkpoints(tmp_path / "state.sqlite")
    yield store
    store.close()


def stored(catalog: Catalog, partner_id: str) -> set[str]:
    rows = catalog.db.execute("SELECT identifier FROM records WHERE partner_id = ?", (partner_id,))
    return {identifier for (identifier,) in rows}


async def full_harvest(partners, catalog, checkpoints, **options):
    return await harvest(
        partners, catalog, checkpoints, full=True, policy=FAST, batch_size=10, **options
    )


async def test_a_truncated_but_valid_feed_removes_nothing_until_the_operator_confirms(
    north, south, checkpoints, catalog
):
    (north_url, app), (south_url, south_app) = north, south
    partners = [Partner("north", "North", north_url), Partner("south", "South", south_url)]
    await full_harvest(partners, catalog, checkpoints)
    before = stored(catalog, "north")
    documents = catalog.engine.count()
    truncated = sorted(before)[:30]  # the export stops halfway, as well-formed XML
    for identifier in truncated:
        app[REPOSITORY].vanish(identifier)
    south_app[REPOSITORY].vanish(sorted(stored(catalog, "south"))[0])  # 1 of 20: 5%, fine

    report = await full_harvest(partners, catalog, checkpoints)
    held, fine = report.partners
    assert not held.complete and held.swept == 0
    assert held.removal == {
        "count": 30,
        "held": 60,
        "share_percent": 50.0,
        "limit_percent": 10.0,
        "sample": truncated[:10],
        "allowed": False,
    }
    assert "held a removal of 30 of 60 records (50%, more than the 10% allowed)" in held.error
    assert "fedcat harvest --allow-removal north" in held.error
    assert stored(catalog, "north") == before  # nothing of north was removed
    assert (fine.complete, fine.swept, len(stored(catalog, "south"))) == (True, 1, 19)
    assert catalog.engine.count() == documents - 1
    written = json.loads(report.path.read_text())
    assert written["partners"][0]["removal"]["count"] == 30 and written["ok"] is False
    status = checkpoints.status(["north"])[0]
    assert status.run_in_progress and "held a removal" in status.last_error

    # a plain nightly run lists the partner again and holds again
    again = await harvest(partners[:1], catalog, checkpoints, policy=FAST, batch_size=10)
    assert again.partners[0].mode == "resumed" and again.partners[0].removal["count"] == 30
    assert stored(catalog, "north") == before

    confirmed = await harvest(
        partners[:1],
        catalog,
        checkpoints,
        policy=FAST,
        batch_size=10,
        removal=RemovalGuard(allowed={"north"}),
    )
    north_report = confirmed.partners[0]
    assert (north_report.complete, north_report.swept) == (True, 30)
    assert north_report.removal["allowed"] is True
    assert stored(catalog, "north") == before - set(truncated)
    assert checkpoints.status(["north"])[0].run_in_progress is None


async def test_a_partner_that_empties_keeps_its_records_unless_its_registry_entry_allows(
    north, checkpoints, catalog
):
    url, app = north
    await full_harvest([Partner("north", "North", url)], catalog, checkpoints)
    before = stored(catalog, "north")
    for identifier in before:
        app[REPOSITORY].vanish(identifier)

    report = await full_harvest([Partner("north", "North", url)], catalog, checkpoints)
    assert report.partners[0].removal["share_percent"] == 100.0
    assert stored(catalog, "north") == before
    assert catalog.engine.count() == 60

    # an operator who expects a partner to shrink a lot says so in its registry entry
    relaxed = Partner("north", "North", url, max_removal=100)
    report = await full_harvest([relaxed], catalog, checkpoints)
    assert (report.partners[0].complete, report.partners[0].swept) == (True, 60)
    assert stored(catalog, "north") == set() and catalog.engine.count() == 0


async def test_a_removal_within_the_limit_goes_ahead_and_one_above_it_is_held(
    north, checkpoints, catalog
):
    url, app = north
    partner = Partner("north", "North", url)
    await full_harvest([partner], catalog, checkpoints)
    for identifier in sorted(stored(catalog, "north"))[:6]:  # 6 of 60: exactly 10%
        app[REPOSITORY].vanish(identifier)
    report = await full_harvest([partner], catalog, checkpoints)
    assert (report.partners[0].swept, report.partners[0].removal["share_percent"]) == (6, 10.0)
    for identifier in sorted(stored(catalog, "north"))[:6]:  # 6 of 54: 11%
        app[REPOSITORY].vanish(identifier)
    report = await full_harvest([partner], catalog, checkpoints, removal=RemovalGuard(20.0))
    assert report.partners[0].swept == 6  # FEDCAT_MAX_REMOVAL=20 allows it
    for identifier in sorted(stored(catalog, "north"))[:6]:  # 6 of 48: 12.5%
        app[REPOSITORY].vanish(identifier)
    report = await full_harvest([partner], catalog, checkpoints)
    assert isinstance(report.partners[0].removal, dict) and report.partners[0].swept == 0
    assert len(stored(catalog, "north")) == 48


def test_removal_held_names_the_count_a_sample_and_the_command():
    removal = {"count": 12, "held": 20, "share_percent": 60.0, "limit_percent": 10.0}
    message = str(RemovalHeld("east", {**removal, "sample": ["a", "b"]}))
    assert message.startswith("east: held a removal of 12 of 20 records (60%")
    assert "e.g. a, b, ...; nothing was removed" in message
    assert message.endswith("fedcat harvest --allow-removal east")


# -- the command, as an operator runs it ------------------------------------------------------
@pytest.fixture(params=("tantivy", "elasticsearch"))
def installation(request, tmp_path, north, south) -> Iterator[Installation]:
    es_url = request.getfixturevalue("es_url") if request.param == "elasticsearch" else ""
    made = Installation(
        tmp_path / "data",
        request.param,
        write_registry(tmp_path / "partners.toml", {"north": north[0], "south": south[0]}),
        es_url=es_url,
        es_index=f"fedcat-test-removal-{uuid.uuid4().hex[:8]}",
    )
    yield made
    if es_url:
        from elasticsearch import Elasticsearch

        client = Elasticsearch(es_url)
        client.indices.delete(index=made.es_index, ignore_unavailable=True)
        client.close()


def test_fedcat_harvest_holds_an_emptied_partner_and_allow_removal_confirms(installation, north):
    _, app = north
    status, output = installation.run("harvest", "--quiet", "--full")
    assert status == 0, output
    documents = installation.document_count()
    for record in list(app[REPOSITORY]._records):
        app[REPOSITORY].vanish(record)

    status, output = installation.run("harvest", "--quiet", "--full")
    assert status == 1, output
    assert "Traceback" not in output
    assert "north: held a removal of 60 of 60 records (100%, more than the 10% allowed)" in output
    assert "e.g. oai:north.test:jazz_1k-0, oai:north.test:jazz_1k-1, " in output
    assert "confirm with: fedcat harvest --allow-removal north" in output
    assert re.search(r"\n  south: 20 records \(0 deleted\), .*, complete\n", output), output
    assert len([k for k in installation.stored() if k[0] == "north"]) == 60
    assert installation.document_count() == documents
    report_path = re.search(r"\(report: (\S+\.json)\)", output).group(1)
    held = json.loads(Path(report_path).read_text())["partners"][0]
    assert (held["partner_id"], held["removal"]["count"], held["swept"]) == ("north", 60, 0)

    status, output = installation.run(
        "harvest", "--quiet", "--allow-removal", "north", FEDCAT_MAX_REMOVAL="10"
    )
    assert status == 0, output
    assert "north: 0 records (0 deleted)" in output and "60 vanished records removed" in output
    assert [k for k in installation.stored() if k[0] == "north"] == []
    assert installation.document_count() == 20


def test_the_removal_limit_is_a_setting_with_a_clear_error():
    assert from_environment({"FEDCAT_MAX_REMOVAL": "25"}).max_removal == 25.0
    assert from_environment({}).max_removal == 10.0
    with pytest.raises(ValueError, match="FEDCAT_MAX_REMOVAL='150': a percentage from 0 to 100"):
        from_environment({"FEDCAT_MAX_REMOVAL": "150"})
