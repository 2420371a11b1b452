"""A burndown chart (a count over the release's days: a gate's open blockers), as PNG bytes. Pure.

Drawn with matplotlib's Agg canvas on a Figure of its own (never pyplot's global state), so
charts can be drawn on any thread at once. Names people typed (milestones, the gate) are
drawn as text, never as math.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from matplotlib.axes import Axes

BLUE = "#0969da"
RED = "#d1242f"
GREY = "#57606a"
MAX_MARKS = 20


def burndown_png(
    points: Sequence[tuple[datetime, float]],
    release_day: datetime | None,
    marks: Sequence[tuple[datetime, str]],
    *,
    title: str = "",
    zone: ZoneInfo | None = None,
    now: datetime | None = None,
) -> bytes:
    """The value over time as a step line, release day and milestones marked; PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    tz = zone or ZoneInfo("UTC")
    ordered = sorted(points)
    figure = Figure(figsize=(8, 3.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if ordered:
        times = [at for at, _ in ordered]
        values = [float(value) for _, value in ordered]
        end = now or ordered[-1][0]
        if end > times[-1]:  # the last value holds until now
            times.append(end)
            values.append(values[-1])
        xs = [float(date2num(at)) for at in times]
        axes.step(xs, values, where="post", color=BLUE, linewidth=2)
        axes.fill_between(xs, values, step="post", color=BLUE, alpha=0.12)
        axes.set_ylim(bottom=0, top=max(max(values) * 1.15, 1))
    else:
        axes.text(0.5, 0.5, "no values yet", transform=axes.transAxes, ha="center",
                  color=GREY, parse_math=False)  # fmt: skip
    if release_day is not None:
        _mark(axes, float(date2num(release_day)), "release day", RED, "-")
    for at, name in sorted(marks)[:MAX_MARKS]:
        _mark(axes, float(date2num(at)), name[:40], GREY, "--")
    span = _span([at for at, _ in ordered] + [at for at, _ in marks], release_day)
    if span is not None:
        axes.set_xlim(float(date2num(span[0])), float(date2num(span[1])))
    locator = AutoDateLocator(tz=tz)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=tz))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    if title:
        axes.set_title(title[:80], loc="left", fontsize=11, parse_math=False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _mark(axes: Axes, x: float, text: str, color: str, style: str) -> None:
    axes.axvline(x, color=color, linewidth=1.5 if style == "-" else 1, linestyle=style)
    axes.text(x, 0.98, f" {text}", transform=axes.get_xaxis_transform(), rotation=90,
              va="top", ha="left", fontsize=8, color=color, parse_math=False)  # fmt: skip


def _span(
    instants: list[datetime], release_day: datetime | None
) -> tuple[datetime, datetime] | None:
    """The release's days: from the first value (or mark) to release day, padded a little."""
    if release_day is not None:
        instants = [*instants, release_day]
    if not instants:
        return None
    start, end = min(instants), max(instants)
    pad = max((end - start) * 0.03, timedelta(hours=6))
    return start - pad, end + pad
