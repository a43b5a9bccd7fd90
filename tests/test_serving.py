"""`fedcat serve` as an operator runs it: gunicorn by default (workers and threads from the
settings, a graceful stop on SIGTERM), the development server only with --dev; and every 405
says which methods the URL allows. The real command in a subprocess, real HTTP on loopback."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import REPO_ROOT, from_environment
from fedcat.serving import AnonymousAccessLog, gunicorn_options
from tests.fixtures.live import free_port
from tests.test_privacy import seed_index, wait_until_serving


def request(port: int, method: str, target: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, target)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


class Server:
    def __init__(self, process: subprocess.Popen, port: int, log: Path):
        self.process, self.port, self.log = process, port, log

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def start(tmp_path) -> Iterator:
    seed_index(tmp_path)
    started: list[Server] = []

    def run(*args: str, **env: str) -> Server:
        port = free_port()
        log = tmp_path / f"serve-{port}.log"
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *sys.path]),
            "FEDCAT_DATA_DIR": str(tmp_path),
            **env,
        }
        with log.open("wb") as stream:
            process = subprocess.Popen(
                [sys.executable, "-m", "fedcat.cli", "serve", "--port", str(port), *args],
                cwd=REPO_ROOT,
                env=environment,
                stdout=stream,
                stderr=subprocess.STDOUT,
            )
        server = Server(process, port, log)
        started.append(server)
        wait_until_serving(process, port)
        return server

    yield run
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def assert_405_names_the_allowed_methods(port: int) -> None:
    for target in ("/api/v1/search?q=crime", "/"):
        for method in ("POST", "PUT", "DELETE"):
            response = request(port, method, target)
            assert response.status == 405, (method, target)
            allowed = {m.strip() for m in response.getheader("Allow", "").split(",")}
            assert allowed == {"GET", "HEAD", "OPTIONS"}, (method, target, allowed)


def test_fedcat_serve_runs_gunicorn_workers_and_stops_gracefully_on_sigterm(start):
    server = start(FEDCAT_WEB_WORKERS="3", FEDCAT_WEB_THREADS="2")
    response = request(server.port, "GET", "/api/v1/search?q=crime")
    assert response.status == 200
    assert response.getheader("Server", "").startswith("gunicorn")
    deadline = time.monotonic() + 30
    while len(children(server.process.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(children(server.process.pid)) == 3  # the workers, each with its own app
    statuses = {request(server.port, "GET", "/api/v1/health").status for _ in range(12)}
    assert statuses == {200}
    assert_405_names_the_allowed_methods(server.port)

    sent = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    assert time.monotonic() - sent < 25  # FEDCAT_WEB_GRACEFUL_TIMEOUT (20) and a margin
    output = server.output()
    assert "gunicorn, 3 workers" in output and "Traceback" not in output
    assert '"GET /api/v1/search" 200' in output and "q=crime" not in output


def test_fedcat_serve_dev_runs_the_development_server(start):
    server = start("--dev")
    response = request(server.port, "GET", "/api/v1/health")
    assert response.status == 200
    assert response.getheader("Server", "").startswith("Werkzeug")
    assert children(server.process.pid) == []  # one process
    assert_405_names_the_allowed_methods(server.port)
    server.process.send_signal(signal.SIGINT)
    server.process.wait(timeout=30)


def test_a_bad_server_setting_stops_fedcat_serve_with_its_name(tmp_path):
    environment = {**os.environ, "FEDCAT_DATA_DIR": str(tmp_path), "FEDCAT_WEB_WORKERS": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "fedcat.cli", "serve"],
        cwd=REPO_ROOT,
        env={**environment, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "FEDCAT_WEB_WORKERS='0': a whole number of processes from 1 to 64" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_server_settings_become_gunicorn_options():
    settings = from_environment(
        {
            "FEDCAT_WEB_WORKERS": "5",
            "FEDCAT_WEB_THREADS": "8",
            "FEDCAT_WEB_TIMEOUT": "45",
            "FEDCAT_WEB_GRACEFUL_TIMEOUT": "7",
        }
    )
    options = gunicorn_options(settings, "::1", 8080)
    assert options["bind"] == ["[::1]:8080"]
    assert (options["workers"], options["threads"], options["worker_class"]) == (5, 8, "gthread")
    assert (options["timeout"], options["graceful_timeout"]) == (45, 7)
    assert options["logger_class"] is AnonymousAccessLog
    full = gunicorn_options(from_environment({"FEDCAT_ACCESS_LOG": "full"}), "0.0.0.0", 80)
    assert "logger_class" not in full and full["accesslog"] == "-"
    assert (
        gunicorn_options(from_environment({"FEDCAT_ACCESS_LOG": "off"}), "h", 1)["accesslog"]
        is None
    )
