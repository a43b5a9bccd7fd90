"""Stopping a harvest cleanly when asked (SIGTERM from a service manager, Ctrl-C).

The caller (the CLI) turns signals into `Stop.request`; the runner then lets each partner
finish the batch in hand: a page being fetched is abandoned (it is asked for again next time),
the pages already fetched are applied and checkpointed, and the partner stops with
`Interrupted`. Partners not yet started do not start. So a stop takes at most one batch's apply
and commit, never a whole list.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

from harvester.errors import Interrupted

T = TypeVar("T")


class Stop:
    """A stop request, shared by every partner of one harvest (use it on the harvest's loop)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        """Ask the harvest to stop; the first reason given is kept."""
        if self.reason is None:
            self.reason = reason
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def check(self, partner_id: str) -> None:
        """Raise Interrupted if a stop was requested."""
        if self.requested:
            raise Interrupted(partner_id, self.reason or "a stop request")

    async def race(self, awaitable: Awaitable[T], partner_id: str) -> T:
        """`awaitable`'s result, unless a stop comes first: then it is cancelled and
        Interrupted raised."""
        self.check(partner_id)
        task = asyncio.ensure_future(awaitable)
        waiter = asyncio.ensure_future(self._event.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if task.cancelled():
            self.check(partner_id)
        return task.result()
