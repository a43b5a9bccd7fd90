"""Place-request latency through the HTTP JSON API, as a partner's discovery layer calls it.

The real app (`search_ui.app.create_app`) over the benchmark's engine index and a request
store that already holds a year of history, served by werkzeug's threaded server on
127.0.0.1; one client on one kept-alive connection sends `POST /api/v1/ill/requests` with
the patron's library's API token, one request after another, and times each answer. Each
library has one patron account (made with a cheap argon2 cost: signing in is not timed, and
the API checks the token, a SHA-256, not the PIN). Only 201s are timed; refusals (the
patron's own library has the work on its shelf, or a second open request) are counted.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from config.settings import Settings
from ill.store import RequestStore
from indexer.engine import SearchEngine
from search_ui.app import create_app

CHEAP_PASSWORD_COST = (1, 8, 1)  # accounts made for the benchmark only


def store_location(store: RequestStore) -> str:
    """The FEDCAT_DATABASE value that opens the same database as `store`."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=False)


@contextmanager
def served(engine: SearchEngine, data_dir: Path, database: str) -> Iterator[tuple[Any, int]]:
    """The app on a free loopback port, in a thread; yields (its shared state, the port)."""
    settings = Settings(data_dir=data_dir, rate_limit=None, database=database,
                        password_cost=CHEAP_PASSWORD_COST, access_log="off")  # fmt: skip
    app = create_app(settings, engine=engine, partners=[])
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app.extensions["fedcat"], server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)


def api_latency(
    engine: SearchEngine,
    works: list[tuple[str, list]],
    store: RequestStore,
    libraries: list[str],
    data_dir: Path,
    *,
    seed: int,
    warmup: int,
) -> dict[str, Any]:
    """Seconds per 201 answer to `POST /api/v1/ill/requests`, warm-up answers left out."""
    with served(engine, data_dir, store_location(store)) as (shared, port):
        tokens = {}
        for library_id in libraries:
            shared.accounts.add_patron(library_id, "BENCH-1", "Bench Patron", pin="2468")
            tokens[library_id] = shared.accounts.create_token(library_id, "bench").secret
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        samples: list[float] = []
        statuses: dict[int, int] = {}
        for number, (work_id, _) in enumerate(works):
            library_id = rng.choice(libraries)
            body = json.dumps({"patron": "BENCH-1", "work_id": work_id})
            headers = {"Authorization": f"Bearer {tokens[library_id]}",
                       "Content-Type": "application/json"}  # fmt: skip
            started = time.perf_counter()
            connection.request("POST", "/api/v1/ill/requests", body, headers)
            answer = connection.getresponse()
            answer.read()
            took = time.perf_counter() - started
            statuses[answer.status] = statuses.get(answer.status, 0) + 1
            if answer.status == 201 and number >= warmup:
                samples.append(took)
        connection.close()
    return {"timed": len(samples), "statuses": statuses, "samples": samples}
