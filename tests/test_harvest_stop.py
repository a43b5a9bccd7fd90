"""Stopping a harvest cleanly: SIGTERM (a service manager's stop) or SIGINT (Ctrl-C) sent to
the real `fedcat harvest` in a subprocess, mid-run, against slow OAI-PMH partners on loopback
serving real MARC records; both engines. The run finishes the batch in hand, saves the
checkpoint, writes its report marked interrupted and exits 128 + the signal's number within a
bounded time; `fedcat status` shows the unfinished run; the next run resumes where it stopped
and ends with the documents of an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from demo.oai_provider import FAULTS, make_app, serve
from tests.fixtures.harvest_cli import FEEDS, Installation, partner_feed, write_registry

PAGE_SIZE = 20
#: One batch holds a whole partner's feed, so nothing is checkpointed until the list ends,
#: unless a stop makes the run apply the pages in hand.
HARVEST = ("harvest", "--quiet", "--concurrency", "1", "--batch-size", "1000")
PAGE_DELAY = 0.2
#: What "a bounded time" means here: one page's delay and one small batch, with room for a
#: loaded 2-core machine.
STOP_WITHIN = 10.0


@pytest.fixture(scope="module")
def providers() -> Iterator[dict[str, object]]:
    with ExitStack() as stack:
        apps = {
            pid: make_app(partner_feed(pid), repository_name=pid, page_size=PAGE_SIZE)
            for pid in FEEDS
        }
        urls = {pid: stack.enter_context(serve(app)) for pid, app in apps.items()}
        yield {"urls": urls, "apps": apps}


def new_installation(root, engine: str, es_url: str, urls: dict[str, str]) -> Installation:
    root.mkdir(parents=True)
    return Installation(
        root / "data",
        engine,
        write_registry(root / "partners.toml", urls),
        es_url=es_url,
        es_index=f"fedcat-test-stop-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture(
    params=[("tantivy", "SIGTERM"), ("tantivy", "SIGINT"), ("elasticsearch", "SIGTERM")],
    ids=lambda p: "-".join(p),
)
def case(request, tmp_path, providers) -> Iterator[tuple[Installation, Installation, str]]:
    """(installation to interrupt, one for the uninterrupted run, the signal's name)."""
    engine, signal_name = request.param
    es_url = request.getfixturevalue("es_url") if engine == "elasticsearch" else ""
    made = [
        new_installation(tmp_path / name, engine, es_url, providers["urls"])
        for name in ("stopped", "clean")
    ]
    yield made[0], made[1], signal_name
    if es_url:
        from elasticsearch import Elasticsearch

        client = Elasticsearch(es_url)
        for installation in made:
            client.indices.delete(index=installation.es_index, ignore_unavailable=True)
        client.close()


def list_pages(app) -> list[dict]:
    return [a for _, a, _, _ in app[FAULTS].log if a.get("verb") == "ListRecords"]


def test_a_signal_mid_harvest_checkpoints_the_batch_in_hand_and_the_next_run_resumes(
    providers, case
):
    stopped, clean, signal_name = case
    apps = providers["apps"]
    for app in apps.values():
        app[FAULTS].delay = 0.0
    status, output = clean.run(*HARVEST)
    assert status == 0, output
    expected = clean.documents()

    for app in apps.values():
        app[FAULTS].delay = PAGE_DELAY
        app[FAULTS].log.clear()
    process = stopped.start(*HARVEST)
    deadline = time.monotonic() + 60
    while len(list_pages(apps["north"])) < 3:  # north's batch in hand: 3 pages or more
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "the harvest made no progress"
        time.sleep(0.01)
    assert stopped.checkpointed() == set()  # nothing applied yet: the batch is still in hand
    sent = time.monotonic()
    os.kill(process.pid, getattr(signal, signal_name))
    output = process.communicate(timeout=60)[0]
    took = time.monotonic() - sent
    fetched = len(list_pages(apps["north"]))

    assert process.returncode == 128 + getattr(signal, signal_name), output
    assert took < STOP_WITHIN, f"{took:.1f} s to stop"
    assert "Traceback" not in output, output
    assert f"interrupted by {signal_name} (every batch in hand was checkpointed" in output
    # the pages in hand were applied and checkpointed; the page being fetched was not
    checkpointed = stopped.checkpointed()
    assert {p for p, _ in checkpointed} == {"north"}
    assert 3 * PAGE_SIZE <= len(checkpointed) <= fetched * PAGE_SIZE < len(partner_feed("north"))
    assert len(checkpointed) % PAGE_SIZE == 0
    assert set(stopped.stored()) == checkpointed
    assert stopped.documents() == stopped.store_documents()

    report_path = re.search(r"report: (\S+\.json)", output).group(1)
    report = json.loads(open(report_path, encoding="utf-8").read())
    assert (report["interrupted"], report["ok"]) == (signal_name, False)
    north, *others = report["partners"]
    assert (north["interrupted"], north["records"]) == (True, len(checkpointed))
    assert [(p["partner_id"], p["mode"]) for p in others] == [
        ("south", "not started"),
        ("east", "not started"),
    ]
    status, table = stopped.run("status")
    assert status == 0, table
    assert re.search(
        rf"\nnorth .*\n +unfinished run {north['run_id']}: interrupted by {signal_name}", table
    ), table

    for app in apps.values():
        app[FAULTS].delay = 0.0
        app[FAULTS].log.clear()
    status, output = stopped.run(*HARVEST)
    assert status == 0, output
    first = list_pages(apps["north"])[0]
    assert "resumptionToken" in first  # resumed where it stopped, not from the start
    assert stopped.documents() == expected
    rows = json.loads(stopped.run("status", "--json")[1])
    assert {r["partner_id"]: (r["records"], r["run_in_progress"]) for r in rows} == {
        pid: (len(partner_feed(pid)), None) for pid in FEEDS
    }
    print(f"\n[{stopped.engine} {signal_name}] stopped in {took:.2f} s, {len(checkpointed)} kept")


def test_status_shows_a_run_that_ended_without_a_report(providers, tmp_path):
    installation = new_installation(tmp_path / "killed", "tantivy", "", providers["urls"])
    apps = providers["apps"]
    for app in apps.values():
        app[FAULTS].delay = PAGE_DELAY
    process = installation.start("harvest", "--quiet", "--batch-size", "20", "north")
    deadline = time.monotonic() + 60
    while not installation.checkpointed():
        assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    for app in apps.values():
        app[FAULTS].delay = 0.0
    status, table = installation.run("status")
    assert status == 0, table
    assert re.search(r"\nnorth .*\n +unfinished run \S+: no report \(ended abruptly", table), table
