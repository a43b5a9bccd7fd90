"""XML attacks from a partner's feed, beyond the entity attacks of test_harvester.py (external
entities and billion laughs, refused as any DTD is): a huge page, a gzip bomb and absurd
nesting, served over real HTTP by a hostile OAI-PMH server. Each is refused (or salvaged) with
bounded memory, reported against that partner, and nothing from it reaches the sink."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta

import pytest

from config.partners import Partner
from harvester.checkpoints import Checkpoints
from harvester.client import RetryPolicy
from harvester.errors import MalformedResponse, RefusedResponse
from harvester.protocol import parse_list_page
from harvester.runner import harvest
from tests.fixtures.builders import embedded_catalog
from tests.fixtures.live import serve_wsgi

FAST = RetryPolicy(attempts=2, backoff=0.01, backoff_cap=0.05, timeout=60)
HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    b"<responseDate>2025-01-01T00:00:00Z</responseDate>"
)
IDENTIFY = HEAD + (
    b'<request verb="Identify">http://127.0.0.1/oai</request><Identify>'
    b"<repositoryName>Hostile</repositoryName><baseURL>http://127.0.0.1/oai</baseURL>"
    b"<protocolVersion>2.0</protocolVersion><adminEmail>a@example.org</adminEmail>"
    b"<earliestDatestamp>2000-01-01T00:00:00Z</earliestDatestamp>"
    b"<deletedRecord>no</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"
    b"</Identify></OAI-PMH>"
)
LIST_HEAD = HEAD + b'<request verb="ListRecords">http://127.0.0.1/oai</request><ListRecords>'
LIST_TAIL = b"</ListRecords></OAI-PMH>"
MIB = 1024 * 1024


def padded_page(size: int) -> Iterator[bytes]:
    """A ListRecords page of `size` bytes of white space (valid XML), streamed by the MiB."""
    yield LIST_HEAD
    for _ in range(size // MIB):
        yield b" " * MIB
    yield LIST_TAIL


def gzip_bomb(size: int) -> bytes:
    """`padded_page(size)` gzip-compressed: about a thousandth of its size on the wire."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return b"".join(compressor.compress(chunk) for chunk in padded_page(size)) + (
        compressor.flush()
    )


def deep_page(depth: int) -> Iterator[bytes]:
    yield LIST_HEAD + b"<record><metadata>" + b"<x>" * depth + b"</x>" * depth
    yield b"</metadata></record>" + LIST_TAIL


def hostile_server(page: Callable[[], Iterable[bytes]], headers: list[tuple[str, str]]):
    """A WSGI OAI-PMH server: a proper Identify, then `page` for every ListRecords."""

    def app(environ, start_response):
        if "verb=Identify" in environ.get("QUERY_STRING", ""):
            start_response("200 OK", [("Content-Type", "text/xml")])
            return [IDENTIFY]
        start_response("200 OK", [("Content-Type", "text/xml"), *headers])
        return page()

    return app


@pytest.fixture
def checkpoints(tmp_path):
    store = Checkpoints(tmp_path / "state.sqlite", overlap=timedelta(0))
    yield store
    store.close()


async def harvest_from(app, checkpoints, policy: RetryPolicy = FAST):
    """The partner's report, and how many records reached the (real) catalog."""
    with serve_wsgi(app) as url, embedded_catalog(checkpoints.path.parent, {}) as catalog:
        report = await harvest(
            [Partner("hostile", "Hostile", url)], catalog, checkpoints, policy=policy
        )
        return report.partners[0], catalog.store.record_count()


async def test_huge_page_is_refused_at_the_page_size_bound(checkpoints):
    bounded = RetryPolicy(**{**vars(FAST), "max_page_bytes": 4 * MIB})
    outcome, stored = await harvest_from(
        hostile_server(lambda: padded_page(16 * MIB), []), checkpoints, bounded
    )
    assert "refused a response larger than 4194304 bytes" in outcome.error
    assert stored == 0


async def test_page_over_the_default_bound_is_refused(checkpoints):
    over = FAST.max_page_bytes + 8 * MIB
    outcome, stored = await harvest_from(hostile_server(lambda: padded_page(over), []), checkpoints)
    assert f"refused a response larger than {FAST.max_page_bytes} bytes" in outcome.error
    assert stored == 0


async def test_gzip_bomb_is_refused_after_the_bound_not_inflated_in_full(checkpoints):
    bomb = gzip_bomb(FAST.max_page_bytes * 4)
    assert len(bomb) < MIB  # small on the wire, 256 MiB once inflated
    outcome, stored = await harvest_from(
        hostile_server(lambda: [bomb], [("Content-Encoding", "gzip")]), checkpoints
    )
    assert f"refused a response larger than {FAST.max_page_bytes} bytes" in outcome.error
    assert stored == 0


async def test_absurdly_deep_nesting_is_cut_at_the_parser_depth_bound_and_reported(checkpoints):
    deep = hostile_server(lambda: deep_page(100_000), [])
    outcome, stored = await harvest_from(deep, checkpoints)
    assert any("Excessive depth" in problem for problem in outcome.problems)
    assert any("skipped a record" in problem for problem in outcome.problems)
    assert stored == 0


def test_a_response_declaring_a_dtd_is_refused_by_type_even_when_salvaging():
    body = HEAD.replace(b"<OAI-PMH", b'<!DOCTYPE OAI-PMH [<!ENTITY x "y">]><OAI-PMH') + LIST_TAIL
    with pytest.raises(RefusedResponse, match="refused a response declaring a DTD") as refused:
        parse_list_page(body, "hostile", salvage=True)
    assert (refused.value.partner_id, isinstance(refused.value, MalformedResponse)) == (
        "hostile",
        True,
    )
