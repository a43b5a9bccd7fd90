"""Mapping harvested records on the second core: a process of its own, one batch at a time.

The harvest's apply step (matching, documents, the engine) runs in the harvest's interpreter
and holds its GIL; mapping a batch (MARC, Dublin Core, MODS → `Record`) needs nothing from
the store, so it is done here while another partner's batch is applied. Each record crosses
as its serialised XML and comes back as a pickled `Record` with its stored JSON, or as the
reason it could not be mapped: the same `map_record` as in process, so the same Records.

The worker is started with "spawn" (no copy of the harvest's threads or connections) and
reads requests from a pipe only the harvest holds: when the harvest ends or is killed the
pipe closes and the worker exits, so no mapping process outlives its harvest.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection

from lxml import etree

from config.partners import Partner
from indexer.model import Record

log = logging.getLogger(__name__)

_PARSER = dict(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


@dataclass(frozen=True)
class Item:
    """One record to map: what `indexer.mapping.map_record` is given, the element as XML."""

    identifier: str
    datestamp: str
    xml: bytes
    prefix: str


@dataclass(frozen=True)
class Mapped:
    """A mapped record and its stored form (`indexer.works.record_json`), or why not."""

    record: Record | None
    data: str = ""
    error: str = ""


def map_items(partner: Partner, items: list[Item]) -> list[Mapped]:
    """Map each item as `Catalog.apply` would in process; runs in the worker."""
    from indexer.mapping import map_record
    from indexer.works import record_json

    parser = etree.XMLParser(**_PARSER)
    mapped = []
    for item in items:
        try:
            element = etree.fromstring(item.xml, parser)
            record = map_record(partner, item.identifier, item.datestamp, element, item.prefix)
        except (ValueError, etree.XMLSyntaxError) as exc:  # MappingError is a ValueError
            mapped.append(Mapped(None, error=str(exc)))
            continue
        mapped.append(Mapped(record, record_json(record)))
    return mapped


def _serve(requests: Connection) -> None:
    """The worker's loop: (partner, items) in, [Mapped] or ("error", text) out, until EOF."""
    while True:
        try:
            partner, items = requests.recv()
        except (EOFError, OSError):
            return
        try:
            answer: object = map_items(partner, items)
        except Exception as exc:  # noqa: BLE001 - the harvest decides; the worker goes on
            answer = ("error", f"{type(exc).__name__}: {exc}")
        requests.send(answer)


class MappingError(RuntimeError):
    """The mapping process failed (it died, or mapping raised what it never should)."""


class MappingProcess:
    """One mapping worker, shared by the harvest's partners; `map` is thread-safe."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, theirs = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(theirs,), name="fedcat-mapping", daemon=True
        )
        self._process.start()
        theirs.close()
        self._lock = threading.Lock()

    def map(self, partner: Partner, items: list[Item]) -> list[Mapped]:
        with self._lock:
            try:
                self._conn.send((partner, items))
                answer = self._conn.recv()
            except (EOFError, OSError) as exc:
                raise MappingError(f"the mapping process stopped: {exc}") from exc
        if isinstance(answer, tuple):
            raise MappingError(f"the mapping process failed: {answer[1]}")
        return answer

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
