"""Rates with their sample size and Wilson interval, and period-over-period changes."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Rate:
    """successes / trials, e.g. sessions that purchased / sessions that checked out."""

    successes: int
    trials: int

    @property
    def value(self) -> float | None:
        return self.successes / self.trials if self.trials else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.successes, self.trials)

    def is_uncertain(self, max_width: float) -> bool:
        """Too few trials to trust: no trials at all, or an interval wider than `max_width`."""
        if self.trials <= 0:
            return True
        interval = self.interval
        return interval is not None and interval[1] - interval[0] > max_width


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval; unlike p ± z·se it stays inside [0, 1] for small samples."""
    if trials <= 0 or not 0 <= successes <= trials:
        return None
    p = successes / trials
    z2_n = z * z / trials
    centre = (p + z2_n / 2) / (1 + z2_n)
    half = z * math.sqrt(p * (1 - p) / trials + z2_n / (4 * trials)) / (1 + z2_n)
    return max(0.0, centre - half), min(1.0, centre + half)


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def relative_change(current: float | None, previous: float | None) -> float | None:
    """(current − previous) / previous; None when there is nothing to compare with."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / previous
