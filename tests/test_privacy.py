"""No patron data in the logs: the real `fedcat serve` process, real requests from a client
address of our choosing, and everything the process printed searched for that address and the
query. The opt-in full log is checked too, so the test shows it would see them."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from config.settings import REPO_ROOT
from indexer.catalog import Catalog, open_state
from indexer.tantivy_engine import TantivyEngine
from tests.fixtures.builders import record
from tests.fixtures.live import free_port

#: The patron's address: another loopback address than the server's, so the server's own
#: "running on 127.0.0.1" banner cannot be mistaken for it.
PATRON_ADDRESS = "127.0.0.2"
SECRET_QUERY = "zanzibarpatronquery"
SECRET_ISBN = "9781234567897"


def seed_index(data_dir: Path) -> None:
    engine = TantivyEngine(data_dir / "tantivy")
    db = open_state(data_dir / "fedcat.sqlite")
    Catalog(db, engine, {"north": "North City Library"}).add_records(
        [record("north", "n1", "Crime and punishment", author="Dostoyevsky")]
    )
    engine.close()
    db.close()


def patron_get(port: int, target: str) -> int:
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30, source_address=(PATRON_ADDRESS, 0)
    )
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def patron_raw(port: int, request_line: bytes) -> None:
    """A malformed request: http.server answers it itself and logs it."""
    with socket.create_connection(("127.0.0.1", port), source_address=(PATRON_ADDRESS, 0)) as s:
        s.sendall(request_line + b"\r\n\r\n")
        s.recv(4096)


def wait_until_serving(server: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"fedcat serve exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("fedcat serve did not start listening")


def serve_and_search(tmp_path: Path, **env: str) -> tuple[str, list[int]]:
    """Run `fedcat serve`, make a patron's requests, stop it; its whole output and statuses."""
    port = free_port()
    log_file = tmp_path / "serve.log"
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *sys.path]),
        "FEDCAT_DATA_DIR": str(tmp_path),
        "FEDCAT_RATE_LIMIT": "6/minute",
        "FEDCAT_WEB_WORKERS": "1",  # one rate-limit budget, so the 429 path is taken
        **env,
    }
    with log_file.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "fedcat.cli", "serve", "--port", str(port)],
            cwd=REPO_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_serving(server, port)
            statuses = [
                patron_get(port, f"/api/v1/search?q={SECRET_QUERY}&library=north"),
                patron_get(port, f"/?q={SECRET_QUERY}+isbn:{SECRET_ISBN}"),
                patron_get(port, f"/api/v1/search?q=title:{SECRET_QUERY}&page=abc"),
                patron_get(port, f"/no/such/page?q={SECRET_QUERY}"),
                patron_get(port, "/static/widget.js"),
                *[patron_get(port, f"/api/v1/search?q={SECRET_QUERY}") for _ in range(6)],
            ]
            patron_raw(port, f"GET /?q={SECRET_QUERY} bad request line".encode())
            patron_raw(port, f"BREW /?q={SECRET_QUERY} HTTP/1.1".encode())
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return log_file.read_text(errors="replace"), statuses


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"FEDCAT_ACCESS_LOG": "off"},
        {"FEDCAT_ENGINE": "elasticsearch", "FEDCAT_ES_URL": "http://127.0.0.1:9"},
    ],
    ids=["tantivy", "log-off", "engine-down"],
)
def test_fedcat_serve_logs_no_client_address_and_no_query(tmp_path, env):
    seed_index(tmp_path)
    output, statuses = serve_and_search(tmp_path, **env)
    assert 429 in statuses  # the rate-limited path was taken too
    assert PATRON_ADDRESS not in output
    assert SECRET_QUERY not in output and SECRET_ISBN not in output
    if env.get("FEDCAT_ACCESS_LOG") == "off":
        assert "/api/v1/search" not in output
    else:
        assert '"GET /api/v1/search" 429' in output  # the log is on, only without patron data
    if "FEDCAT_ENGINE" in env:
        assert 503 in statuses and "search engine unavailable" in output


def test_full_access_log_is_an_opt_in_that_shows_addresses_and_queries(tmp_path):
    seed_index(tmp_path)
    output, statuses = serve_and_search(tmp_path, FEDCAT_ACCESS_LOG="full")
    assert statuses[0] == 200
    assert PATRON_ADDRESS in output and SECRET_QUERY in output
