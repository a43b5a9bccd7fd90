"""The OAI-PMH client: asks one partner's server, politely and stubbornly.

Retries what a retry can fix: 503 after its Retry-After (capped), other 5xx, 429, timeouts,
refused or cut connections and malformed pages with bounded exponential backoff. aiohttp
follows redirects and decodes gzip/deflate (it sends Accept-Encoding itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp

from config.partners import Partner
from harvester import protocol
from harvester.errors import MalformedResponse, RefusedResponse, TransportError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: ListSets pages read at most: a list of sets that goes on longer is not a list of sets.
MAX_SET_PAGES = 100


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries per request, the first included
    backoff: float = 0.5  # seconds before the first retry, doubled each time
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0  # never wait longer than this for a 503's Retry-After
    timeout: float = 60.0  # per request, connecting and reading
    salvage_after: int = 2  # malformed pages: ask this many times before salvaging
    #: a page larger than this (after gzip/deflate decoding) is refused, not retried
    max_page_bytes: int = 64 * 1024 * 1024

    def pause(self, attempt: int) -> float:
        """Backoff before retry `attempt` (1-based), with jitter so partners do not align."""
        base = min(self.backoff * 2 ** (attempt - 1), self.backoff_cap)
        return base * random.uniform(0.75, 1.0)


def retry_after_seconds(value: str | None, cap: float) -> float | None:
    """Retry-After as seconds (it may be a delay or an HTTP date), capped; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    with contextlib.suppress(TypeError, ValueError):
        moment = parsedate_to_datetime(value)
        return min(max((moment - datetime.now(UTC)).total_seconds(), 0.0), cap)
    return None


class OAIClient:
    """Requests to one partner's OAI-PMH endpoint over a shared aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        partner: Partner,
        *,
        policy: RetryPolicy | None = None,
        host_slots: asyncio.Semaphore | None = None,
        delay: float = 0.0,
    ):
        self.session = session
        self.partner = partner
        self.policy = policy or RetryPolicy()
        self.host_slots = host_slots or asyncio.Semaphore(1)
        self.delay = delay
        self.retries = 0  # how many requests had to be retried, for the run report

    async def fetch(self, args: dict[str, str]) -> bytes:
        """The body of a successful answer to `args`; raises TransportError after retries."""
        last_problem = ""
        for attempt in range(1, self.policy.attempts + 1):
            wait: float | None = None
            try:
                async with self.host_slots:
                    if self.delay:
                        await asyncio.sleep(self.delay)
                    async with self.session.get(
                        self.partner.base_url,
                        params=args,
                        timeout=aiohttp.ClientTimeout(total=self.policy.timeout),
                    ) as response:
                        if response.status == 200:
                            return await self._read_bounded(response)
                        last_problem = f"HTTP {response.status} {response.reason}"
                        if response.status not in RETRY_STATUSES:
                            break
                        if response.status in (429, 503):
                            wait = retry_after_seconds(
                                response.headers.get("Retry-After"), self.policy.retry_after_cap
                            )
            except (aiohttp.ClientError, TimeoutError) as exc:
                last_problem = f"{type(exc).__name__}: {exc}".rstrip(": ")
            if attempt < self.policy.attempts:
                self.retries += 1
                await asyncio.sleep(wait if wait is not None else self.policy.pause(attempt))
        raise TransportError(
            self.partner.id, f"{args.get('verb', '?')} failed after retries: {last_problem}"
        )

    async def _read_bounded(self, response: aiohttp.ClientResponse) -> bytes:
        """The body, refused as soon as it grows past `max_page_bytes`: a huge page or a
        compression bomb costs at most that much memory."""
        limit = self.policy.max_page_bytes
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if size > limit:
                raise RefusedResponse(
                    self.partner.id, f"refused a response larger than {limit} bytes"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    async def identify(self) -> protocol.Identity:
        return protocol.parse_identify(await self.fetch({"verb": "Identify"}), self.partner.id)

    async def metadata_formats(self) -> list[str]:
        body = await self.fetch({"verb": "ListMetadataFormats"})
        return protocol.parse_metadata_formats(body, self.partner.id)

    async def sets(self) -> list[tuple[str, str]]:
        """Every (setSpec, setName) the partner offers, following ListSets' resumption."""
        found: list[tuple[str, str]] = []
        token: str | None = None
        for _ in range(MAX_SET_PAGES):
            body = await self.fetch(protocol.sets_request(token))
            page = protocol.parse_sets(body, self.partner.id)
            found += page.sets
            token = page.resumption_token
            if not token:
                return found
        raise MalformedResponse(
            self.partner.id, f"ListSets still not complete after {MAX_SET_PAGES} pages"
        )

    async def list_page(self, args: dict[str, str]) -> protocol.Page:
        """One ListRecords page; a malformed page is asked for again before it is salvaged."""
        for attempt in range(1, self.policy.salvage_after + 1):
            body = await self.fetch(args)
            try:
                return protocol.parse_list_page(body, self.partner.id)
            except RefusedResponse:
                raise
            except MalformedResponse:
                self.retries += 1
                await asyncio.sleep(self.policy.pause(attempt))
        return protocol.parse_list_page(body, self.partner.id, salvage=True)

    async def list_records(
        self,
        prefix: str,
        *,
        set_spec: str = "",
        from_date: str | None = None,
        until: str | None = None,
        resumption_token: str | None = None,
    ) -> AsyncIterator[protocol.Page]:
        """Each page in turn; a page's resumption_token is None once the list is done.

        Starts at `resumption_token` when given (resuming an interrupted harvest).
        """
        if resumption_token:
            args = protocol.resume_request(resumption_token)
        else:
            args = protocol.list_request(prefix, set_spec, from_date, until)
        while True:
            page = await self.list_page(args)
            yield page
            if not page.resumption_token:
                return
            args = protocol.resume_request(page.resumption_token)
