"""`fedcat harvest` under a service manager: SIGTERM or SIGINT stops it cleanly.

The first signal asks the harvest to stop (harvester.stopping): each partner finishes the
batch in hand, saves its checkpoint, and the run report is written marked interrupted; the
command then exits with 128 + the signal's number (143 for SIGTERM, 130 for SIGINT). If that
takes longer than STOP_GRACE_SECONDS (an engine hung mid-commit), or a second signal comes, the
process ends at once, which is as safe as kill -9: the checkpoint never points past what the
engine confirmed, and the next harvest repeats at most one batch.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

from harvester.stopping import Stop

T = TypeVar("T")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: How long a stop may take before the process ends without its report.
STOP_GRACE_SECONDS = 30.0


def exit_status(reason: str) -> int:
    """The shell's convention for a process ended by a signal: 128 + its number."""
    return 128 + signal.Signals[reason].value


async def until_signalled(start: Callable[[Stop], Awaitable[T]]) -> T:
    """Run `start(stop)` with SIGTERM and SIGINT requesting `stop`."""
    stop = Stop()
    loop = asyncio.get_running_loop()

    def on_signal(received: signal.Signals) -> None:
        if stop.requested:
            print(f"{received.name} again: stopping now", file=sys.stderr, flush=True)
            os._exit(128 + received.value)
        print(
            f"{received.name}: finishing the batch in hand and saving the checkpoints "
            f"(up to {STOP_GRACE_SECONDS:g} s; send it again to stop at once)",
            file=sys.stderr,
            flush=True,
        )
        stop.request(received.name)
        timer = threading.Timer(STOP_GRACE_SECONDS, os._exit, (128 + received.value,))
        timer.daemon = True
        timer.start()

    for received in STOP_SIGNALS:
        loop.add_signal_handler(received, on_signal, received)
    try:
        return await start(stop)
    finally:
        for received in STOP_SIGNALS:
            loop.remove_signal_handler(received)
