"""Requests per month ahead: Holt-Winters with an 80% interval, and its honest backtest.

The model is statsmodels' `ExponentialSmoothing` (additive damped trend, additive seasonality
of 12 months). The consortium's series is fitted on its own (`predict`); libraries' and subject
areas' series are forecast top down (`predict_parts`): the model on their sum, each part its
share of it. The interval is the 10th and 90th percentiles of paths simulated from the fitted
model (bootstrapped residuals). A series too short for two seasons, or too sparse to fit,
falls back to the seasonal-naive forecast (each month as it was a year before), and says so in
`reason`: a forecast is a machine's guess, and staff see how it was made.

`backtest` holds the last 12 months out, forecasts them from what came before, and scores both
the forecast and the seasonal-naive one with MASE (mean absolute error over the in-sample
seasonal-naive error: below 1 beats last year's figures) and MAPE, and counts how many held-out
months fell inside the interval.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

SEASON = 12
HORIZON = 6
HOLDOUT = 12
INTERVAL = 0.8
#: at least two whole seasons to fit a seasonal model
MIN_MONTHS = 2 * SEASON
#: fewer requests a month on average than this and the model has too little to fit
MIN_MEAN = 2.0
SIMULATIONS = 400
#: what Holt-Winters estimates: 12 seasonal states, level, trend, and 4 smoothing parameters
PARAMETERS = SEASON + 6

#: a monthly series: a list of counts or an array of them
Series = Sequence[float] | np.ndarray
Method = Literal["holt-winters", "holt-winters-share", "seasonal-naive"]


@dataclass(frozen=True)
class ForecastMonth:
    month: str  # "YYYY-MM"
    expected: float
    low: float  # the interval's bounds (INTERVAL of simulated paths fall inside)
    high: float


@dataclass(frozen=True)
class Forecast:
    method: Method
    reason: str  # why this method: shown beside the figures
    months: tuple[ForecastMonth, ...]


@dataclass(frozen=True)
class Backtest:
    method: Method
    reason: str
    mase: float | None  # the model's (or fallback's) forecast of the held-out year
    naive_mase: float | None  # the seasonal-naive forecast's
    mape: float | None  # percent, over held-out months with requests
    naive_mape: float | None
    coverage: float  # share of held-out months inside the interval
    months: int  # held out


def month_range(first: str, last: str) -> list[str]:
    """Every 'YYYY-MM' from `first` to `last`, both included."""
    year, month = map(int, first.split("-"))
    end = tuple(map(int, last.split("-")))
    out = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def next_months(last: str, count: int) -> list[str]:
    year, month = map(int, last.split("-"))
    out = []
    for _ in range(count):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        out.append(f"{year:04d}-{month:02d}")
    return out


def dense(counts: Mapping[str, int], first: str, last: str) -> list[float]:
    """The series with every month from `first` to `last`, a missing month as 0 requests."""
    return [float(counts.get(m, 0)) for m in month_range(first, last)]


def _why_naive(history: Series) -> str | None:
    if len(history) < MIN_MONTHS:
        return (
            f"seasonal naive: only {len(history)} months of history, "
            f"the seasonal model needs {MIN_MONTHS}"
        )
    if float(np.mean(history)) < MIN_MEAN:
        return (
            f"seasonal naive: fewer than {MIN_MEAN:g} requests a month on average, "
            "too sparse for the seasonal model"
        )
    return None


@dataclass(frozen=True)
class Prediction:
    """A forecast as arrays, before months are put to it."""

    method: Method
    reason: str
    expected: np.ndarray
    low: np.ndarray
    high: np.ndarray


def _naive(history: Series, horizon: int, reason: str) -> Prediction:
    """Each month as a year before (or the last month's, with less than a year), with an
    interval from the spread of the same changes in the history."""
    values = np.asarray(history, dtype=float)
    if len(values) == 0:
        zero = np.zeros(horizon)
        return Prediction("seasonal-naive", reason, zero, zero, zero)
    lag = SEASON if len(values) > SEASON else 1
    base = values[-lag:]
    expected = np.array([base[i % len(base)] for i in range(horizon)])
    changes = values[lag:] - values[:-lag] if len(values) > lag else np.zeros(1)
    low_q, high_q = np.quantile(changes, [(1 - INTERVAL) / 2, (1 + INTERVAL) / 2])
    low, high = np.maximum(expected + low_q, 0), np.maximum(expected + high_q, 0)
    return Prediction("seasonal-naive", reason, expected, low, high)


def _holt_winters(history: Series, horizon: int, seed: int):
    """The fitted model's forecast and `SIMULATIONS` paths (horizon x paths), kept for the
    same series (the consortium's total is fitted once for itself and for its parts)."""
    return _fitted(tuple(float(v) for v in history), horizon, seed)


@functools.lru_cache(maxsize=64)
def _fitted(history: tuple[float, ...], horizon: int, seed: int):
    """Heuristic initial states and a local optimiser: 0.07 s a fit here, against 2.5 s for
    estimated ones with a brute-force start, for much the same backtest (bench/README.md)."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short series
        fitted = ExponentialSmoothing(
            np.asarray(history, dtype=float),
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=SEASON,
            initialization_method="heuristic",
        ).fit(use_brute=False)
        paths = fitted.simulate(
            horizon, repetitions=SIMULATIONS, error="add", random_errors="bootstrap",
            random_state=seed,
        )  # fmt: skip
    expected = np.asarray(fitted.forecast(horizon))
    # the residuals of a model fitted with as many parameters as a season has months
    # understate its error: widen the paths by the degrees-of-freedom correction
    n = len(history)
    widen = np.sqrt(n / max(n - PARAMETERS, 1))
    paths = expected[:, None] + (np.asarray(paths) - expected[:, None]) * widen
    return np.maximum(expected, 0), np.maximum(paths, 0)


def _bounds(paths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    low, high = np.quantile(paths, [(1 - INTERVAL) / 2, (1 + INTERVAL) / 2], axis=1)
    return low, high


def predict(history: Series, horizon: int = HORIZON, seed: int = 14) -> Prediction:
    """One series on its own: Holt-Winters, or seasonal naive with the reason."""
    reason = _why_naive(history)
    if reason is None:
        try:
            expected, paths = _holt_winters(history, horizon, seed)
        except (ValueError, np.linalg.LinAlgError) as exc:
            reason = f"seasonal naive: the seasonal model could not be fitted ({exc})"
        else:
            return Prediction("holt-winters", HW_REASON, expected, *_bounds(paths))
    return _naive(history, horizon, reason)


def predict_parts(
    parts: Mapping[str, Series], horizon: int = HORIZON, seed: int = 14
) -> dict[str, Prediction]:
    """Libraries' (or subject areas') series, top down: Holt-Winters on their sum, and each
    part its share of the last 12 months of it. One library's few requests a month are mostly
    noise; the consortium's seasons and trend are not, and a share of them forecasts a part
    better than its own series does (bench/README.md). The interval draws each part's count
    (Poisson) around its share of every simulated path of the sum."""
    if not parts:
        return {}
    total = np.sum([np.asarray(h, dtype=float) for h in parts.values()], axis=0)
    reason = _why_naive(total)
    if reason is None:
        try:
            expected, paths = _holt_winters(total, horizon, seed)
        except (ValueError, np.linalg.LinAlgError) as exc:
            reason = f"seasonal naive: the seasonal model could not be fitted ({exc})"
    if reason is not None:
        return {key: _naive(history, horizon, reason) for key, history in parts.items()}
    recent = float(total[-SEASON:].sum())
    rng = np.random.default_rng(seed)
    out = {}
    for key, history in parts.items():
        share = float(np.sum(history[-SEASON:])) / recent if recent else 0.0
        why = f"{SHARE_REASON} ({share:.1%} of the last 12 months' requests)"
        low, high = _bounds(rng.poisson(share * paths).astype(float))
        out[key] = Prediction("holt-winters-share", why, share * expected, low, high)
    return out


HW_REASON = "Holt-Winters (additive, damped trend, 12-month season); 80% interval simulated"
SHARE_REASON = "a share of the Holt-Winters forecast of the sum"


def _months(prediction: Prediction, last: str) -> Forecast:
    months = tuple(
        ForecastMonth(m, float(e), float(lo), float(hi))
        for m, e, lo, hi in zip(
            next_months(last, len(prediction.expected)),
            prediction.expected,
            prediction.low,
            prediction.high,
            strict=True,
        )
    )
    return Forecast(prediction.method, prediction.reason, months)


def forecast(
    counts: Mapping[str, int], first: str, last: str, horizon: int = HORIZON, seed: int = 14
) -> Forecast:
    """The `horizon` months after `last`, from the monthly counts `first`..`last`."""
    return _months(predict(dense(counts, first, last), horizon, seed), last)


def forecast_parts(
    counts: Mapping[str, Mapping[str, int]],
    first: str,
    last: str,
    horizon: int = HORIZON,
    seed: int = 14,
) -> dict[str, Forecast]:
    """Each part's `horizon` months after `last` (`predict_parts`)."""
    parts = {key: dense(series, first, last) for key, series in counts.items()}
    return {
        key: _months(prediction, last)
        for key, prediction in predict_parts(parts, horizon, seed).items()
    }


def _mase(actual: np.ndarray, predicted: np.ndarray, scale: float) -> float | None:
    return float(np.mean(np.abs(actual - predicted)) / scale) if scale > 0 else None


def _mape(actual: np.ndarray, predicted: np.ndarray) -> float | None:
    some = actual > 0
    if not some.any():
        return None
    return float(np.mean(np.abs(actual[some] - predicted[some]) / actual[some]) * 100)


def _score(train: np.ndarray, actual: np.ndarray, prediction: Prediction) -> Backtest:
    lag = SEASON if len(train) > SEASON else 1
    naive = _naive(train, len(actual), "").expected
    scale = float(np.mean(np.abs(train[lag:] - train[:-lag]))) if len(train) > lag else 0.0
    low, high = prediction.low, prediction.high
    inside = float(np.mean((actual >= low) & (actual <= high))) if len(actual) else 0.0
    return Backtest(
        prediction.method,
        prediction.reason,
        _mase(actual, prediction.expected, scale),
        _mase(actual, naive, scale),
        _mape(actual, prediction.expected),
        _mape(actual, naive),
        inside,
        len(actual),
    )


def backtest(history: Series, holdout: int = HOLDOUT, seed: int = 14) -> Backtest:
    """Forecast the last `holdout` months from the months before them, and score it."""
    values = np.asarray(history, dtype=float)
    train, actual = values[:-holdout], values[-holdout:]
    return _score(train, actual, predict(train, holdout, seed))


def backtest_parts(
    parts: Mapping[str, Series], holdout: int = HOLDOUT, seed: int = 14
) -> dict[str, Backtest]:
    """`backtest` for `predict_parts`: every part's last `holdout` months held out."""
    arrays = {key: np.asarray(h, dtype=float) for key, h in parts.items()}
    predictions = predict_parts({k: a[:-holdout] for k, a in arrays.items()}, holdout, seed)
    return {key: _score(a[:-holdout], a[-holdout:], predictions[key]) for key, a in arrays.items()}
