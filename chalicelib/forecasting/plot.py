"""History vs forecast with its interval as a hand-written SVG (no plotting library: the
API Lambda carries none; the evaluation reports use the same drawing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

WIDTH, HEIGHT = 800, 320
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 30, 40


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        return [low]
    step = (high - low) / (count - 1)
    return [low + i * step for i in range(count)]


def _label(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 1_000:
        return f"{value / 1_000:.0f}k"
    return f"{value:.0f}"


def forecast_svg(
    title: str,
    history: Sequence[tuple[date, float]],
    forecast: Sequence[tuple[date, float, float, float]],
    actual: Sequence[tuple[date, float]] = (),
) -> str:
    """An SVG line chart: history (grey), forecast median (blue) inside its interval band
    (light blue), and, when given, the actuals of the forecast period (black dots)."""
    days = [d for d, _ in history] + [row[0] for row in forecast] + [d for d, _ in actual]
    values = (
        [v for _, v in history]
        + [v for row in forecast for v in row[1:]]
        + [v for _, v in actual]
        + [0.0]
    )
    if not days:
        days = [date.today()]
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    top = max(values) * 1.05 or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    def path(points: Sequence[tuple[float, float]]) -> str:
        return " ".join(
            f"{'M' if i == 0 else 'L'}{px:.1f},{py:.1f}" for i, (px, py) in enumerate(points)
        )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="18" font-size="13">{escape(title)}</text>',
    ]
    for tick in _ticks(0.0, top):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'stroke="#eee"/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{_label(tick)}</text>'
        )
    for i in range(5):
        day = date.fromordinal(first.toordinal() + round(span * i / 4))
        parts.append(
            f'<text x="{x(day):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
            f"{day.isoformat()}</text>"
        )
    if forecast:
        upper = [(x(row[0]), y(row[3])) for row in forecast]
        lower = [(x(row[0]), y(row[2])) for row in reversed(forecast)]
        parts.append(f'<path d="{path(upper + lower)} Z" fill="#9ecae1" fill-opacity="0.5"/>')
        parts.append(
            f'<path d="{path([(x(r[0]), y(r[1])) for r in forecast])}" fill="none" '
            'stroke="#1f77b4" stroke-width="2"/>'
        )
    if history:
        parts.append(
            f'<path d="{path([(x(d), y(v)) for d, v in history])}" fill="none" '
            'stroke="#888" stroke-width="1.2"/>'
        )
    for d, v in actual:
        parts.append(f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="2.2" fill="black"/>')
    legend = [("#888", "history"), ("#1f77b4", "forecast (interval shaded)")]
    if actual:
        legend.append(("black", "actual"))
    for i, (colour, name) in enumerate(legend):
        lx = WIDTH - RIGHT - 190
        ly = TOP + 12 + 14 * i
        parts.append(
            f'<rect x="{lx}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{ly + 1}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
