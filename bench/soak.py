"""Soak: minutes of mixed traffic against a gunicorn `fedcat serve`, and how the server holds up.

    python -m bench.soak --minutes 30 [--engine tantivy|elasticsearch] [--database sqlite|postgres]

A synthetic catalogue (bench/provider.py, in its own process) is harvested once by `fedcat
harvest`; then `fedcat serve` (gunicorn, FEDCAT_WEB_WORKERS x FEDCAT_WEB_THREADS) answers, all
on 127.0.0.1, for the whole run:

- searches: the JSON API (`/api/v1/search`) and the search page (`/?q=`), a few clients;
- ILL traffic through the ILL API: place (`POST /api/v1/ill/requests`), then the lender ships
  (the lender's staff step, done here through the same request store: the ILL API speaks for
  the borrowing library only), then `Received` and `Cancel`-or-follow via the API;
- every `--harvest-every` seconds an incremental `fedcat harvest`, and every `--reindex-every`
  seconds a `fedcat reindex`, while the searches go on.

It prints (and writes as JSON) per minute: requests, 5xx, other errors, p95 latency; and every
`--sample` seconds: RSS (MiB) and open file descriptors of the gunicorn processes (master and
workers), and lock waits: on PostgreSQL the number of ungranted `pg_locks`; on SQLite the
time taken to get the write lock (`BEGIN IMMEDIATE`) and the `database is locked` lines in
the server's log. Target: 0 5xx, flat RSS and fds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.provider import provider_process  # noqa: E402

WORDS = ("history", "music", "river", "city", "science", "poems", "war", "letters", "art",
         "china", "law", "sea", "garden", "light", "journal")  # fmt: skip
PATRON = "SOAK-1"
CHEAP_PASSWORD_COST = "1,8,1"  # accounts made for the benchmark only


@dataclass
class Tally:
    """Every answer's (minute, seconds, status): the per-minute figures come from these."""

    started: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: list[tuple[int, float, int, str]] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def minute(self) -> int:
        return int((time.monotonic() - self.started) // 60)

    def add(self, seconds: float, status: int, kind: str) -> None:
        with self.lock:
            self.answers.append((self.minute(), seconds, status, kind))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def partners_toml(urls: dict[str, str]) -> str:
    return "".join(
        f'[[partner]]\nid = "{lib}"\nname = "{lib.title()}"\nbase_url = "{url}"\n'
        'metadata_prefix = "marc21"\n\n'
        for lib, url in urls.items()
    )


def fedcat(env: dict[str, str], *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run the `fedcat` command (this checkout's) with `env`."""
    command = [sys.executable, "-c", "from fedcat.cli import main; main()", *args]
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


@contextmanager
def gunicorn(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen]:
    """`fedcat serve` on `port` until the block ends; its stderr goes to `log`."""
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-c", "from fedcat.cli import main; main()", "serve", "--port",
             str(port)], env=env, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    connection.request("GET", "/api/v1/health")
                    if connection.getresponse().status in (200, 503):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"fedcat serve did not come up; see {log}") from None
                    time.sleep(0.3)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Client:
    """One kept-alive loopback connection that times each answer into the tally."""

    def __init__(self, port: int, tally: Tally):
        self.port, self.tally = port, tally
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, kind: str, method: str, path: str, body: Any = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:  # fmt: skip
        data = json.dumps(body) if body is not None else None
        sent = {**(headers or {}), **({"Content-Type": "application/json"} if data else {})}
        started = time.perf_counter()
        try:
            self.connection.request(method, path, data, sent)
            answer = self.connection.getresponse()
            raw = answer.read()
        except (OSError, http.client.HTTPException):
            self.tally.add(time.perf_counter() - started, 0, kind)  # 0: no answer at all
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return 0, None
        self.tally.add(time.perf_counter() - started, answer.status, kind)
        if answer.getheader("Content-Type", "").startswith("application/json"):
            return answer.status, json.loads(raw or b"null")
        return answer.status, raw


def searcher(port: int, tally: Tally, stop: threading.Event, seed: int, page: bool) -> None:
    rng = random.Random(seed)
    client = Client(port, tally)
    while not stop.is_set():
        query = {"q": " ".join(rng.sample(WORDS, rng.choice((1, 1, 2))))}
        if rng.random() < 0.3:
            query["sort"] = "year_desc"
        if page:
            client.call("page", "GET", "/?" + urllib.parse.urlencode(query))
        else:
            client.call("api_search", "GET", "/api/v1/search?" + urllib.parse.urlencode(query))
        time.sleep(rng.uniform(0.0, 0.05))


def ill_traffic(port: int, tally: Tally, stop: threading.Event, seed: int, ill: Any,
                tokens: dict[str, str]) -> None:  # fmt: skip
    """Place → the lender ships → Received, one request after another, a random library each."""
    from ill.model import Actor
    from ill.states import Action, Role

    rng = random.Random(seed)
    client = Client(port, tally)
    base = "/api/v1/ill/requests"
    while not stop.is_set():
        library = rng.choice(sorted(tokens))
        headers = {"Authorization": f"Bearer {tokens[library]}"}
        status, found = client.call("api_search", "GET", "/api/v1/search?q=" + rng.choice(WORDS))
        if status != 200 or not found.get("results"):
            time.sleep(0.2)
            continue
        work_id = rng.choice(found["results"])["id"]
        body = {"patron": PATRON, "work_id": work_id, "pickup": "Main desk"}
        status, placed = client.call("ill_place", "POST", base, body, headers)
        if status != 201:
            time.sleep(0.05)
            continue
        lender = placed.get("lender")
        request_id = placed["id"]
        if lender:
            try:
                ill.act(request_id, Actor("soak", Role.lender, lender), Action.Shipped)
            except Exception as error:  # a refusal is not a server error: count and go on
                tally.events.append({"minute": tally.minute(), "ship_refused": str(error)[:80]})
                continue
            client.call("ill_act", "POST", f"{base}/{request_id}/actions",
                        {"action": "Received"}, headers)  # fmt: skip
        client.call("ill_status", "GET", f"{base}/{request_id}", headers=headers)
        if rng.random() < 0.5:
            client.call("ill_list", "GET", f"{base}?patron={PATRON}", headers=headers)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def process_figures(pid: int) -> tuple[float, int]:
    """RSS (MiB) and open file descriptors of `pid` and its children, summed."""
    rss_kib, fds = 0, 0
    for one in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss_kib += int(line.split()[1])
            fds += len(os.listdir(f"/proc/{one}/fd"))
        except OSError:
            pass
    return rss_kib / 1024, fds


def lock_figures(database: str, log: Path) -> dict[str, Any]:
    """Lock waits now: ungranted pg_locks, or seconds to the SQLite write lock and the server
    log's `database is locked` lines so far."""
    if database.startswith("postgresql"):
        import sqlalchemy as sa

        engine = sa.create_engine(database, poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            waiting = connection.execute(
                sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted")
            ).scalar_one()
        engine.dispose()
        return {"pg_lock_waits": int(waiting)}
    started = time.perf_counter()
    connection = sqlite3.connect(database, timeout=30)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.rollback()
        wait = time.perf_counter() - started
    except sqlite3.OperationalError:
        wait = -1.0
    finally:
        connection.close()
    locked = log.read_text(errors="replace").count("database is locked")
    return {"sqlite_write_lock_wait_ms": round(wait * 1000, 1), "database_is_locked": locked}


def sampler(pid: int, database: str, log: Path, tally: Tally, stop: threading.Event,
            every: float) -> None:  # fmt: skip
    while not stop.wait(every):
        rss, fds = process_figures(pid)
        sample = {"second": round(time.monotonic() - tally.started), "rss_mib": round(rss, 1),
                  "fds": fds, **lock_figures(database, log)}  # fmt: skip
        tally.samples.append(sample)


def maintenance(env: dict[str, str], tally: Tally, stop: threading.Event, harvest_every: float,
                reindex_every: float) -> None:  # fmt: skip
    """Incremental harvests and reindexes on their schedule, while the traffic goes on."""
    next_harvest, next_reindex = harvest_every, reindex_every
    while not stop.wait(1):
        now = time.monotonic() - tally.started
        for name, due, args in (("harvest", next_harvest, ("harvest", "--quiet")),
                                ("reindex", next_reindex, ("reindex",))):  # fmt: skip
            if now < due:
                continue
            started = time.monotonic()
            done = fedcat(env, *args)
            tally.events.append({"minute": tally.minute(), name: done.returncode,
                                 "seconds": round(time.monotonic() - started, 1)})  # fmt: skip
            if name == "harvest":
                next_harvest = now + harvest_every
            else:
                next_reindex = now + reindex_every


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] if ordered else 0.0


def summary(tally: Tally) -> dict[str, Any]:
    per_minute: dict[int, list[tuple[float, int]]] = defaultdict(list)
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for minute, seconds, status, kind in tally.answers:
        per_minute[minute].append((seconds, status))
        kinds[kind][str(status)] += 1
    minutes = [
        {"minute": m, "requests": len(rows), "5xx": sum(1 for _, s in rows if s >= 500),
         "no_answer": sum(1 for _, s in rows if s == 0),
         "p95_ms": round(p95([t for t, _ in rows]) * 1000, 1)}
        for m, rows in sorted(per_minute.items())
    ]  # fmt: skip
    statuses = [s for *_, s, _ in tally.answers]
    return {
        "requests": len(statuses),
        "5xx": sum(1 for s in statuses if s >= 500),
        "no_answer": statuses.count(0),
        "p95_ms": round(p95([t for _, t, _, _ in tally.answers]) * 1000, 1),
        "statuses_by_kind": {k: dict(v) for k, v in kinds.items()},
        "per_minute": minutes,
        "samples": tally.samples,
        "events": tally.events,
    }


def environment(data_dir: Path, engine: str, database: str, partners: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "FEDCAT_DATA_DIR": str(data_dir),
        "FEDCAT_ENGINE": engine,
        "FEDCAT_ES_INDEX": f"fedcat-soak-{os.getpid()}",
        "FEDCAT_DATABASE": database,
        "FEDCAT_PARTNERS": str(partners),
        "FEDCAT_RATE_LIMIT": "off",  # every client is 127.0.0.1
        "FEDCAT_ACCESS_LOG": "off",
        "FEDCAT_PASSWORD_COST": CHEAP_PASSWORD_COST,
        "FEDCAT_SECRET_KEY": "soak-only-secret",
    }


def accounts_and_ill(env: dict[str, str], libraries: list[str]) -> tuple[Any, dict[str, str]]:
    """A patron and an API token at each library; the ILL service the lender ships with."""
    from config.settings import from_environment
    from search_ui.app import create_app

    app = create_app(from_environment(env), partners=[])
    shared = app.extensions["fedcat"]
    tokens = {}
    for library in libraries:
        shared.accounts.add_patron(library, PATRON, "Soak Patron", pin="2468")
        tokens[library] = shared.accounts.create_token(library, "soak").secret
    return shared.ill, tokens


def run(minutes: float, engine: str, database_kind: str, works: int, libraries: int,
        clients: int, sample: float, harvest_every: float,
        reindex_every: float) -> dict[str, Any]:  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, provider_process(works, libraries, 1) as feed:
        data_dir, log = Path(tmp) / "data", Path(tmp) / "serve.log"
        data_dir.mkdir()
        partners = Path(tmp) / "partners.toml"
        partners.write_text(partners_toml(feed["urls"]))
        database = str(data_dir / "ill.sqlite")
        if database_kind == "postgres":
            database = os.environ.get(
                "FEDCAT_PG_URL", "postgresql://postgres@127.0.0.1:55432/fedcat_test"
            )
        env = environment(data_dir, engine, database, partners)
        first = fedcat(env, "harvest", "--quiet")
        if first.returncode != 0:
            raise RuntimeError(f"the first harvest failed: {first.stderr[-2000:]}")
        ill, tokens = accounts_and_ill(env, sorted(feed["urls"]))
        port = _free_port()
        tally = Tally()
        with gunicorn(env, port, log) as server:
            tally.started = time.monotonic()
            stop = threading.Event()
            threads = [threading.Thread(target=sampler, args=(server.pid, database, log, tally,
                                                              stop, sample))]  # fmt: skip
            threads.append(threading.Thread(target=maintenance, args=(env, tally, stop,
                           harvest_every, reindex_every)))  # fmt: skip
            for number in range(clients):
                threads.append(threading.Thread(target=searcher, args=(port, tally, stop,
                               number, number % 3 == 2)))  # fmt: skip
            threads.append(threading.Thread(target=ill_traffic, args=(port, tally, stop, 99,
                                                                      ill, tokens)))  # fmt: skip
            for thread in threads:
                thread.start()
            time.sleep(minutes * 60)
            stop.set()
            for thread in threads:
                thread.join(timeout=600)
            result = summary(tally)
        result.update(engine=engine, database=database_kind, minutes=minutes, works=works,
                      records=feed["records"],
                      server_log_tail=log.read_text(errors="replace")[-3000:])  # fmt: skip
        return result


def print_table(result: dict[str, Any], every: int = 5) -> None:
    """Per `every` minutes: requests, 5xx, p95, and the last sample of RSS, fds and locks."""
    print(f"requests {result['requests']}  5xx {result['5xx']}  no answer {result['no_answer']}  "
          f"p95 {result['p95_ms']} ms")  # fmt: skip
    print("| minutes | requests | 5xx | p95 ms (worst minute) | RSS MiB | fds | lock waits |")
    print("|---|---|---|---|---|---|---|")
    rows = result["per_minute"]
    for start in range(0, max(1, len(rows)), every):
        block = [r for r in rows if start <= r["minute"] < start + every]
        if not block:
            continue
        samples = [s for s in result["samples"] if start * 60 <= s["second"] < (start + every) * 60]
        last = samples[-1] if samples else {}
        locks = {k: v for k, v in last.items() if k not in ("second", "rss_mib", "fds")}
        print(f"| {start}–{start + every} | {sum(r['requests'] for r in block)} | "
              f"{sum(r['5xx'] for r in block)} | {max(r['p95_ms'] for r in block)} | "
              f"{last.get('rss_mib', '-')} | {last.get('fds', '-')} | {locks} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--engine", choices=("tantivy", "elasticsearch"), default="tantivy")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--works", type=int, default=3000)
    parser.add_argument("--libraries", type=int, default=3)
    parser.add_argument(
        "--clients", type=int, default=4, help="search clients (every third: pages)"
    )
    parser.add_argument("--sample", type=float, default=10, help="seconds between samples")
    parser.add_argument("--harvest-every", type=float, default=300, help="seconds")
    parser.add_argument("--reindex-every", type=float, default=600, help="seconds")
    parser.add_argument("--json", type=Path, help="write the full result here")
    args = parser.parse_args()
    result = run(args.minutes, args.engine, args.database, args.works, args.libraries,
                 args.clients, args.sample, args.harvest_every, args.reindex_every)  # fmt: skip
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))
    print_table(result)
    print("events:", json.dumps(result["events"]))


if __name__ == "__main__":
    main()
