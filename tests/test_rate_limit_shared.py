"""The rate limit shared through Redis (FEDCAT_RATE_LIMIT_STORE, issue 18): two real `fedcat
serve` servers (gunicorn, as two web hosts would run it) count one client in one budget in a
real Redis server started on a free loopback port; without the store each counts alone; Redis
going away fails open to each process counting alone (served, never a 500, logged once); the
store holds no client address in clear."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import REPO_ROOT, SettingsError, from_environment
from tests.fixtures.live import free_port
from tests.test_privacy import seed_index, wait_until_serving
from tests.test_serving import request

LIMIT = 6
FALLBACK_LOG = "Rate limit storage unreachable"


class RedisServer:
    """A redis-server of the test's own: loopback, a free port, no persistence."""

    def __init__(self, directory: Path):
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server is not installed: run .ci/setup-tools.sh")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(directory)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        self.client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                self.client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        pytest.fail("redis-server did not answer")

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def serve(tmp_path) -> Iterator:
    """Start `fedcat serve` (one gunicorn worker) on the data directory; returns (port, log)."""
    seed_index(tmp_path)
    started: list[subprocess.Popen] = []

    def run(**env: str) -> tuple[int, Path]:
        port = free_port()
        log = tmp_path / f"serve-{port}.log"
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *sys.path]),
            "FEDCAT_DATA_DIR": str(tmp_path),
            "FEDCAT_RATE_LIMIT": f"{LIMIT}/minute",
            "FEDCAT_WEB_WORKERS": "1",
            **env,
        }
        with log.open("wb") as stream:
            process = subprocess.Popen(
                [sys.executable, "-m", "fedcat.cli", "serve", "--port", str(port)],
                cwd=REPO_ROOT,
                env=environment,
                stdout=stream,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        wait_until_serving(process, port)
        return port, log

    yield run
    for process in started:
        process.terminate()
        process.wait(30)


def statuses(port: int, count: int) -> list[int]:
    return [request(port, "GET", "/api/v1/search?q=crime").status for _ in range(count)]


def test_two_servers_sharing_redis_count_one_budget_per_client(serve, redis_server):
    first, _ = serve(FEDCAT_RATE_LIMIT_STORE=redis_server.url)
    second, _ = serve(FEDCAT_RATE_LIMIT_STORE=redis_server.url)
    assert statuses(first, LIMIT // 2) == [200] * (LIMIT // 2)
    assert statuses(second, LIMIT // 2) == [200] * (LIMIT // 2)
    assert statuses(first, 1) == [429]
    assert statuses(second, 1) == [429]
    keys = [key.decode() for key in redis_server.client.keys("*")]
    assert keys and all(key.startswith("LIMITS:LIMITER/fedcat/") for key in keys)
    assert not any("127.0.0.1" in key for key in keys)  # the address only as a keyed hash


def test_without_the_store_each_server_counts_alone(serve):
    first, _ = serve()
    second, _ = serve()
    assert statuses(first, LIMIT) == [200] * LIMIT
    assert statuses(second, LIMIT) == [200] * LIMIT
    assert statuses(first, 1) == [429]


def test_redis_going_away_fails_open_to_counting_per_process_and_logs_once(serve, redis_server):
    port, log = serve(FEDCAT_RATE_LIMIT_STORE=redis_server.url)
    assert statuses(port, 2) == [200, 200]
    redis_server.stop()
    assert statuses(port, LIMIT) == [200] * LIMIT  # served: the process's own count starts
    assert statuses(port, 1) == [429]  # ... and still brakes a hammering client
    output = log.read_text(errors="replace")
    assert output.count(FALLBACK_LOG) == 1
    assert "Traceback" not in output and " 500 " not in output


def test_a_rate_limit_store_that_is_not_a_redis_url_is_refused():
    with pytest.raises(SettingsError, match="FEDCAT_RATE_LIMIT_STORE='memcached://x'"):
        from_environment({"FEDCAT_RATE_LIMIT_STORE": "memcached://x"})
    assert from_environment({"FEDCAT_RATE_LIMIT_STORE": "memory"}).rate_limit_store == ""
