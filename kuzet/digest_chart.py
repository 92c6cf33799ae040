"""The digest's picture: per-topic counts for the day against the 30 days before (Pillow PNG).

One row per topic: 31 bars (the 30 previous days in grey, the day itself at the right end),
a dashed line at the 30-day average, and the figures in words beside them. The day's bar is
red when it is a spike (at least SPIKE_MIN and at least SPIKE_FACTOR times the average), dark
blue otherwise, so a spike stands out at a glance. Drawn at twice the size it is shown at,
so it stays sharp on high-density screens.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from PIL import Image, ImageDraw, ImageFont

SPIKE_MIN, SPIKE_FACTOR = 3, 2.0
WIDTH, ROW_HEIGHT, TOP, BOTTOM = 600, 62, 30, 24  # display pixels
SCALE = 2
LABEL_W, FIGURES_W = 170, 104
GREY, DAY, SPIKE, INK, MUTED, RULE = (
    "#b9c3cd",
    "#1f4e79",
    "#c62828",
    "#1a1a1a",
    "#5f6b76",
    "#d9dee3",
)


@dataclass
class TopicSeries:
    """One topic's daily counts: `counts[-1]` is the digest's day, the rest the days before."""

    topic: str
    label: str
    counts: list[int]

    @property
    def today(self) -> int:
        return self.counts[-1]

    @property
    def before(self) -> list[int]:
        return self.counts[:-1]

    @property
    def average(self) -> float:
        return sum(self.before) / len(self.before) if self.before else 0.0

    @property
    def highest_before(self) -> int:
        return max(self.before, default=0)

    @property
    def spike(self) -> bool:
        return self.today >= SPIKE_MIN and self.today >= SPIKE_FACTOR * self.average


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size * SCALE)


def _fmt_day(d: date) -> str:
    return f"{d.day} {d.strftime('%b')}"


def alt_text(series: list[TopicSeries], days: list[date]) -> str:
    """The chart in words, with every number a reader needs."""
    span = f"{_fmt_day(days[0])} – {_fmt_day(days[-1])} {days[-1].year}"
    parts = [f"Flagged documents per day, {span}."]
    for s in series:
        note = " (a spike)" if s.spike else ""
        parts.append(
            f"{s.label}: {s.today} on {_fmt_day(days[-1])}{note}; 30-day average "
            f"{s.average:.1f}, highest {s.highest_before}."
        )
    return " ".join(parts)


def draw(series: list[TopicSeries], days: list[date]) -> bytes:
    """The chart as PNG bytes."""
    height = TOP + ROW_HEIGHT * len(series) + BOTTOM
    img = Image.new("RGB", (WIDTH * SCALE, height * SCALE), "white")
    pen = ImageDraw.Draw(img)
    s = SCALE
    title = f"Flagged documents per day, {_fmt_day(days[0])} to {_fmt_day(days[-1])}"
    pen.text((8 * s, 8 * s), title, fill=INK, font=_font(13))
    left, right = LABEL_W, WIDTH - FIGURES_W
    slot = (right - left) / len(days)
    for row, topic in enumerate(series):
        y0 = TOP + row * ROW_HEIGHT
        base = y0 + ROW_HEIGHT - 10
        top = y0 + 8
        pen.line(
            [(8 * s, (y0 + ROW_HEIGHT) * s), ((WIDTH - 8) * s, (y0 + ROW_HEIGHT) * s)],
            fill=RULE,
            width=s,
        )
        colour = SPIKE if topic.spike else DAY
        pen.text((8 * s, (y0 + 10) * s), topic.label, fill=INK, font=_font(12))
        pen.text(
            (8 * s, (y0 + 28) * s),
            f"{topic.today} on {_fmt_day(days[-1])}",
            fill=colour,
            font=_font(15),
        )
        peak = max(max(topic.counts), 1)
        for i, n in enumerate(topic.counts):
            x0 = left + i * slot + 1
            x1 = left + (i + 1) * slot - 1
            h = (base - top) * n / peak
            fill = colour if i == len(topic.counts) - 1 else GREY
            if n:
                pen.rectangle([x0 * s, (base - h) * s, x1 * s, base * s], fill=fill)
        pen.line([(left * s, base * s), (right * s, base * s)], fill=MUTED, width=s)
        avg_y = base - (base - top) * topic.average / peak
        x = left
        while x < right:  # dashed average line
            pen.line([(x * s, avg_y * s), (min(x + 4, right) * s, avg_y * s)], fill=INK, width=s)
            x += 8
        figures = f"avg {topic.average:.1f}\nmax {topic.highest_before}"
        if topic.spike:
            figures += "\nSPIKE"
        pen.multiline_text(
            ((right + 10) * s, (y0 + 8) * s),
            figures,
            fill=MUTED if not topic.spike else SPIKE,
            font=_font(11),
            spacing=2 * s,
        )
    foot = TOP + ROW_HEIGHT * len(series) + 6
    pen.text((left * s, foot * s), _fmt_day(days[0]), fill=MUTED, font=_font(10))
    last = _fmt_day(days[-1])
    width = pen.textlength(last, font=_font(10))
    pen.text((right * s - width, foot * s), last, fill=MUTED, font=_font(10))
    pen.text(((right + 10) * s, foot * s), "- - 30-day avg", fill=MUTED, font=_font(10))
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def display_size(series: list[TopicSeries]) -> tuple[int, int]:
    """Width and height (CSS pixels) the chart is shown at."""
    return WIDTH, TOP + ROW_HEIGHT * len(series) + BOTTOM
