"""Harvest faults as whole-system tests: the real `fedcat harvest` CLI in a subprocess, real
OAI-PMH partners on loopback serving real MARC records, both real engines.

- kill -9 at seeded random moments, then resume: every document equals a clean run's;
- a partner sending garbage, answering too slowly or dropping connections: the others finish;
- the engine going away mid-harvest: a clean stop, checkpoints never ahead of the engine,
  and the next run catches up;
- a document the engine rejects: detected item by item, nothing checkpointed past it.

The equality runs use `--concurrency 1`: which record of a shared title arrives first decides
the work id, so only the same arrival order can give byte-identical documents.
"""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import pymarc
import pytest

from demo.oai_provider import FAULTS, REPOSITORY, ProviderRecord, make_app, marcxml, serve
from indexer.engine import EngineError, IndexDocument
from tests.fixtures.harvest_cli import (
    FEEDS,
    Installation,
    checkpoint_count,
    kill_9,
    partner_feed,
    wait_for_checkpoints,
    write_registry,
)
from tests.fixtures.oai_faults import _marc_file
from tests.fixtures.tcp_proxy import proxy_to

ENGINES = ("tantivy", "elasticsearch")
SEED = 20261125
PAGE_SIZE = 20
BATCH = 40
KILLS = 5
#: The same arrival order every run (see the module docstring), two pages per batch.
HARVEST = ("harvest", "--quiet", "--concurrency", "1", "--batch-size", str(BATCH))


# -- partners and installations ----------------------------------------------------------------
@pytest.fixture(scope="module")
def providers() -> Iterator[dict[str, tuple[str, object]]]:
    """The three partners' OAI-PMH servers: id -> (base URL, app)."""
    with ExitStack() as stack:
        running = {}
        for pid in FEEDS:
            app = make_app(partner_feed(pid), repository_name=pid, page_size=PAGE_SIZE)
            running[pid] = (stack.enter_context(serve(app)), app)
        yield running


@pytest.fixture
def partners(providers) -> dict[str, str]:
    """id -> base URL, with the servers well-behaved and their request logs empty."""
    for _, app in providers.values():
        app[FAULTS].delay = 0.0
        app[FAULTS].log.clear()
    return {pid: url for pid, (url, _) in providers.items()}


@pytest.fixture(params=ENGINES)
def engine_kind(request) -> str:
    if request.param == "elasticsearch":
        request.getfixturevalue("es_url")
    return request.param


class Installations:
    """Makes fresh installations (own data dir, own ES index) and removes their ES indices."""

    def __init__(self, root, engine: str, es_url: str):
        self.root, self.engine, self.es_url = root, engine, es_url
        self.made: list[Installation] = []

    def new(self, name: str, urls: dict[str, str], **options: str) -> Installation:
        directory = self.root / name
        directory.mkdir(parents=True)
        installation = Installation(
            directory / "data",
            self.engine,
            write_registry(directory / "partners.toml", urls),
            es_url=options.get("es_url", self.es_url),
            es_index=f"fedcat-test-harvest-{name}-{uuid.uuid4().hex[:8]}",
        )
        self.made.append(installation)
        return installation

    def remove_indices(self) -> None:
        if self.engine != "elasticsearch":
            return
        from elasticsearch import Elasticsearch

        client = Elasticsearch(self.es_url)
        for installation in self.made:
            client.indices.delete(index=installation.es_index, ignore_unavailable=True)
        client.close()


@pytest.fixture
def installations(engine_kind, tmp_path, request) -> Iterator[Installations]:
    es_url = request.getfixturevalue("es_url") if engine_kind == "elasticsearch" else ""
    made = Installations(tmp_path, engine_kind, es_url)
    yield made
    made.remove_indices()


@pytest.fixture(scope="module")
def clean_runs(providers, tmp_path_factory) -> Iterator[dict]:
    """engine kind -> every document of one clean, uninterrupted harvest (made once)."""
    cache: dict[str, dict[str, dict]] = {}
    makers: list[Installations] = []

    def documents(engine: str, es_url: str) -> dict[str, dict]:
        if engine not in cache:
            made = Installations(tmp_path_factory.mktemp(f"clean-{engine}"), engine, es_url)
            makers.append(made)
            clean = made.new("clean", {pid: url for pid, (url, _) in providers.items()})
            status, output = clean.run(*HARVEST)
            assert status == 0, output
            cache[engine] = clean.documents()
            assert cache[engine] == clean.store_documents()
        return cache[engine]

    yield documents
    for made in makers:
        made.remove_indices()


