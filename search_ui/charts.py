"""The staff demand page's charts: matplotlib figures drawn on the server as SVG.

Each chart is an SVG document the page shows as a `data:` image: no script, no extra request,
and the page's Content-Security-Policy (no inline styles) is kept, since matplotlib's SVG
styles live inside the image. Text stays text (`svg.fonttype: none`), escaped by matplotlib's
XML writer; partner-provided labels (titles, library ids, subjects) are drawn with mathtext
off, so a `$` in a title is a dollar sign, not a formula. Figures are `Figure` objects, not
pyplot's global state, so web threads draw at once safely.
"""

from __future__ import annotations

import base64
import functools
import io
import warnings
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec

import matplotlib
from matplotlib.figure import Figure

#: every SVG the same for the same data (ids from a fixed salt, no timestamp)
#: and no mathtext anywhere: labels are partner data, "$" is a dollar sign
RC: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "fedcat",
    "font.size": 9,
    "text.parse_math": False,
}
WIDTH, HEIGHT = 7.5, 3.2
P = ParamSpec("P")


def _drawn(chart: Callable[P, Figure]) -> Callable[P, str]:
    """A chart function's figure, built and saved under `RC`, as SVG text."""

    @functools.wraps(chart)
    def draw(*args: P.args, **kwargs: P.kwargs) -> str:
        buffer = io.StringIO()
        with matplotlib.rc_context(RC), warnings.catch_warnings():
            # CJK titles: matplotlib's own fonts lack the glyphs it measures; the SVG keeps
            # the text, and the browser draws it in its own fonts
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            figure = chart(*args, **kwargs)
            figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
        return buffer.getvalue()

    return draw


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


@_drawn
def monthly(
    months: Sequence[str],
    counts: Sequence[float],
    future: Sequence[str],
    expected: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
    labels: dict[str, str],
) -> Figure:
    """Requests per month, then the forecast with its interval as a band."""
    figure = Figure(figsize=(WIDTH, HEIGHT))
    axes = figure.subplots()
    x = list(range(len(months)))
    axes.plot(x, counts, color="#1f5f8b", label=labels["history"])
    if future:
        ahead = list(range(len(months), len(months) + len(future)))
        axes.fill_between(ahead, low, high, color="#f0a030", alpha=0.3, label=labels["interval"])
        axes.plot(ahead, expected, color="#c06000", linestyle="--", label=labels["forecast"])
    every = list(months) + list(future)
    step = max(1, len(every) // 12)
    axes.set_xticks(range(0, len(every), step), every[::step], rotation=45, ha="right")
    axes.set_ylabel(labels["requests"], parse_math=False)
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper left", fontsize=8)
    return figure


@_drawn
def bars(
    names: Sequence[str],
    series: dict[str, Sequence[float]],
    axis_label: str,
    reference: Sequence[float] | None = None,
    reference_label: str = "",
) -> Figure:
    """Horizontal bars, one group per name (partner-provided names are plain text)."""
    figure = Figure(figsize=(WIDTH, max(1.6, 0.32 * len(names) * max(1, len(series)) + 0.8)))
    axes = figure.subplots()
    height = 0.8 / max(1, len(series))
    for i, (label, values) in enumerate(series.items()):
        positions = [n + i * height for n in range(len(names))]
        axes.barh(positions, values, height=height, label=label)
    centre = [n + height * (len(series) - 1) / 2 for n in range(len(names))]
    if reference is not None:
        axes.scatter(reference, centre, marker="|", s=200, color="black", label=reference_label)
    axes.set_yticks(centre)
    axes.set_yticklabels([_short(n) for n in names], parse_math=False)
    axes.invert_yaxis()
    axes.set_xlabel(axis_label, parse_math=False)
    if len(series) > 1 or reference is not None:
        axes.legend(loc="lower right", fontsize=8)
    return figure


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
