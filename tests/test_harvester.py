"""The harvester against the demo OAI-PMH provider over real HTTP on loopback, with faults,
into the real catalog: deletions, sweeps, rejected records and full re-harvests on both
engines; the harvester's own behaviour (paging, retries, faults) over the embedded one."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import timedelta

import pytest
import sickle

from config.partners import Partner
from demo.oai_provider import DAY, FAULTS, REPOSITORY, ProviderRecord, make_app, marcxml, serve
from harvester.checkpoints import Checkpoints
from harvester.client import RetryPolicy
from harvester.removal import RemovalGuard
from harvester.runner import harvest
from indexer.catalog import Catalog
from indexer.marc import marc_to_record
from indexer.model import Record
from indexer.overrides import resolve_redirect
from tests.fixtures.builders import embedded_catalog
from tests.fixtures.oai_faults import _marc_file, marc_records

FAST = RetryPolicy(attempts=4, backoff=0.01, backoff_cap=0.05, retry_after_cap=0.2, timeout=5)


@pytest.fixture
def records():
    return marc_records(60)


@pytest.fixture
def provider(records):
    """(base URL, app): 60 real MARC records in pages of 10."""
    app = make_app(records, repository_name="North City Library", page_size=10)
    with serve(app) as url:
        yield url, app


@pytest.fixture
def south(records):
    """(base URL, app): real MARC records 10-29 of north's feed, as South's own records."""
    app = make_app(marc_records(20, library="south", start=10), repository_name="South")
    with serve(app) as url:
        yield url, app


@pytest.fixture
def checkpoints(tmp_path):
    store = Checkpoints(tmp_path / "state.sqlite", overlap=timedelta(0))
    yield store
    store.close()


@pytest.fixture
def sink(tmp_path):
    """The real catalog over the embedded engine, for the tests of the harvester's own
    behaviour; deletions, sweeps and rejections run over both engines (`catalog`)."""
    with embedded_catalog(tmp_path, {"north": "North City Library"}) as catalog:
        yield catalog


def partner(url: str, id: str = "north", **options) -> Partner:
    return Partner(id, f"Library {id}", url, **options)


async def run(partners, sink, checkpoints, **options):
    options.setdefault("policy", FAST)
    options.setdefault("batch_size", 10)
    return await harvest(partners, sink, checkpoints, **options)


def ids(records) -> set[str]:
    return {r.identifier for r in records}


def stored(catalog: Catalog, partner_id: str = "north") -> set[str]:
    """Identifiers of the partner's records in the catalog's record store."""
    rows = catalog.db.execute("SELECT identifier FROM records WHERE partner_id = ?", (partner_id,))
    return {identifier for (identifier,) in rows}


def work_of(catalog: Catalog, partner_id: str, record: ProviderRecord) -> str | None:
    return catalog.store.work_of(f"{partner_id}\x1f{record.identifier}")


def mapped_marc(n: int, to: Partner, record: ProviderRecord) -> Record:
    """Record n of jazz_1k.mrc mapped as `record` of partner `to`, straight from the file."""
    stamp = record.datestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return marc_to_record(_marc_file("jazz_1k.mrc")[n], to, record.identifier, stamp)


def holders(catalog: Catalog, work_id: str) -> set[str] | None:
    """The libraries holding a work in the engine's document; None when it has no document.

    A work whose smallest record left takes the next one's id, and the old id redirects to it
    (stable work ids, tests/test_stable_work_ids.py): the work is followed there."""
    document = catalog.engine.get(resolve_redirect(catalog.db, work_id) or work_id)
    return None if document is None else {h["library_id"] for h in document["holdings"]}


async def test_harvest_delivers_every_real_marc_record_and_writes_a_report(
    provider, records, checkpoints, sink
):
    url, _ = provider
    report = await run([partner(url)], sink, checkpoints)
    north = report.partners[0]
    assert (north.complete, north.error, north.records, north.pages) == (True, None, 60, 6)
    assert stored(sink) == ids(records)
    (stored_first, _), *_ = sink.store.records_of(work_of(sink, "north", records[0]))
    mapped = mapped_marc(0, partner(url), records[0])
    assert stored_first == mapped and mapped.title != ""
    written = json.loads(report.path.read_text())
    assert written["partners"][0]["records"] == 60 and written["ok"] is True
    assert "records_per_second" in written["partners"][0]


async def test_harvest_matches_what_sickle_harvests_from_the_same_server(
    provider, checkpoints, sink
):
    url, _ = provider
    await run([partner(url)], sink, checkpoints)
    theirs = {r.header.identifier for r in sickle.Sickle(url).ListRecords(metadataPrefix="marc21")}
    assert stored(sink) == theirs


async def test_incremental_harvest_asks_from_the_last_safe_datestamp(
    provider, records, checkpoints, sink
):
    url, app = provider
    await run([partner(url)], sink, checkpoints)
    newer = marc_records(5, start=100, base=records[-1].datestamp + timedelta(days=1))
    for record in newer:
        app[REPOSITORY].put(record)
    app[FAULTS].log.clear()
    report = await run([partner(url)], sink, checkpoints)
    asked = [args for _, args, _, _ in app[FAULTS].log if args.get("verb") == "ListRecords"]
    assert asked[0]["from"] == "2025-03-01T17:50:00Z"  # the newest datestamp of run 1
    assert report.partners[0].records == 1 + 5  # the overlap record, then the new ones
    assert stored(sink) == ids(records) | ids(newer)


async def test_from_and_until_bound_the_harvest(provider, records, checkpoints, sink):
    url, _ = provider
    await run(
        [partner(url)],
        sink,
        checkpoints,
        from_date="2025-03-01T09:00:00Z",
        until="2025-03-01T10:00:00Z",
    )
    assert stored(sink) == ids(records[6:13])


async def test_day_granularity_repository_is_asked_with_day_dates(records, checkpoints, sink):
    app = make_app(records, repository_name="Daily", granularity=DAY, page_size=25)
    with serve(app) as url:
        await run([partner(url)], sink, checkpoints)
        await run([partner(url)], sink, checkpoints)
    asked = [a for _, a, _, _ in app[FAULTS].log if a.get("verb") == "ListRecords" and "from" in a]
    assert asked[0]["from"] == "2025-03-01"
    assert stored(sink) == ids(records)


async def test_deleted_records_reach_the_sink_as_deletions(
    provider, south, records, checkpoints, catalog
):
    url, app = provider
    await run([partner(url), partner(south[0], "south")], catalog, checkpoints)
    only_north, shared = records[:2], records[10:12]  # South holds records 10-29 too
    works = {r.identifier: work_of(catalog, "north", r) for r in only_north + shared}
    assert catalog.engine.count() == 60
    for record in only_north + shared:
        app[REPOSITORY].delete(record.identifier, "2025-06-01T00:00:00Z")
    report = await run([partner(url)], catalog, checkpoints)
    assert report.partners[0].deleted == 4
    assert stored(catalog) == ids(records) - ids(only_north + shared)
    status = checkpoints.status(["north"])[0]
    assert (status.records, status.deleted) == (56, 4)
    assert [holders(catalog, works[r.identifier]) for r in only_north] == [None, None]
    assert [holders(catalog, works[r.identifier]) for r in shared] == [{"south"}, {"south"}]
    assert catalog.engine.count() == 58
    assert len(stored(catalog, "south")) == 20


async def test_full_reharvest_sweeps_records_that_vanished(
    provider, south, records, checkpoints, catalog
):
    url, app = provider
    await run([partner(url), partner(south[0], "south")], catalog, checkpoints)
    works = {r.identifier: work_of(catalog, "north", r) for r in records}
    for record in records[10:13]:
        app[REPOSITORY].vanish(record.identifier)
    incremental = await run([partner(url)], catalog, checkpoints)
    assert incremental.partners[0].swept == 0 and len(stored(catalog)) == 60
    full = await run([partner(url)], catalog, checkpoints, full=True)
    assert full.partners[0].swept == 3
    assert stored(catalog) == ids(records) - ids(records[10:13])
    assert checkpoints.status(["north"])[0].records == 57
    # the vanished records were shared with South: their works stay, held by South alone
    assert [holders(catalog, works[r.identifier]) for r in records[10:13]] == [{"south"}] * 3
    assert holders(catalog, works[records[13].identifier]) == {"north", "south"}
    assert catalog.engine.count() == 60 and len(stored(catalog, "south")) == 20


async def test_full_reharvest_of_a_shrunken_feed_removes_exactly_what_vanished(
    provider, south, records, checkpoints, catalog
):
    url, app = provider
    await run([partner(url), partner(south[0], "south")], catalog, checkpoints)
    works = {r.identifier: work_of(catalog, "north", r) for r in records}
    kept = records[:5] + records[20:25]  # 5 held by North alone, 5 shared with South
    for identifier in ids(records) - ids(kept):
        app[REPOSITORY].vanish(identifier)
    confirmed = RemovalGuard(allowed={"north"})  # 50 of 60 is more than the default 10%
    full = await run([partner(url)], catalog, checkpoints, full=True, removal=confirmed)
    assert (full.partners[0].complete, full.partners[0].swept) == (True, 50)
    assert stored(catalog) == ids(kept)
    assert stored(catalog, "south") == ids(marc_records(20, library="south", start=10))
    remaining = {w for w in works.values() if holders(catalog, w) is not None}
    assert remaining == {works[r.identifier] for r in kept + records[10:30]}
    assert [holders(catalog, works[r.identifier]) for r in kept] == [{"north"}] * 5 + [
        {"north", "south"}
    ] * 5
    assert catalog.engine.count() == 5 + 20


async def test_full_reharvest_that_stops_midway_sweeps_nothing(
    provider, records, checkpoints, catalog
):
    url, app = provider
    await run([partner(url)], catalog, checkpoints)
    app[FAULTS].page_faults = {3: ["truncated"] * 5}
    full = await run([partner(url)], catalog, checkpoints, full=True)
    assert "truncated response" in full.partners[0].error
    assert (full.partners[0].complete, full.partners[0].swept) == (False, 0)
    assert stored(catalog) == ids(records)
    assert catalog.engine.count() == 60


async def test_record_the_mapping_rejects_is_reported_and_the_rest_are_catalogued(
    records, checkpoints, catalog
):
    untitled = copy.deepcopy(_marc_file("jazz_1k.mrc")[5])
    untitled.remove_fields("245", "130", "240", "246", "210")
    feed = list(records[:10])
    feed[5] = replace(feed[5], metadata={"marc21": marcxml(untitled)})
    with serve(make_app(feed, repository_name="North")) as url:
        report = await run([partner(url)], catalog, checkpoints)
    north, rejected = report.partners[0], feed[5].identifier
    reason = f"{rejected}: MARC record has no title (245/130/240/246)"
    assert north.problems == [f"rejected by the sink: {rejected}: {reason}"]
    assert (north.complete, north.records, north.errors) == (True, 10, 1)
    assert stored(catalog) == ids(feed) - {rejected}
    assert catalog.engine.count() == 9
    titles = [mapped_marc(n, partner(url), r).title for n, r in enumerate(feed) if n != 5]
    assert sorted(catalog.engine.get(w)["title"] for w in catalog.store.work_ids()) == sorted(
        titles
    )


async def test_503_with_retry_after_is_waited_out(provider, checkpoints, sink):
    url, app = provider
    app[FAULTS].unavailable, app[FAULTS].retry_after = 3, "1"
    report = await run([partner(url)], sink, checkpoints)
    north = report.partners[0]
    assert (north.complete, north.records, north.retries) == (True, 60, 3)
    assert [entry[3] for entry in app[FAULTS].log[:3]] == [503, 503, 503]


async def test_server_errors_are_retried_with_backoff(provider, checkpoints, sink):
    url, app = provider
    app[FAULTS].server_errors = 2
    report = await run([partner(url)], sink, checkpoints)
    assert (report.partners[0].complete, report.partners[0].records) == (True, 60)


async def test_server_errors_past_the_retry_budget_fail_the_partner(provider, checkpoints, sink):
    url, app = provider
    app[FAULTS].server_errors = 100
    report = await run([partner(url)], sink, checkpoints)
    assert "HTTP 500" in report.partners[0].error
    assert "HTTP 500" in checkpoints.status(["north"])[0].last_error
    assert "with failures" in report.summary()


async def test_slow_responses_within_the_timeout_are_harvested(provider, checkpoints, sink):
    url, app = provider
    app[FAULTS].delay = 0.05
    report = await run([partner(url)], sink, checkpoints)
    assert report.partners[0].records == 60


async def test_responses_slower_than_the_timeout_fail_the_partner(provider, checkpoints, sink):
    url, app = provider
    app[FAULTS].delay = 1.0
    policy = RetryPolicy(attempts=2, backoff=0.01, timeout=0.2)
    report = await run([partner(url)], sink, checkpoints, policy=policy)
    assert "TimeoutError" in report.partners[0].error


async def test_connection_dropped_mid_page_is_retried(provider, checkpoints, sink):
    url, app = provider
    app[FAULTS].drops = 2
    report = await run([partner(url)], sink, checkpoints)
    assert (report.partners[0].records, report.partners[0].retries) == (60, 2)


async def test_gzip_responses_are_asked_for_and_decoded(provider, records, checkpoints, sink):
    url, app = provider
    await run([partner(url)], sink, checkpoints)
    assert all("gzip" in accept for _, _, accept, _ in app[FAULTS].log)
    assert stored(sink) == ids(records)


async def test_redirect_to_the_same_endpoint_is_followed(provider, checkpoints, sink):
    url, app = provider
    app[FAULTS].redirects = 3
    report = await run([partner(url)], sink, checkpoints)
    assert report.partners[0].records == 60
    assert [entry[3] for entry in app[FAULTS].log].count(302) == 3


async def test_malformed_page_that_heals_on_retry_is_harvested_cleanly(provider, checkpoints, sink):
    url, app = provider
    app[FAULTS].page_faults = {2: ["truncated"]}
    report = await run([partner(url)], sink, checkpoints)
    assert (report.partners[0].records, report.partners[0].problems) == (60, [])


@pytest.mark.parametrize("kind", ["control-char", "bare-ampersand"])
async def test_persistently_malformed_page_is_repaired_and_reported(
    provider, records, checkpoints, kind, sink
):
    url, app = provider
    app[FAULTS].page_faults = {2: [kind] * 5}
    report = await run([partner(url)], sink, checkpoints)
    north = report.partners[0]
    assert north.complete and north.records == 60
    assert north.problems and north.problems[0].startswith("page 2: repaired malformed XML")
    damaged = records[10].identifier
    expected = damaged if kind == "control-char" else damaged + " & co"
    assert expected in stored(sink)


async def test_truncated_page_fails_the_partner_and_the_next_run_resumes_there(
    provider, records, checkpoints, sink
):
    url, app = provider
    app[FAULTS].page_faults = {3: ["truncated"] * 5}
    first = await run([partner(url)], sink, checkpoints)
    assert "truncated response" in first.partners[0].error
    assert stored(sink) == ids(records[:20])
    app[FAULTS].page_faults.clear()
    app[FAULTS].log.clear()
    second = await run([partner(url)], sink, checkpoints)
    assert (second.partners[0].mode, second.partners[0].records) == ("resumed", 40)
    assert stored(sink) == ids(records)
    first_list_request = next(a for _, a, _, _ in app[FAULTS].log if a["verb"] == "ListRecords")
    assert "resumptionToken" in first_list_request


async def test_expired_resumption_token_restarts_the_list(provider, records, checkpoints, sink):
    url, app = provider
    app[FAULTS].page_faults = {3: ["expired-token"]}
    report = await run([partner(url)], sink, checkpoints)
    north = report.partners[0]
    assert (north.complete, north.restarts, north.pages) == (True, 1, 2 + 6)
    assert "badResumptionToken" in north.problems[0]
    assert stored(sink) == ids(records)


@pytest.mark.parametrize("kind", ["xxe", "bomb"])
async def test_xml_attack_page_is_refused_and_nothing_leaks(
    provider, records, checkpoints, kind, sink
):
    url, app = provider
    app[FAULTS].page_faults = {2: [kind]}
    report = await run([partner(url)], sink, checkpoints)
    assert "refused a response declaring a DTD" in report.partners[0].error
    assert stored(sink) == ids(records[:10])
    stored_data = [data for (data,) in sink.db.execute("SELECT data FROM records")]
    assert len(stored_data) == 10
    assert not any("root:" in data or "lol" in data for data in stored_data)


async def test_one_broken_partner_does_not_stop_the_others(provider, records, checkpoints, sink):
    url, _ = provider
    broken = make_app(records[:30], repository_name="Broken", page_size=10)
    broken[FAULTS].page_faults = {2: ["xxe"]}
    with serve(broken) as broken_url:
        partners = [
            partner(url, "north"),
            partner(broken_url, "broken"),
            partner("http://127.0.0.1:9/oai", "offline"),
            partner(url, "mods", metadata_prefix="mods"),
        ]
        report = await run(partners, sink, checkpoints, concurrency=2)
    outcome = {p.partner_id: p.error for p in report.partners}
    assert outcome["north"] is None and stored(sink) == ids(records)
    assert "refused" in outcome["broken"]
    assert "ClientConnectorError" in outcome["offline"]
    assert "cannotDisseminateFormat" in outcome["mods"]


async def test_no_records_match_is_a_complete_empty_harvest(provider, checkpoints, sink):
    url, _ = provider
    report = await run([partner(url)], sink, checkpoints, from_date="2030-01-01T00:00:00Z")
    assert (report.partners[0].complete, report.partners[0].records) == (True, 0)
    assert report.partners[0].error is None


async def test_progress_callback_hears_pages_records_and_states(provider, checkpoints, sink):
    url, _ = provider
    heard: list[tuple[str, dict]] = []
    await run([partner(url)], sink, checkpoints, progress=lambda p, **c: heard.append((p, c)))
    assert sum(c.get("pages", 0) for _, c in heard) == 6
    assert sum(c.get("records", 0) for _, c in heard) == 60
    assert [c["state"] for _, c in heard if "state" in c] == ["identify", "harvesting", "done"]


async def test_status_shows_last_success_counts_and_next_incremental_start(
    provider, checkpoints, sink
):
    url, _ = provider
    await run([partner(url)], sink, checkpoints)
    row = checkpoints.status(["north", "never"])
    assert row[0].last_success and row[0].records == 60 and row[0].errors == 0
    assert row[0].next_from == "2025-03-01T17:50:00Z"
    assert row[1].to_dict()["last_success"] is None


async def test_deleted_records_in_a_day_granularity_feed_keep_their_tombstones(checkpoints, sink):
    records = [
        ProviderRecord("oai:d:1", "2025-01-01", metadata=marc_records(1)[0].metadata),
        ProviderRecord("oai:d:2", "2025-01-02", deleted=True),
    ]
    with serve(make_app(records, repository_name="Tombs", granularity=DAY)) as url:
        report = await run([partner(url)], sink, checkpoints)
    assert (report.partners[0].records, report.partners[0].deleted) == (2, 1)
    assert stored(sink) == {"oai:d:1"}


async def test_configured_set_offered_by_list_sets_is_harvested(
    provider, records, checkpoints, sink
):
    url, app = provider
    report = await run([partner(url, set="all:music")], sink, checkpoints)
    verbs = [args["verb"] for _, args, _, _ in app[FAULTS].log]
    assert verbs[:2] == ["Identify", "ListSets"]
    assert (report.partners[0].complete, report.partners[0].error) == (True, None)
    assert stored(sink) == ids(records[1::2])  # the odd records are in set all:music


async def test_configured_set_the_partner_lacks_stops_that_partner_only(
    provider, records, checkpoints, sink
):
    url, app = provider
    misspelt, good = partner(url, "misspelt", set="all:jaz"), partner(url, "north")
    report = await run([misspelt, good], sink, checkpoints)
    outcome = {p.partner_id: p for p in report.partners}
    assert outcome["misspelt"].error == (
        "configured set 'all:jaz' is not offered (ListSets offers 2: all, all:music)"
    )
    assert (outcome["misspelt"].complete, outcome["misspelt"].records) == (False, 0)
    assert stored(sink, "misspelt") == set()
    assert (outcome["north"].complete, stored(sink)) == (True, ids(records))
    listed = [args for _, args, _, _ in app[FAULTS].log if args["verb"] == "ListRecords"]
    assert all("set" not in args for args in listed)  # the misspelt set was never asked for
    status = checkpoints.status(["misspelt"])[0]
    assert status.last_error == outcome["misspelt"].error


async def test_configured_set_on_a_repository_without_sets_stops_the_partner(checkpoints, sink):
    feed = [replace(r, sets=[]) for r in marc_records(5)]
    with serve(make_app(feed, repository_name="Flat")) as url:
        report = await run([partner(url, set="all")], sink, checkpoints)
    assert report.partners[0].error == (
        "configured set 'all' is not offered (the repository has no sets)"
    )
    assert stored(sink) == set()