def clean_documents(clean_runs, installations: Installations) -> dict[str, dict]:
    return clean_runs(installations.engine, installations.es_url)


def assert_same_documents(actual: dict[str, dict], expected: dict[str, dict]) -> None:
    assert sorted(actual) == sorted(expected)
    for work_id, payload in expected.items():
        assert actual[work_id] == payload, work_id


def status_rows(installation: Installation) -> dict[str, dict]:
    status, output = installation.run("status", "--json")
    assert status == 0, output
    return {row["partner_id"]: row for row in json.loads(output)}


def assert_no_traceback(output: str) -> None:
    assert "Traceback" not in output, output


# -- 1. kill -9 at random moments ---------------------------------------------------------
def test_kill_9_at_random_moments_then_resume_gives_the_documents_of_a_clean_run(
    providers, partners, installations, clean_runs
):
    expected = clean_documents(clean_runs, installations)
    killed = installations.new("killed", partners)
    total = sum(len(app[REPOSITORY]._records) for _, app in providers.values())
    for _, app in providers.values():
        app[FAULTS].delay = 0.05  # each page a little late, so kills land mid-run
    rng = random.Random(SEED)
    span = (total - 3 * BATCH) // KILLS  # the last kill leaves 3 batches, more than 0.25 s
    targets = [n * span + rng.randrange(1, span) for n in range(KILLS)]
    # where each kill landed: pages of the next batch fetched since the last checkpoint
    # (0: between batches, 1: mid-batch, BATCH // PAGE_SIZE: the batch was being applied)
    landed: list[int] = []
    engine_ahead = 0
    for target in targets:
        process = killed.start(*HARVEST)
        wait_for_checkpoints(killed, process, target)
        landed.append(_pages_after_a_moment(killed, providers, rng.uniform(0.0, 0.25)))
        assert process.poll() is None, "the run finished before the kill"
        kill_9(process)
        # documents for works the store does not have: killed between the engine's commit
        # and the store's (the next run re-applies that batch)
        engine_ahead += killed.document_count() > len(set(killed.stored().values()))
    assert checkpoint_count(killed) < total

    status, output = killed.run(*HARVEST)
    assert status == 0, output
    actual = killed.documents()
    assert_same_documents(actual, expected)
    assert actual == killed.store_documents()
    rows = status_rows(killed)
    assert {pid: (r["records"], r["run_in_progress"]) for pid, r in rows.items()} == {
        pid: (len(partner_feed(pid)), None) for pid in FEEDS
    }
    print(
        f"\n[{installations.engine}] {KILLS} kills survived, pages of the batch in progress "
        f"at each kill: {landed}; {engine_ahead} left the engine ahead of the store; "
        f"{len(actual)} documents compared with a clean run ({total} records)"
    )


def _pages_after_a_moment(installation: Installation, providers, seconds: float) -> int:
    """Wait `seconds`, watching; then how many list pages were fetched since the last
    checkpoint."""
    checkpoints, pages = checkpoint_count(installation), _list_requests(providers)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.005)
        if (now := checkpoint_count(installation)) != checkpoints:
            checkpoints, pages = now, _list_requests(providers)
    return _list_requests(providers) - pages


def _list_requests(providers) -> int:
    """ListRecords pages the partners have answered so far."""
    logs = [app[FAULTS].log for _, app in providers.values()]
    return sum(1 for log in logs for _, args, _, _ in log if args.get("verb") == "ListRecords")


# -- 2. one partner misbehaving ----------------------------------------------------------------
@pytest.fixture
def bad_partners() -> Iterator[dict[str, str]]:
    """Three partners serving east's records badly: garbage from page 2 on (truncated XML on
    every try), answers slower than the harvest's timeout, connections cut halfway."""
    faults = {
        "garbage": {"page_faults": {2: ["truncated"] * 100}},
        "slow": {"delay": 2.0},
        "dropping": {"drops": 10**6},
    }
    with ExitStack() as stack:
        urls = {}
        for pid, settings in faults.items():
            app = make_app(partner_feed("east"), repository_name=pid, page_size=PAGE_SIZE)
            for name, value in settings.items():
                setattr(app[FAULTS], name, value)
            urls[pid] = stack.enter_context(serve(app))
        yield urls


