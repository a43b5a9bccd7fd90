"""The live harvest display: one row per partner with records, pages, rate and errors."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.table import Table


@dataclass
class PartnerProgress:
    partner_id: str
    records: int = 0
    deleted: int = 0
    pages: int = 0
    errors: int = 0
    state: str = "waiting"
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.records / elapsed if elapsed > 0 else 0.0


class HarvestProgress:
    """A progress callback for the harvester, drawn with rich while the harvest runs."""

    def __init__(self, partners, *, enabled: bool = True, console: Console | None = None):
        self.rows = {p.id: PartnerProgress(p.id) for p in partners}
        self.enabled = enabled
        self.console = console or Console(stderr=True)
        self._live: Live | None = None

    def __enter__(self) -> HarvestProgress:
        if self.enabled:
            self._live = Live(self._table(), console=self.console, refresh_per_second=4)
            self._live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(*exc)

    def __call__(self, partner_id: str, **changes) -> None:
        """Called by the harvester: counters to add (records, deleted, pages, errors) or a state."""
        row = self.rows.setdefault(partner_id, PartnerProgress(partner_id))
        if row.state == "waiting":
            row.started = time.monotonic()
        for name, value in changes.items():
            if name == "state":
                row.state = value
            elif hasattr(row, name):
                setattr(row, name, getattr(row, name) + value)
        if self._live is not None:
            self._live.update(self._table())

    def _table(self) -> Table:
        table = Table(title="fedcat harvest", expand=False)
        for column in ("partner", "state", "records", "deleted", "pages", "rec/s", "errors"):
            table.add_column(column, justify="left" if column in ("partner", "state") else "right")
        for row in self.rows.values():
            table.add_row(
                row.partner_id,
                row.state,
                str(row.records),
                str(row.deleted),
                str(row.pages),
                f"{row.rate:,.0f}",
                str(row.errors),
            )
        return table
