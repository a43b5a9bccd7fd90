"""kill -9 in the middle of a harvest, then harvest again: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from demo.oai_provider import FAULTS, make_app, serve
from harvester.checkpoints import Checkpoints
from tests.fixtures.oai_faults import SqliteSink, marc_records

REPO = Path(__file__).resolve().parent.parent


def start_harvest(state_dir: Path, url: str) -> subprocess.Popen:
    state_dir.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.fixtures.oai_faults", str(state_dir), url],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def applied(state_dir: Path) -> int:
    try:
        with sqlite3.connect(state_dir / "sink.sqlite", timeout=5) as db:
            return db.execute("SELECT count(*) FROM records").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def kill_after(process: subprocess.Popen, state_dir: Path, records: int) -> None:
    deadline = time.monotonic() + 60
    while applied(state_dir) < records:
        assert process.poll() is None, process.stdout.read().decode()
        assert time.monotonic() < deadline, "the harvest made no progress"
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


@pytest.fixture
def slow_provider():
    """40 real records in pages of 5, every answer a little late."""
    app = make_app(marc_records(40), repository_name="Slow", page_size=5)
    app[FAULTS].delay = 0.05
    with serve(app) as url:
        yield url, app


def test_harvest_killed_twice_then_rerun_equals_an_uninterrupted_harvest(slow_provider, tmp_path):
    slow_provider, app = slow_provider
    reference = start_harvest(tmp_path / "reference", slow_provider)
    assert reference.wait(60) == 0, reference.stdout.read().decode()

    interrupted = tmp_path / "interrupted"
    kill_after(start_harvest(interrupted, slow_provider), interrupted, 7)
    first_kill = applied(interrupted)
    kill_after(start_harvest(interrupted, slow_provider), interrupted, 23)
    assert first_kill < applied(interrupted) < 40
    final = start_harvest(interrupted, slow_provider)
    output = final.communicate(timeout=60)[0].decode()
    assert final.returncode == 0, output
    fresh_lists = [a for _, a, _, _ in app[FAULTS].log if a.get("metadataPrefix")]
    assert len(fresh_lists) == 2  # the reference and the first interrupted run; others resumed

    expected = SqliteSink(tmp_path / "reference" / "sink.sqlite").contents()
    assert len(expected) == 40
    assert SqliteSink(interrupted / "sink.sqlite").contents() == expected
    status = Checkpoints(interrupted / "state.sqlite").status(["p0"])[0]
    assert (status.records, status.run_in_progress, status.last_error) == (40, None, None)
