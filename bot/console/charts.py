"""Charts as plain SVG shapes computed here and drawn by the templates (autoescaped).

No chart library: a bar chart of 30 days is a few dozen rectangles, and drawing it on the
server keeps the page free of scripts and readable without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 600, 200
PAD_LEFT, PAD_RIGHT, PAD_BOTTOM, PAD_TOP = 34, 18, 22, 10
SERIES = ("chat", "image", "video")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str


@dataclass
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    baseline: float
    left: float


def stacked_days(series: dict[str, dict[str, int]], names: dict[str, str]) -> BarChart:
    """One stacked bar per day (chat, image, video), days oldest first."""
    days = list(series)
    top = max([sum(series[d].get(s, 0) for s in SERIES) for d in days] + [1])
    top = _nice(top)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    step = plot_w / max(len(days), 1)
    bars: list[Bar] = []
    x_ticks: list[Tick] = []
    baseline = HEIGHT - PAD_BOTTOM
    for index, day in enumerate(days):
        x = PAD_LEFT + index * step + step * 0.15
        y = baseline
        for name in SERIES:
            value = series[day].get(name, 0)
            if value <= 0:
                continue
            h = plot_h * value / top
            y -= h
            bars.append(Bar(round(x, 1), round(y, 1), round(step * 0.7, 1), round(h, 1), name,
                            f"{day} {names.get(name, name)} {value}"))  # fmt: skip
        if index % 5 == 0 or index == len(days) - 1:
            x_ticks.append(Tick(round(x + step * 0.35, 1), HEIGHT - 6, day[5:]))
    y_ticks = [
        Tick(PAD_LEFT - 4, round(baseline - plot_h * part / 4, 1), str(top * part // 4))
        for part in range(5)
    ]
    return BarChart(WIDTH, HEIGHT, bars, x_ticks, y_ticks, baseline, PAD_LEFT)


def _nice(value: int) -> int:
    """A round top for the axis (divisible by 4 so the ticks are whole numbers)."""
    for nice in (4, 8, 12, 20, 40, 60, 100, 200, 400, 600, 1000, 2000, 4000, 10000):
        if value <= nice:
            return nice
    return -(-value // 4000) * 4000


@dataclass(frozen=True)
class Row:
    label: str
    value: int
    width: float  # percent of the longest


def horizontal(values: dict[str, int]) -> list[Row]:
    """Rows for a horizontal bar list (largest first), widths in percent."""
    top = max(values.values(), default=0) or 1
    return [Row(label, n, round(100 * n / top, 1))
            for label, n in sorted(values.items(), key=lambda kv: -kv[1])]  # fmt: skip


# -- failures by provider: one horizontal bar per provider, stacked by reason ----------------

REASON_COLOURS = 8  # CSS classes r-0 … r-7; more reasons than that share colours in turn
ROW_H, ROW_GAP, LABEL_W = 22, 8, 96


@dataclass(frozen=True)
class Key:
    css: str  # the colour class
    label: str
    value: int


@dataclass
class RowChart:
    width: int
    height: int
    bars: list[Bar]
    labels: list[Tick]  # provider names, left of their bars
    totals: list[Tick]  # each bar's sum, right of it
    keys: list[Key]  # the legend: reasons, most frequent first
    left: float


def stacked_rows(rows: dict[str, dict[str, int]], row_names: dict[str, str],
                 part_names: dict[str, str]) -> RowChart:  # fmt: skip
    """One bar per row (largest first), split into parts (e.g. failure reasons) that keep
    one colour across rows; the longest bar spans the plot."""
    part_totals: dict[str, int] = {}
    for parts in rows.values():
        for part, n in parts.items():
            part_totals[part] = part_totals.get(part, 0) + n
    order = sorted(part_totals, key=lambda p: (-part_totals[p], p))
    css = {part: f"r-{i % REASON_COLOURS}" for i, part in enumerate(order)}
    sums = {row: sum(parts.values()) for row, parts in rows.items()}
    top = max(sums.values(), default=0) or 1
    plot_w = WIDTH - LABEL_W - 40
    bars: list[Bar] = []
    labels: list[Tick] = []
    totals: list[Tick] = []
    for index, row in enumerate(sorted(rows, key=lambda r: (-sums[r], r))):
        y = PAD_TOP + index * (ROW_H + ROW_GAP)
        x = float(LABEL_W)
        name = row_names.get(row, row)
        for part in order:
            n = rows[row].get(part, 0)
            if n <= 0:
                continue
            w = plot_w * n / top
            bars.append(Bar(round(x, 1), y, round(w, 1), ROW_H, css[part],
                            f"{name} {part_names.get(part, part)} {n}"))  # fmt: skip
            x += w
        labels.append(Tick(LABEL_W - 6, y + ROW_H * 0.7, name))
        totals.append(Tick(round(x + 4, 1), y + ROW_H * 0.7, str(sums[row])))
    height = PAD_TOP * 2 + max(len(rows), 1) * (ROW_H + ROW_GAP)
    keys = [Key(css[p], part_names.get(p, p), part_totals[p]) for p in order]
    return RowChart(WIDTH, height, bars, labels, totals, keys, LABEL_W)
