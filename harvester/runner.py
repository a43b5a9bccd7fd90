"""Harvesting many partners at once: bounded concurrency, checkpoints, one failure at a time.

Each partner's run pages through ListRecords, hands batches of whole pages to the sink (in a
worker thread, one apply at a time overall) and only then saves the checkpoint, so a kill -9
at any moment resumes without losing or doubling records. A failing partner stops that
partner only; its run stays in progress and the next harvest continues it.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp

from config.partners import Partner
from config.settings import DEFAULT_BATCH_SIZE
from harvester.checkpoints import Checkpoints, PartnerState
from harvester.client import OAIClient, RetryPolicy
from harvester.errors import (
    BadResumptionToken,
    HarvestError,
    Interrupted,
    RemovalHeld,
    UnknownSet,
)
from harvester.protocol import Identity, Page
from harvester.removal import RemovalGuard
from harvester.report import PartnerReport, Progress, RunReport, no_progress
from harvester.sink import HarvestedRecord, RecordSink, Rejection
from harvester.stopping import Stop

USER_AGENT = "fedcat-harvester/0.1 (+OAI-PMH 2.0)"
#: how harvester.protocol starts the page problems that are a refused record, or a repair
SKIPPED = "skipped a record: "
REPAIRED = ("repaired ", "salvaged ")
DEFAULT_POLICY = RetryPolicy()


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


class RecordSource(Protocol):
    """Where a partner's run reads its list: its OAI-PMH server (`OAIClient`), or files
    (`indexer.record_files.FileSource`, for `fedcat import`)."""

    retries: int

    async def identify(self) -> Identity: ...

    async def sets(self) -> list[tuple[str, str]]: ...

    def list_records(
        self,
        prefix: str,
        *,
        set_spec: str = "",
        from_date: str | None = None,
        until: str | None = None,
        resumption_token: str | None = None,
    ) -> AsyncIterator[Page]: ...


@dataclass
class _Shared:
    """What every partner's run shares within one harvest."""

    sink: RecordSink
    checkpoints: Checkpoints
    apply_lock: asyncio.Lock
    progress: Progress
    batch_size: int
    max_restarts: int
    removal: RemovalGuard
    stop: Stop


async def harvest(
    partners: Iterable[Partner],
    sink: RecordSink,
    checkpoints: Checkpoints,
    *,
    full: bool = False,
    from_date: str | None = None,
    until: str | None = None,
    concurrency: int = 4,
    per_host: int = 2,
    delay: float = 0.0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
    max_restarts: int = 2,
    removal: RemovalGuard | None = None,
    stop: Stop | None = None,
) -> RunReport:
    """Harvest `partners` into `sink`; returns (and writes) the run report.

    Incremental by default: a partner continues its unfinished run, or starts from its next
    incremental date. `full` re-harvests everything and sweeps vanished records once the run
    completes; `from_date`/`until` bound the datestamps asked for. At most `concurrency`
    partners run at once and at most `per_host` requests go to one host at a time, each
    after `delay` seconds. A full harvest's sweep that would remove more of a partner's
    records than `removal` allows removes nothing (harvester.removal). When `stop` is
    requested each partner finishes the batch in hand and stops (harvester.stopping); the
    report is then marked interrupted.
    """
    report = RunReport(new_run_id())
    shared = _Shared(
        sink,
        checkpoints,
        asyncio.Lock(),
        progress or no_progress,
        batch_size,
        max_restarts,
        removal or RemovalGuard(),
        stop or Stop(),
    )
    partner_slots = asyncio.Semaphore(concurrency)
    host_slots: dict[str, asyncio.Semaphore] = {}

    async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as session:

        async def one(partner: Partner) -> PartnerReport:
            host = urlsplit(partner.base_url).netloc
            slots = host_slots.setdefault(host, asyncio.Semaphore(per_host))
            client = OAIClient(session, partner, policy=policy, host_slots=slots, delay=delay)
            async with partner_slots:
                return await _harvest_partner(
                    partner, client, shared, report.run_id, full, from_date, until
                )

        report.partners = list(await asyncio.gather(*(one(p) for p in partners)))
    return await _finish(report, shared)