def test_a_partner_sending_garbage_slow_answers_or_cut_connections_fails_alone(
    partners, bad_partners, installations
):
    good = {pid: partners[pid] for pid in ("north", "south")}
    installation = installations.new("faults", {**good, **bad_partners})
    status, output = installation.run(
        "harvest", "--quiet", "--concurrency", "5", "--batch-size", str(BATCH), "--timeout", "0.5"
    )
    assert status == 1, output
    assert_no_traceback(output)
    assert "garbage: truncated response" in output
    assert "slow: Identify failed after retries: TimeoutError" in output
    assert "dropping: Identify failed after retries" in output
    for pid in good:
        assert f"{pid}: {len(partner_feed(pid))} records" in output

    rows = status_rows(installation)
    for pid in good:
        row = rows[pid]
        assert (row["records"], row["last_error"], row["run_in_progress"]) == (
            len(partner_feed(pid)),
            None,
            None,
        )
        assert row["last_success"]
    for pid in bad_partners:
        row = rows[pid]
        assert row["last_error"] and row["run_in_progress"] and row["errors"] >= 1, row
        assert row["last_success"] is None
    status, table = installation.run("status")
    assert status == 0, table
    assert re.search(r"\ngarbage .*\n +unfinished run \S+: truncated response", table), table

    stored = installation.stored()
    for pid in good:
        assert {i for p, i in stored if p == pid} == {r.identifier for r in partner_feed(pid)}
    assert {p for p, _ in stored} <= set(good) | {"garbage"}
    assert installation.documents() == installation.store_documents()


# -- 3. the engine going away ------------------------------------------------------------------
def test_elasticsearch_going_away_mid_harvest_stops_cleanly_and_the_next_run_catches_up(
    providers, partners, installations, clean_runs
):
    if installations.engine != "elasticsearch":
        pytest.skip(
            "engine away mid-harvest: tantivy is embedded in the harvest process and cannot go "
            "away while it runs (an unwritable index directory is ignored by root in CI); "
            "see test_a_locked_tantivy_index_stops_the_run_and_the_next_run_catches_up"
        )
    expected = clean_documents(clean_runs, installations)
    for _, app in providers.values():
        app[FAULTS].delay = 0.03
    with proxy_to(installations.es_url) as proxy:
        installation = installations.new("away", partners, es_url=proxy.url)
        process = installation.start(*HARVEST)
        wait_for_checkpoints(installation, process, 3 * BATCH)
        proxy.cut()
        output = process.communicate(timeout=60)[0]
        assert process.returncode == 1, output
        assert_no_traceback(output)
        assert f"Elasticsearch at {proxy.url} is unreachable" in output

        # every checkpointed record is in the store and in a document the engine confirmed
        installation.es_url = installations.es_url  # read the index directly
        documents = installation.documents()
        stored = installation.stored()
        checkpointed = installation.checkpointed()
        assert 3 * BATCH <= len(checkpointed) < sum(len(partner_feed(p)) for p in FEEDS)
        for partner_id, identifier in checkpointed:
            work_id = stored[(partner_id, identifier)]
            held = {r["identifier"] for r in documents[work_id]["records"]}
            assert identifier in held
        rows = status_rows(installation)
        assert any(r["run_in_progress"] and r["last_error"] for r in rows.values()), rows

        proxy.restore()
        installation.es_url = proxy.url
        status, output = installation.run(*HARVEST)
        assert status == 0, output
    installation.es_url = installations.es_url
    assert_same_documents(installation.documents(), expected)


