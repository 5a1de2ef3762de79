"""How numbers read on screen: one place, so the browser test can rely on it."""

from __future__ import annotations

import math
from typing import Literal

Kind = Literal["count", "decimal", "percent", "duration", "money"]
MONEY_CENTS_BELOW = 10_000


def format_value(kind: Kind, value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "count":
        return f"{round(value):,}"
    if kind == "decimal":
        return f"{value:,.2f}"
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "duration":
        return format_duration(value)
    # Money: cents matter on small amounts; on large ones they only make the card wrap.
    return f"{value:,.2f}" if abs(value) < MONEY_CENTS_BELOW else f"{value:,.0f}"


def format_duration(seconds: float) -> str:
    """Two units at most: 45s, 3m 05s, 2h 10m, 3d 4h."""
    total = round(seconds)
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def format_change(kind: Kind, change: float) -> str:
    """Rates change in percentage points, everything else in per cent of the previous value."""
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    if kind == "percent":
        return f"{arrow} {abs(change) * 100:.1f} pts"
    return f"{arrow} {abs(change) * 100:.1f}%"