async def harvest_source(
    partner: Partner,
    source: RecordSource,
    sink: RecordSink,
    checkpoints: Checkpoints,
    *,
    full: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    removal: RemovalGuard | None = None,
    stop: Stop | None = None,
) -> RunReport:
    """One partner's run over `source` rather than its OAI-PMH server (`fedcat import`):
    the same plan, checkpoints, resumption, full-run sweep under `removal` and run report
    as `harvest`. A token `source` rejects (other files than the unfinished run's) starts
    its list again once."""
    report = RunReport(new_run_id())
    shared = _Shared(
        sink,
        checkpoints,
        asyncio.Lock(),
        progress or no_progress,
        batch_size,
        1,
        removal or RemovalGuard(),
        stop or Stop(),
    )
    report.partners = [
        await _harvest_partner(partner, source, shared, report.run_id, full, None, None)
    ]
    return await _finish(report, shared)


async def _finish(report: RunReport, shared: _Shared) -> RunReport:
    """Close the run and write its report beside the checkpoints."""
    checkpoints = shared.checkpoints
    report.finished = time.time()
    report.interrupted = shared.stop.reason
    summary = report.to_dict()
    report.path = await asyncio.to_thread(
        checkpoints.save_report,
        report.run_id,
        summary["started"],
        summary["finished"],
        report.to_json(),
    )
    return report


def _plan(
    state: PartnerState, run_id: str, full: bool, from_date: str | None
) -> tuple[str, bool, str | None, str | None, str]:
    """(run id, full, from-date, resumption token, mode) for this partner's run."""
    unfinished = state.run_id
    resumable = (not full or state.run_full) and (from_date is None or from_date == state.run_from)
    if unfinished is not None and resumable:
        return unfinished, state.run_full, state.run_from, state.resumption_token, "resumed"
    if full:
        return run_id, True, None, None, "full"
    return run_id, False, from_date or state.next_from, None, "incremental"


async def _harvest_partner(
    partner: Partner,
    client: RecordSource,
    shared: _Shared,
    run_id: str,
    full: bool,
    from_date: str | None,
    until: str | None,
) -> PartnerReport:
    checkpoints, progress = shared.checkpoints, shared.progress
    if shared.stop.requested:  # stopped while waiting for its turn: it does not start
        report = PartnerReport(partner.id, run_id, "not started")
        report.error = f"not started: interrupted by {shared.stop.reason}"
        report.finished = time.time()
        progress(partner.id, state="interrupted")
        return report
    state = await asyncio.to_thread(checkpoints.load, partner.id)
    run_id, full, start, token, mode = _plan(state, run_id, full, from_date)
    if mode != "resumed":
        await asyncio.to_thread(
            checkpoints.begin_run, partner.id, run_id, full=full, from_date=start
        )
    report = PartnerReport(partner.id, run_id, mode, start)
    try:
        progress(partner.id, state="identify")
        identity = await shared.stop.race(client.identify(), partner.id)
        if start and identity.day_granularity:
            start = start[:10]
        if partner.set:
            await shared.stop.race(_check_set(partner, client), partner.id)
        progress(partner.id, state="harvesting")
        while True:
            try:
                await _page_through(partner, client, shared, report, start, until, token)
                break
            except BadResumptionToken as exc:
                if report.restarts >= shared.max_restarts:
                    raise
                report.restarts += 1
                report.problems.append(f"{exc.message}; restarting the list from {start}")
                progress(partner.id, errors=1)
                token = None
                await asyncio.to_thread(checkpoints.restart_run, partner.id)
        if full:
            await _sweep(partner, shared, report, run_id)
        await asyncio.to_thread(
            checkpoints.complete_run, partner.id, run_id, errors=len(report.problems)
        )
        report.complete = True
        progress(partner.id, state="done")
    except Exception as exc:  # noqa: BLE001 - any failure stops this partner only
        if isinstance(exc, RemovalHeld):
            report.removal = exc.removal
        report.interrupted = isinstance(exc, Interrupted)
        report.error = (
            exc.message if isinstance(exc, HarvestError) else f"{type(exc).__name__}: {exc}"
        )
        progress(partner.id, state="interrupted" if report.interrupted else "failed", errors=1)
        await asyncio.to_thread(
            checkpoints.fail_run, partner.id, report.error, errors=report.errors
        )
    report.retries = client.retries
    report.quality = await _quality(partner, shared, report)
    report.finished = time.time()
    return report


