"""Charts drawn on the server as SVG geometry for the templates: no chart library, nothing from a CDN, and
no inline style (the CSP forbids it) — only SVG presentation attributes."""

from __future__ import annotations

import math
from dataclasses import dataclass

PALETTE = ["#1f4e79", "#0a66c2", "#2e8b57", "#c9822b", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d"]


@dataclass
class Bar:
    label: str
    count: int
    percent: float
    width: float  # 0..100 (% of the track)
    colour: str


@dataclass
class Slice:
    label: str
    count: int
    percent: float
    path: str
    colour: str


def bars(counts: list[tuple[str, int]]) -> list[Bar]:
    total = sum(n for _v, n in counts) or 1
    top = max((n for _v, n in counts), default=0) or 1
    return [
        Bar(str(v), n, round(100 * n / total, 1), round(100 * n / top, 2), PALETTE[i % len(PALETTE)])
        for i, (v, n) in enumerate(counts)
    ]


def pie(counts: list[tuple[str, int]], radius: float = 80, centre: float = 100) -> list[Slice]:
    """Slices of a pie of `radius` around (centre, centre) as SVG path data."""
    total = sum(n for _v, n in counts)
    if not total:
        return []
    slices, angle = [], -math.pi / 2
    for i, (value, n) in enumerate(counts):
        if not n:
            continue
        sweep = 2 * math.pi * n / total
        colour = PALETTE[i % len(PALETTE)]
        if n == total:  # a full circle is two arcs
            path = (
                f"M {centre} {centre - radius} A {radius} {radius} 0 1 1 {centre} {centre + radius} "
                f"A {radius} {radius} 0 1 1 {centre} {centre - radius} Z"
            )
        else:
            x1, y1 = centre + radius * math.cos(angle), centre + radius * math.sin(angle)
            x2, y2 = centre + radius * math.cos(angle + sweep), centre + radius * math.sin(angle + sweep)
            large = 1 if sweep > math.pi else 0
            path = (
                f"M {centre} {centre} L {x1:.2f} {y1:.2f} A {radius} {radius} 0 {large} 1 {x2:.2f} {y2:.2f} Z"
            )
        slices.append(Slice(str(value), n, round(100 * n / total, 1), path, colour))
        angle += sweep
    return slices
