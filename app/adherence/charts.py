"""Adherence charts as SVG markup: pure functions from the overview's figures to a string."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from app.adherence.service import DayAdherence, TaskAdherence

# Presentation attributes only (no style attribute or <style>): the console's CSP has no
# 'unsafe-inline', and these charts are also inlined into its pages.
_FONT = 'font-family="system-ui, sans-serif" font-size="13"'
_BAR = "#2f6f9f"
_TRACK = "#e4ebf1"
_INK = "#1d2630"
_MUTED = "#5b6770"
_NOTHING_DUE = "Nothing was due yet."


@dataclass(frozen=True)
class _Bar:
    label: str  # shown beside or under the bar
    spoken: str  # the bar in words, for <title> and the chart's <desc>
    done: int
    due: int
    percent: int | None


def _in_words(done: int, due: int, percent: int | None) -> str:
    if percent is None:
        return "nothing due"
    return f"{percent}% ({done} of {due} done)"


def _task_bars(rows: Sequence[TaskAdherence]) -> list[_Bar]:
    return [
        _Bar(
            label=row.title,
            spoken=f"{row.title}: {_in_words(row.done, row.due, row.percent)}",
            done=row.done,
            due=row.due,
            percent=row.percent,
        )
        for row in rows
    ]


def _day_bars(rows: Sequence[DayAdherence]) -> list[_Bar]:
    return [
        _Bar(
            label=str(row.day),
            spoken=f"Day {row.day}: {_in_words(row.done, row.due, row.percent)}",
            done=row.done,
            due=row.due,
            percent=row.percent,
        )
        for row in rows
    ]


def _open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _description(bars: Sequence[_Bar]) -> str:
    return "; ".join(bar.spoken for bar in bars) + "." if bars else _NOTHING_DUE


def _empty(parts: list[str], width: int, height: int) -> str:
    parts.append(
        f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" fill="{_MUTED}" '
        f"{_FONT}>{escape(_NOTHING_DUE)}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def by_task_svg(rows: Sequence[TaskAdherence]) -> str:
    """Horizontal bars, one per task type: percent done of due, with the counts beside it."""
    bars = _task_bars(rows)
    label_width, track, row_height, top = 240, 320, 28, 12
    width = label_width + track + 130
    height = top * 2 + max(1, len(bars)) * row_height
    parts = _open("by-task", width, height, "Tasks done by task type", _description(bars))
    if not bars:
        return _empty(parts, width, height)
    for place, bar in enumerate(bars):
        y = top + place * row_height
        filled = 0 if bar.percent is None else round(track * bar.percent / 100)
        figure = "nothing due" if bar.percent is None else f"{bar.percent}%  {bar.done}/{bar.due}"
        parts += [
            f"<g><title>{escape(bar.spoken)}</title>",
            f'<text x="{label_width - 8}" y="{y + 18}" text-anchor="end" fill="{_INK}" '
            f"{_FONT}>{escape(_clip(bar.label, 34))}</text>",
            f'<rect x="{label_width}" y="{y + 5}" width="{track}" height="18" fill="{_TRACK}"/>',
            f'<rect x="{label_width}" y="{y + 5}" width="{filled}" height="18" fill="{_BAR}"/>',
            f'<text x="{label_width + track + 8}" y="{y + 18}" fill="{_INK}" '
            f"{_FONT}>{escape(figure)}</text>",
            "</g>",
        ]
    parts.append("</svg>")
    return "".join(parts)


def by_day_svg(rows: Sequence[DayAdherence]) -> str:
    """Columns, one per day after treatment (day 0 is the treatment day): percent done of due."""
    bars = _day_bars(rows)
    left, column, plot, top, bottom = 44, 22, 200, 16, 40
    width = left + max(1, len(bars)) * column + 16
    width = max(width, 360)  # room for the empty message and the axis caption
    height = top + plot + bottom
    parts = _open("by-day", width, height, "Tasks done by day after treatment", _description(bars))
    if not bars:
        return _empty(parts, width, height)
    base = top + plot
    for tick in (0, 50, 100):
        y = base - plot * tick // 100
        parts += [
            f'<line x1="{left}" y1="{y}" x2="{width - 8}" y2="{y}" stroke="{_TRACK}"/>',
            f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" fill="{_MUTED}" '
            f"{_FONT}>{tick}%</text>",
        ]
    for place, bar in enumerate(bars):
        x = left + place * column
        tall = 0 if bar.percent is None else round(plot * bar.percent / 100)
        parts += [
            f"<g><title>{escape(bar.spoken)}</title>",
            f'<rect x="{x + 3}" y="{base - tall}" width="{column - 6}" height="{tall}" '
            f'fill="{_BAR}"/>',
            f'<text x="{x + column // 2}" y="{base + 16}" text-anchor="middle" fill="{_INK}" '
            f"{_FONT}>{escape(bar.label)}</text>",
            "</g>",
        ]
    parts.append(
        f'<text x="{left}" y="{height - 6}" fill="{_MUTED}" '
        f"{_FONT}>Day after treatment (0 = treatment day)</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