def test_a_locked_tantivy_index_stops_the_run_and_the_next_run_catches_up(
    partners, installations, clean_runs
):
    if installations.engine != "tantivy":
        pytest.skip("a writer lock is tantivy's; Elasticsearch has none (see the test above)")
    expected = clean_documents(clean_runs, installations)
    installation = installations.new("locked", partners)
    holder = installation.open_engine()
    holder.upsert([])  # takes the index writer's lock, as another fedcat process would
    status, output = installation.run(*HARVEST)
    assert status == 1, output
    assert_no_traceback(output)
    assert "is being written by another process" in output
    assert installation.checkpointed() == set()
    assert installation.stored() == {}
    holder.close()

    status, output = installation.run(*HARVEST)
    assert status == 0, output
    assert_same_documents(installation.documents(), expected)


# -- 4. a document the engine rejects ----------------------------------------------------------
def _with_immense_subject(record: ProviderRecord, source_index: int) -> ProviderRecord:
    """The same real record with a 40 000-byte subject heading: a keyword longer than
    Lucene's 32 766-byte term limit, which Elasticsearch rejects for that document alone."""
    marc = _marc_file("jazz_1k.mrc")[source_index]
    marc = pymarc.Record(leader=marc.leader, fields=list(marc.fields))
    marc.add_ordered_field(
        pymarc.Field(
            tag="650",
            indicators=[" ", "0"],
            subfields=[pymarc.Subfield("a", "Jazz " * 8000)],
        )
    )
    return ProviderRecord(
        record.identifier, record.datestamp, record.sets, {"marc21": marcxml(marc)}
    )


def test_a_document_elasticsearch_rejects_rolls_back_its_batch_and_is_retried(installations):
    if installations.engine != "elasticsearch":
        pytest.skip(
            "per-item bulk results are Elasticsearch's; tantivy commits a batch with one "
            "writer, all or nothing, and accepts keywords up to 65 530 bytes"
        )
    feed = partner_feed("north")[:60]
    bad = 30  # in the second batch of 20
    feed[bad] = _with_immense_subject(feed[bad], bad)
    app = make_app(feed, repository_name="north", page_size=10)
    with serve(app) as url:
        installation = installations.new("rejected", {"north": url})
        harvest = ("harvest", "--quiet", "--batch-size", "20")
        status, output = installation.run(*harvest)
        assert status == 1, output
        assert_no_traceback(output)
        assert "Elasticsearch rejected 1 documents (e.g. w" in output
        assert "failed to parse field [subject_facet]" in output
        # the rejected batch rolled back: the store, the checkpoint and the engine stop at
        # the batch before it
        first_batch = {("north", r.identifier) for r in feed[:20]}
        assert installation.checkpointed() == first_batch
        assert set(installation.stored()) == first_batch
        assert installation.documents() == installation.store_documents()
        token_requests = [a for _, a, _, _ in app[FAULTS].log if "resumptionToken" in a]

        status, output = installation.run(*harvest)  # retried, and rejected again
        assert status == 1 and "[subject_facet]" in output, output
        retried = [a for _, a, _, _ in app[FAULTS].log if "resumptionToken" in a]
        assert retried[len(token_requests)] == token_requests[1]  # the batch's first page
        assert installation.checkpointed() == first_batch

        app[REPOSITORY].put(partner_feed("north")[bad])  # the partner repairs the record
        status, output = installation.run(*harvest)
        assert status == 0, output
    assert set(installation.stored()) == {("north", r.identifier) for r in feed}
    assert installation.documents() == installation.store_documents()


def test_bulk_results_are_checked_item_by_item_across_chunks(installations):
    """More actions than one bulk request carries: a failure in one chunk must neither hide
    another chunk's failure nor stop the later chunks from being sent."""
    if installations.engine != "elasticsearch":
        pytest.skip("bulk requests and their per-item results are Elasticsearch's")
    engine = installations.new("bulk", {}).open_engine()
    documents = [
        IndexDocument(f"w{n:04d}", {"title": ["jazz"]}, sort_title=f"t{n}") for n in range(1200)
    ]
    engine.upsert(documents)
    engine.commit()
    assert engine.count() == 1200
    engine.delete(["w-never-indexed", *(d.work_id for d in documents)])  # a 404 in chunk 1
    engine.commit()
    assert engine.count() == 0

    documents[1100].keywords["subject_facet"] = ["Jazz " * 8000]
    with pytest.raises(EngineError, match=r"rejected 1 documents \(e\.g\. w1100\)"):
        engine.upsert(documents)
    engine.close()