async def _quality(partner: Partner, shared: _Shared, report: PartnerReport) -> dict | None:
    """The partner's metadata quality as the run leaves it, when the sink can say it; a sink
    that fails to say it costs the report its quality, not the run."""
    quality = getattr(shared.sink, "quality", None)
    if quality is None:
        return None
    try:
        async with shared.apply_lock:
            return await asyncio.to_thread(quality, partner)
    except Exception as exc:  # noqa: BLE001 - the run itself is done
        report.problems.append(f"metadata quality not measured: {type(exc).__name__}: {exc}")
        return None


async def _sweep(partner: Partner, shared: _Shared, report: PartnerReport, run_id: str) -> None:
    """Remove what the complete full run did not see, unless the guard holds it."""
    async with shared.apply_lock:
        report.removal = dict(
            await asyncio.to_thread(shared.removal.check, partner, shared.checkpoints, run_id)
        )
        report.swept = await asyncio.to_thread(shared.sink.sweep, partner, run_id)


async def _check_set(partner: Partner, client: RecordSource) -> None:
    """Stop this partner before its harvest if ListSets does not offer its configured set
    (a typo in the registry would otherwise harvest nothing, or fail far from the cause)."""
    offered = [spec for spec, _ in await client.sets()]
    if partner.set not in offered:
        raise UnknownSet(partner.id, partner.set, offered)


async def _page_through(
    partner: Partner,
    client: RecordSource,
    shared: _Shared,
    report: PartnerReport,
    start: str | None,
    until: str | None,
    token: str | None,
) -> None:
    """Page through the list, applying and checkpointing every `batch_size` records; on a stop
    request, the pages in hand are applied and checkpointed before Interrupted is raised."""
    batch: list[HarvestedRecord] = []
    pages = client.list_records(
        partner.metadata_prefix,
        set_spec=partner.set,
        from_date=start,
        until=until,
        resumption_token=token,
    )
    while True:
        try:
            page = await shared.stop.race(anext(pages, None), partner.id)
        except Interrupted:
            if batch:  # the pages already fetched; the one being fetched is asked again
                await _apply(partner, shared, report, batch, token)
            raise
        if page is None:
            return
        token = page.resumption_token
        report.pages += 1
        shared.progress(partner.id, pages=1)
        for problem in page.problems:
            report.problems.append(f"page {report.pages}: {problem}")
            shared.progress(partner.id, errors=1)
            if problem.startswith(SKIPPED):
                report.reject(problem.removeprefix(SKIPPED))
            elif problem.startswith(REPAIRED):
                report.repairs += 1
        batch.extend(page.records)
        if len(batch) >= shared.batch_size or not page.resumption_token:
            await _apply(partner, shared, report, batch, page.resumption_token)
            batch = []
            if page.resumption_token:  # the list's end completes the run even when stopping
                shared.stop.check(partner.id)


async def _apply(
    partner: Partner,
    shared: _Shared,
    report: PartnerReport,
    batch: list[HarvestedRecord],
    token: str | None,
) -> None:
    """Sink first, checkpoint second: a crash in between only repeats this batch. A sink that
    can prepare a batch (map it, in fedcat) does so first, outside the lock, so one partner's
    batch is prepared while another's is applied."""
    prepare = getattr(shared.sink, "prepare", None)
    prepared = await asyncio.to_thread(prepare, partner, batch) if prepare and batch else None

    def apply_then_save() -> list[Rejection]:
        rejected: list[Rejection] = []
        if batch:
            extra = {} if prepared is None else {"prepared": prepared}
            rejected = shared.sink.apply(partner, batch, report.run_id, **extra).rejected
        shared.checkpoints.save_batch(partner.id, report.run_id, batch, token)
        return rejected

    async with shared.apply_lock:
        rejected = await asyncio.to_thread(apply_then_save)
    deleted = sum(1 for r in batch if r.deleted)
    report.records += len(batch)
    report.deleted += deleted
    report.problems.extend(f"rejected by the sink: {r.identifier}: {r.reason}" for r in rejected)
    for refused in rejected:
        report.reject(refused.reason, refused.identifier)
    shared.progress(partner.id, records=len(batch), deleted=deleted, errors=len(rejected))
