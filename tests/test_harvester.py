"""The harvester against the demo OAI-PMH provider over real HTTP on loopback, with faults."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sickle

from config.partners import Partner
from demo.oai_provider import DAY, FAULTS, REPOSITORY, ProviderRecord, make_app, serve
from harvester.checkpoints import Checkpoints
from harvester.client import RetryPolicy
from harvester.runner import harvest
from tests.fixtures.oai_faults import DictSink, marc_records

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
def checkpoints(tmp_path):
    store = Checkpoints(tmp_path / "state.sqlite", overlap=timedelta(0))
    yield store
    store.close()


def partner(url: str, id: str = "north", **options) -> Partner:
    return Partner(id, f"Library {id}", url, **options)


async def run(partners, sink, checkpoints, **options):
    options.setdefault("policy", FAST)
    options.setdefault("batch_size", 10)
    return await harvest(partners, sink, checkpoints, **options)


def ids(records) -> set[str]:
    return {r.identifier for r in records}


async def test_harvest_delivers_every_real_marc_record_and_writes_a_report(
    provider, records, checkpoints
):
    url, _ = provider
    sink = DictSink()
    report = await run([partner(url)], sink, checkpoints)
    north = report.partners[0]
    assert (north.complete, north.error, north.records, north.pages) == (True, None, 60, 6)
    assert sink.identifiers("north") == ids(records)
    assert "<datafield" in sink.records[("north", records[0].identifier)][1]
    written = json.loads(report.path.read_text())
    assert written["partners"][0]["records"] == 60 and written["ok"] is True
    assert "records_per_second" in written["partners"][0]


async def test_harvest_matches_what_sickle_harvests_from_the_same_server(provider, checkpoints):
    url, _ = provider
    sink = DictSink()
    await run([partner(url)], sink, checkpoints)
    theirs = {r.header.identifier for r in sickle.Sickle(url).ListRecords(metadataPrefix="marc21")}
    assert sink.identifiers("north") == theirs


async def test_incremental_harvest_asks_from_the_last_safe_datestamp(
    provider, records, checkpoints
):
    url, app = provider
    sink = DictSink()
    await run([partner(url)], sink, checkpoints)
    newer = marc_records(5, start=100, base=records[-1].datestamp + timedelta(days=1))
    for record in newer:
        app[REPOSITORY].put(record)
    app[FAULTS].log.clear()
    report = await run([partner(url)], sink, checkpoints)
    asked = [args for _, args, _, _ in app[FAULTS].log if args.get("verb") == "ListRecords"]
    assert asked[0]["from"] == "2025-03-01T17:50:00Z"  # the newest datestamp of run 1
    assert report.partners[0].records == 1 + 5  # the overlap record, then the new ones
    assert sink.identifiers("north") == ids(records) | ids(newer)


async def test_from_and_until_bound_the_harvest(provider, records, checkpoints):
    url, _ = provider
    sink = DictSink()
    await run(
        [partner(url)],
        sink,
        checkpoints,
        from_date="2025-03-01T09:00:00Z",
        until="2025-03-01T10:00:00Z",
    )
    assert sink.identifiers("north") == ids(records[6:13])


async def test_day_granularity_repository_is_asked_with_day_dates(records, checkpoints):
    app = make_app(records, repository_name="Daily", granularity=DAY, page_size=25)
    with serve(app) as url:
        sink = DictSink()
        await run([partner(url)], sink, checkpoints)
        await run([partner(url)], sink, checkpoints)
    asked = [a for _, a, _, _ in app[FAULTS].log if a.get("verb") == "ListRecords" and "from" in a]
    assert asked[0]["from"] == "2025-03-01"
    assert sink.identifiers("north") == ids(records)


async def test_deleted_records_reach_the_sink_as_deletions(provider, records, checkpoints):
    url, app = provider
    sink = DictSink()
    await run([partner(url)], sink, checkpoints)
    for record in records[:2]:
        app[REPOSITORY].delete(record.identifier, "2025-06-01T00:00:00Z")
    report = await run([partner(url)], sink, checkpoints)
    assert report.partners[0].deleted == 2
    assert sink.identifiers("north") == ids(records[2:])
    status = checkpoints.status(["north"])[0]
    assert (status.records, status.deleted) == (58, 2)


async def test_full_reharvest_sweeps_records_that_vanished(provider, records, checkpoints):
    url, app = provider
    sink = DictSink()
    await run([partner(url)], sink, checkpoints)
    for record in records[10:13]:
        app[REPOSITORY].vanish(record.identifier)
    incremental = await run([partner(url)], sink, checkpoints)
    assert incremental.partners[0].swept == 0 and len(sink.identifiers("north")) == 60
    full = await run([partner(url)], sink, checkpoints, full=True)
    assert full.partners[0].swept == 3
    assert sink.identifiers("north") == ids(records) - ids(records[10:13])
    assert checkpoints.status(["north"])[0].records == 57


async def test_503_with_retry_after_is_waited_out(provider, checkpoints):
    url, app = provider
    app[FAULTS].unavailable, app[FAULTS].retry_after = 3, "1"
    report = await run([partner(url)], DictSink(), checkpoints)
    north = report.partners[0]
    assert (north.complete, north.records, north.retries) == (True, 60, 3)
    assert [entry[3] for entry in app[FAULTS].log[:3]] == [503, 503, 503]


async def test_server_errors_are_retried_with_backoff(provider, checkpoints):
    url, app = provider
    app[FAULTS].server_errors = 2
    report = await run([partner(url)], DictSink(), checkpoints)
    assert (report.partners[0].complete, report.partners[0].records) == (True, 60)


async def test_server_errors_past_the_retry_budget_fail_the_partner(provider, checkpoints):
    url, app = provider
    app[FAULTS].server_errors = 100
    report = await run([partner(url)], DictSink(), checkpoints)
    assert "HTTP 500" in report.partners[0].error
    assert "HTTP 500" in checkpoints.status(["north"])[0].last_error
    assert "with failures" in report.summary()


async def test_slow_responses_within_the_timeout_are_harvested(provider, checkpoints):
    url, app = provider
    app[FAULTS].delay = 0.05
    report = await run([partner(url)], DictSink(), checkpoints)
    assert report.partners[0].records == 60


async def test_responses_slower_than_the_timeout_fail_the_partner(provider, checkpoints):
    url, app = provider
    app[FAULTS].delay = 1.0
    policy = RetryPolicy(attempts=2, backoff=0.01, timeout=0.2)
    report = await run([partner(url)], DictSink(), checkpoints, policy=policy)
    assert "TimeoutError" in report.partners[0].error


async def test_connection_dropped_mid_page_is_retried(provider, checkpoints):
    url, app = provider
    app[FAULTS].drops = 2
    sink = DictSink()
    report = await run([partner(url)], sink, checkpoints)
    assert (report.partners[0].records, report.partners[0].retries) == (60, 2)


async def test_gzip_responses_are_asked_for_and_decoded(provider, records, checkpoints):
    url, app = provider
    sink = DictSink()
    await run([partner(url)], sink, checkpoints)
    assert all("gzip" in accept for _, _, accept, _ in app[FAULTS].log)
    assert sink.identifiers("north") == ids(records)


async def test_redirect_to_the_same_endpoint_is_followed(provider, checkpoints):
    url, app = provider
    app[FAULTS].redirects = 3
    report = await run([partner(url)], DictSink(), checkpoints)
    assert report.partners[0].records == 60
    assert [entry[3] for entry in app[FAULTS].log].count(302) == 3


async def test_malformed_page_that_heals_on_retry_is_harvested_cleanly(provider, checkpoints):
    url, app = provider
    app[FAULTS].page_faults = {2: ["truncated"]}
    report = await run([partner(url)], DictSink(), checkpoints)
    assert (report.partners[0].records, report.partners[0].problems) == (60, [])


@pytest.mark.parametrize("kind", ["control-char", "bare-ampersand"])
async def test_persistently_malformed_page_is_repaired_and_reported(
    provider, records, checkpoints, kind
):
    url, app = provider
    app[FAULTS].page_faults = {2: [kind] * 5}
    sink = DictSink()
    report = await run([partner(url)], sink, checkpoints)
    north = report.partners[0]
    assert north.complete and north.records == 60
    assert north.problems and north.problems[0].startswith("page 2: repaired malformed XML")
    damaged = records[10].identifier
    expected = damaged if kind == "control-char" else damaged + " & co"
    assert expected in sink.identifiers("north")


async def test_truncated_page_fails_the_partner_and_the_next_run_resumes_there(
    provider, records, checkpoints
):
    url, app = provider
    app[FAULTS].page_faults = {3: ["truncated"] * 5}
    sink = DictSink()
    first = await run([partner(url)], sink, checkpoints)
    assert "truncated response" in first.partners[0].error
    assert sink.identifiers("north") == ids(records[:20])
    app[FAULTS].page_faults.clear()
    app[FAULTS].log.clear()
    second = await run([partner(url)], sink, checkpoints)
    assert (second.partners[0].mode, second.partners[0].records) == ("resumed", 40)
    assert sink.identifiers("north") == ids(records)
    first_list_request = next(a for _, a, _, _ in app[FAULTS].log if a["verb"] == "ListRecords")
    assert "resumptionToken" in first_list_request


async def test_expired_resumption_token_restarts_the_list(provider, records, checkpoints):
    url, app = provider
    app[FAULTS].page_faults = {3: ["expired-token"]}
    sink = DictSink()
    report = await run([partner(url)], sink, checkpoints)
    north = report.partners[0]
    assert (north.complete, north.restarts, north.pages) == (True, 1, 2 + 6)
    assert "badResumptionToken" in north.problems[0]
    assert sink.identifiers("north") == ids(records)


@pytest.mark.parametrize("kind", ["xxe", "bomb"])
async def test_xml_attack_page_is_refused_and_nothing_leaks(provider, records, checkpoints, kind):
    url, app = provider
    app[FAULTS].page_faults = {2: [kind]}
    sink = DictSink()
    report = await run([partner(url)], sink, checkpoints)
    assert "refused a response declaring a DTD" in report.partners[0].error
    assert sink.identifiers("north") == ids(records[:10])
    assert not any("root:" in xml or "lol" in xml for _, xml, _ in sink.records.values())


async def test_one_broken_partner_does_not_stop_the_others(provider, records, checkpoints):
    url, _ = provider
    broken = make_app(records[:30], repository_name="Broken", page_size=10)
    broken[FAULTS].page_faults = {2: ["xxe"]}
    sink = DictSink()
    with serve(broken) as broken_url:
        partners = [
            partner(url, "north"),
            partner(broken_url, "broken"),
            partner("http://127.0.0.1:9/oai", "offline"),
            partner(url, "mods", metadata_prefix="mods"),
        ]
        report = await run(partners, sink, checkpoints, concurrency=2)
    outcome = {p.partner_id: p.error for p in report.partners}
    assert outcome["north"] is None and sink.identifiers("north") == ids(records)
    assert "refused" in outcome["broken"]
    assert "ClientConnectorError" in outcome["offline"]
    assert "cannotDisseminateFormat" in outcome["mods"]


async def test_no_records_match_is_a_complete_empty_harvest(provider, checkpoints):
    url, _ = provider
    report = await run([partner(url)], DictSink(), checkpoints, from_date="2030-01-01T00:00:00Z")
    assert (report.partners[0].complete, report.partners[0].records) == (True, 0)
    assert report.partners[0].error is None


async def test_progress_callback_hears_pages_records_and_states(provider, checkpoints):
    url, _ = provider
    heard: list[tuple[str, dict]] = []
    await run([partner(url)], DictSink(), checkpoints, progress=lambda p, **c: heard.append((p, c)))
    assert sum(c.get("pages", 0) for _, c in heard) == 6
    assert sum(c.get("records", 0) for _, c in heard) == 60
    assert [c["state"] for _, c in heard if "state" in c] == ["identify", "harvesting", "done"]


async def test_status_shows_last_success_counts_and_next_incremental_start(provider, checkpoints):
    url, _ = provider
    await run([partner(url)], DictSink(), checkpoints)
    row = checkpoints.status(["north", "never"])
    assert row[0].last_success and row[0].records == 60 and row[0].errors == 0
    assert row[0].next_from == "2025-03-01T17:50:00Z"
    assert row[1].to_dict()["last_success"] is None


async def test_deleted_records_in_a_day_granularity_feed_keep_their_tombstones(checkpoints):
    records = [
        ProviderRecord("oai:d:1", "2025-01-01", metadata={"marc21": "<record/>"}),
        ProviderRecord("oai:d:2", "2025-01-02", deleted=True),
    ]
    with serve(make_app(records, repository_name="Tombs", granularity=DAY)) as url:
        sink = DictSink()
        report = await run([partner(url)], sink, checkpoints)
    assert (report.partners[0].records, report.partners[0].deleted) == (2, 1)
    assert sink.identifiers("north") == {"oai:d:1"}
