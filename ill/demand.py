"""The demand forecast from the request store: what `fedcat ill forecast` and /staff/demand show.

The history is every whole month before `now` (the month under way is left out: half a month
would read as a drop). The consortium's series is forecast on its own; libraries and subject
areas top down (`ill.forecast.predict_parts`); each series also carries its backtest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ill import forecast as fc
from ill import stats
from ill.store import RequestStore

Grouping = Literal["library", "subject"]


@dataclass(frozen=True)
class SeriesForecast:
    """One series' forecast and its backtest (None: too short to hold a year out)."""

    key: str  # a library id, a subject area, or "" for the consortium
    history: dict[str, int]  # "YYYY-MM" -> requests, every whole month
    forecast: fc.Forecast
    backtest: fc.Backtest | None


@dataclass
class DemandForecast:
    first: str | None  # the history's first and last whole month
    last: str | None
    consortium: SeriesForecast | None = None
    parts: dict[str, SeriesForecast] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        def one(s: SeriesForecast) -> dict[str, Any]:
            return {
                "key": s.key,
                "method": s.forecast.method,
                "reason": s.forecast.reason,
                "months": [vars(m) for m in s.forecast.months],
                "backtest": vars(s.backtest) if s.backtest else None,
            }

        return {
            "history": {"first": self.first, "last": self.last},
            "consortium": one(self.consortium) if self.consortium else None,
            "parts": [one(s) for s in self.parts.values()],
        }


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _previous_month(month: str) -> str:
    year, number = map(int, month.split("-"))
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def demand_forecast(
    store: RequestStore, now: datetime, by: Grouping = "library", only: str | None = None
) -> DemandForecast:
    """The next `fc.HORIZON` months, for the consortium and each library (or subject area);
    `only` keeps one part (the parts are still forecast from all of them)."""
    until = month_start(now)
    with store.reader.connect() as tx:
        everyone = stats.monthly_requests(tx, by="all", until=until).get("", {})
        parts = stats.monthly_requests(tx, by=by, until=until)
    if not everyone:
        return DemandForecast(None, None)
    first, last = min(everyone), _previous_month(f"{until:%Y-%m}")
    months = fc.month_range(first, last)
    dense = {key: fc.dense(series, first, last) for key, series in parts.items()}
    predictions = fc.forecast_parts(parts, first, last)
    backtests = fc.backtest_parts(dense) if len(months) > fc.HOLDOUT else {}
    total = fc.dense(everyone, first, last)
    result = DemandForecast(first, last)
    result.consortium = SeriesForecast(
        "",
        dict(zip(months, map(int, total), strict=True)),
        fc.forecast(everyone, first, last),
        fc.backtest(total) if len(months) > fc.HOLDOUT else None,
    )
    for key in sorted(parts):
        if only is not None and key != only:
            continue
        history = dict(zip(months, map(int, dense[key]), strict=True))
        result.parts[key] = SeriesForecast(key, history, predictions[key], backtests.get(key))
    return result
