"""Small inline SVG charts (no scripts, no external resources): bar chart, histogram, line chart.

Every text that goes into a chart is escaped; the functions return :class:`markupsafe.Markup`
ready to be placed in a Jinja2 template with autoescape. Charts scale with the page
(``viewBox``, ``width: 100%``) and print as vectors (WeasyPrint draws inline SVG).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from reports.render import ru_number

PALETTE = ("#1f5fbf", "#d9822b", "#2e8b57", "#9b3fb5", "#b3261e", "#5a6b7b")
FONT = 'font-family="PT Sans, Segoe UI, Arial, sans-serif"'


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _num(value: float | None, digits: int = 1) -> str:
    return ru_number(value, digits)


def _svg(width: int, height: int, title: str, body: list[str], css_class: str) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {escape(css_class)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" {FONT} font-size="12">'
        f"<title>{escape(title)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")


def _nice_max(value: float) -> float:
    """A round upper bound of an axis: 1, 2, 5 × 10ⁿ."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def bar_chart(
    data: Sequence[tuple[str, float | None]],
    *,
    title: str,
    max_value: float = 100,
    unit: str = "\u00a0%",
    width: int = 720,
    label_width: int = 360,
    bar_height: int = 18,
    digits: int = 1,
    color: str = PALETTE[0],
) -> Markup:
    """Horizontal bars, one per ``(label, value)``; a None value is drawn as «нет данных»."""
    gap = 8
    top = 6
    height = top + len(data) * (bar_height + gap) + 4
    plot = width - label_width - 70
    body = []
    for i, (label, value) in enumerate(data):
        y = top + i * (bar_height + gap)
        limit = max(8, int((label_width - 12) / 6.6))  # characters that fit at 12 px
        text = label if len(label) <= limit else label[: limit - 1].rstrip() + "…"
        body.append(
            f'<text x="{label_width - 8}" y="{y + bar_height * 0.72:.1f}" text-anchor="end"><title>{escape(label)}</title>{escape(text)}</text>'
        )
        body.append(f'<rect x="{label_width}" y="{y}" width="{plot}" height="{bar_height}" fill="#f0f1f4"/>')
        if value is None:
            body.append(f'<text x="{label_width + 6}" y="{y + bar_height * 0.72:.1f}" fill="#777">нет данных</text>')
            continue
        w = max(0.0, min(1.0, value / max_value if max_value else 0)) * plot
        body.append(f'<rect class="bar" x="{label_width}" y="{y}" width="{_fmt(w)}" height="{bar_height}" fill="{escape(color)}"/>')
        body.append(
            f'<text x="{label_width + w + 6:.1f}" y="{y + bar_height * 0.72:.1f}">{escape(_num(value, digits) + unit)}</text>'
        )
    return _svg(width, height, title, body, "bar-chart")


def histogram(
    bins: Sequence[tuple[str, int]],
    *,
    title: str,
    x_label: str = "",
    y_label: str = "организаций",
    width: int = 720,
    height: int = 260,
    color: str = PALETTE[0],
) -> Markup:
    """Vertical bars with counts: ``bins`` is ``[(bin label, count), …]``."""
    left, right, top, bottom = 48, 12, 16, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = _nice_max(max((n for _, n in bins), default=0))
    if y_max < 20 and y_max % 4:  # counts: whole numbers on the four grid lines
        y_max = -(-y_max // 4) * 4
    body = [f'<text x="{left}" y="11" fill="#555">{escape(y_label)}</text>']
    for k in range(5):
        v = y_max * k / 4
        y = top + plot_h - plot_h * k / 4
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{escape(_num(v, 0 if v == int(v) else 1))}</text>')
    n = max(1, len(bins))
    slot = plot_w / n
    for i, (label, count) in enumerate(bins):
        h = plot_h * count / y_max if y_max else 0
        x = left + i * slot + slot * 0.12
        y = top + plot_h - h
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.76:.1f}" height="{h:.1f}" fill="{escape(color)}">'
            f"<title>{escape(label)}: {count}</title></rect>"
        )
        if count:
            body.append(f'<text x="{x + slot * 0.38:.1f}" y="{y - 4:.1f}" text-anchor="middle">{count}</text>')
        body.append(f'<text x="{x + slot * 0.38:.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#333">{escape(label)}</text>')
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#888"/>')
    if x_label:
        body.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" fill="#555">{escape(x_label)}</text>')
    return _svg(width, height, title, body, "histogram")


def line_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    y_max: float | None = 100,
    unit: str = "",
    width: int = 720,
    height: int = 280,
    value_format: Callable[[float], str] | None = None,
) -> Markup:
    """Lines over categories (months); a None value breaks the line. A legend is drawn below."""
    fmt = value_format or (lambda v: _num(v, 1) + unit)
    legend_rows = (len(series) + 1) // 2
    left, right, top, bottom = 60, 44, 14, 34 + 18 * legend_rows
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = y_max if y_max is not None else _nice_max(max((v for _, vs in series for v in vs if v is not None), default=1))
    body = []
    for k in range(5):
        v = top_value * k / 4
        y = top + plot_h - plot_h * k / 4
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{escape(_num(v, 0 if v == int(v) else 1))}</text>')
    n = len(categories)

    def x_of(i: int) -> float:
        return left + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y_of(v: float) -> float:
        return top + plot_h - plot_h * max(0.0, min(v, top_value)) / top_value if top_value else top + plot_h

    for i, cat in enumerate(categories):
        body.append(f'<text x="{x_of(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#333">{escape(cat)}</text>')
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#888"/>')
    for s, (name, values) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        segment: list[str] = []
        segments = []
        for i, v in enumerate(values):
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x_of(i):.1f},{y_of(v):.1f}")
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) > 1:
                body.append(f'<polyline class="line" fill="none" stroke="{color}" stroke-width="2.5" points="{" ".join(seg)}"/>')
        for i, v in enumerate(values):
            if v is not None:
                body.append(
                    f'<circle cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="3.5" fill="{color}">'
                    f"<title>{escape(name)}, {escape(categories[i])}: {escape(fmt(v))}</title></circle>"
                )
        lx = left + (s % 2) * (plot_w / 2)
        ly = top + plot_h + 36 + 18 * (s // 2)
        body.append(f'<rect x="{lx:.1f}" y="{ly - 9}" width="14" height="4" fill="{color}"/>')
        body.append(f'<text x="{lx + 20:.1f}" y="{ly - 3}">{escape(name)}</text>')
    return _svg(width, height, title, body, "line-chart")
