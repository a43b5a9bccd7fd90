"""The settings table: read once into `Settings`, shown by `fedcat --help` and documented in
README.md and the operator guide with the same defaults; the CLI opens its engine from it."""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from config.settings import (
    BUNDLED_PARTNERS,
    REPO_ROOT,
    SETTINGS,
    Settings,
    SettingsError,
    from_environment,
    markdown_table,
)

#: A row of a settings table in the docs: | `FEDCAT_X` | `default` | ... |
DOC_ROW = re.compile(r"^\| `(FEDCAT_[A-Z_]+)` \| `([^`]*)` \|", re.MULTILINE)
DOCUMENTS = ("README.md", "docs/operator-guide.md")


def fedcat(*args: str, cwd: Path, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    """The real `fedcat` command of this checkout, in a subprocess with only `env` set."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("FEDCAT_")}
    environment.update(PYTHONPATH=os.pathsep.join([str(REPO_ROOT), *sys.path]), **env)
    return subprocess.run(
        [sys.executable, "-m", "fedcat.cli", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_every_settings_field_has_one_row_in_the_table():
    fields = [f.name for f in dataclasses.fields(Settings)]
    assert sorted(s.field for s in SETTINGS) == sorted(fields)
    assert len({s.env for s in SETTINGS}) == len(SETTINGS)


def test_the_table_defaults_are_the_settings_of_an_empty_environment():
    """Each row's default, read as the environment would give it, is what `Settings` holds
    when the variable is not set."""
    empty = from_environment({})
    for setting in SETTINGS:
        written = {setting.env: setting.default}
        assert from_environment(written) == empty, setting.env


def test_every_setting_is_in_fedcat_help_with_its_default(tmp_path):
    shown = fedcat("--help", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    for setting in SETTINGS:
        assert f"{setting.env}={setting.documented_default}\n" in shown.stdout, setting.env


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_setting_is_documented_with_its_default(document):
    text = (REPO_ROOT / document).read_text(encoding="utf-8")
    documented = dict(DOC_ROW.findall(text))
    assert documented == {s.env: s.documented_default for s in SETTINGS}, (
        f"{document}: paste the output of `fedcat settings --markdown`"
    )
    assert markdown_table() in text, f"{document}: paste the output of `fedcat settings --markdown`"


def test_fedcat_settings_shows_the_values_read_from_the_environment(tmp_path):
    shown = fedcat("settings", cwd=tmp_path, FEDCAT_ES_TIMEOUT="2.5", FEDCAT_RATE_LIMIT="off")
    assert shown.returncode == 0, shown.stderr
    lines = {line.split()[0]: line.split()[1] for line in shown.stdout.splitlines()}
    assert lines["FEDCAT_ES_TIMEOUT"] == "2.5"
    assert lines["FEDCAT_RATE_LIMIT"] == "off"
    assert lines["FEDCAT_ENGINE"] == "tantivy"
    assert sorted(lines) == sorted(s.env for s in SETTINGS)


def test_a_bad_setting_stops_fedcat_settings_with_the_variable_named(tmp_path):
    shown = fedcat("settings", cwd=tmp_path, FEDCAT_ACCESS_LOG="Loud")
    assert shown.returncode == 1
    assert "FEDCAT_ACCESS_LOG='loud': choose one of off, anonymous, full" in shown.stderr


def test_access_log_is_read_case_blind_and_unknown_engines_are_refused():
    assert from_environment({"FEDCAT_ACCESS_LOG": " FULL "}).access_log == "full"
    with pytest.raises(SettingsError, match="FEDCAT_ENGINE='Tantivy': choose one of tantivy"):
        from_environment({"FEDCAT_ENGINE": "Tantivy"})


# -- where the state lives ---------------------------------------------------------------------


def test_the_default_data_directory_is_data_in_the_working_directory():
    assert from_environment({}).data_dir == Path("data")
    assert from_environment({}).partners_file == BUNDLED_PARTNERS
    assert BUNDLED_PARTNERS.is_file()


def test_fedcat_keeps_its_state_under_data_of_the_directory_it_runs_in(tmp_path):
    """Not inside the installed package: a command run in a directory writes there."""
    done = fedcat("reindex", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "reindexed 0 works into tantivy"
    assert (tmp_path / "data" / "fedcat.sqlite").is_file()
    assert (tmp_path / "data" / "tantivy" / "meta.json").is_file()


# -- the CLI waits for Elasticsearch no longer than FEDCAT_ES_TIMEOUT ---------------------------


@contextmanager
def hung_server() -> Iterator[str]:
    """A real TCP server on loopback that accepts connections and never answers a byte."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def test_the_cli_gives_up_on_a_hung_elasticsearch_after_fedcat_es_timeout(tmp_path):
    """The default (10 s) would outlast the bound below: the CLI must use the setting."""
    timeout = 1.0
    with hung_server() as url:
        began = time.monotonic()
        done = fedcat(
            "reindex",
            cwd=tmp_path,
            FEDCAT_ENGINE="elasticsearch",
            FEDCAT_ES_URL=url,
            FEDCAT_ES_TIMEOUT=str(timeout),
        )
        waited = time.monotonic() - began
    assert done.returncode == 1, done.stdout
    assert f"Error: Elasticsearch at {url} is unreachable" in done.stderr
    assert "Traceback" not in done.stderr
    assert timeout <= waited < timeout + 6, waited
