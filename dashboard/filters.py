"""The filters every page shares: a date range, devices and channels."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

# Bounds on what a browser may send: the values only ever travel as query parameters, but a
# client can post anything over the websocket, and a huge list would still cost a scan.
MAX_RANGE_DAYS = 3660
MAX_VALUES = 50
MAX_VALUE_LENGTH = 200


class FilterError(ValueError):
    """A filter value cannot be used; the message says which one and what to do."""


@dataclass(frozen=True)
class Filters:
    """A closed date range [start, end] in the reporting day, plus optional segments.

    Empty `devices` / `channels` mean "all".
    """

    start: date
    end: date
    devices: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise FilterError(
                f"the date range starts ({self.start}) after it ends ({self.end}); swap the dates"
            )
        if self.days > MAX_RANGE_DAYS:
            raise FilterError(
                f"the date range spans {self.days} days; choose at most {MAX_RANGE_DAYS}"
            )
        for name, values in (("device", self.devices), ("channel", self.channels)):
            if len(values) > MAX_VALUES:
                raise FilterError(
                    f"{len(values)} {name} values selected; choose at most {MAX_VALUES}"
                )
            if any(len(value) > MAX_VALUE_LENGTH for value in values):
                raise FilterError(f"a {name} value is longer than {MAX_VALUE_LENGTH} characters")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def is_segmented(self) -> bool:
        return bool(self.devices or self.channels)

    def previous(self) -> Filters:
        """The period of equal length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return Filters(end - timedelta(days=self.days - 1), end, self.devices, self.channels)

    def params(self) -> dict[str, object]:
        """Query parameters: the range, the previous period's start, and the segments."""
        return {
            "start": self.start,
            "end": self.end,
            "previous_start": self.previous().start,
            "devices": list(self.devices),
            "channels": list(self.channels),
        }


def filters_from_inputs(
    dates: Iterable[object] | None,
    devices: Iterable[object] | None,
    channels: Iterable[object] | None,
) -> Filters:
    """Filters from what the browser sent, which may be anything: a clear error if unusable."""
    values = list(dates or ())
    if len(values) != 2 or any(value is None for value in values):
        raise FilterError("choose both a start and an end date")
    start, end = (as_date(value) for value in values)
    return Filters(start, end, clean_values(devices), clean_values(channels))


def as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise FilterError(f"{str(value)[:40]!r} is not a date; use YYYY-MM-DD") from None


def clean_values(values: Iterable[object] | None) -> tuple[str, ...]:
    if values is None or isinstance(values, str):
        values = [values] if values else []
    return tuple(sorted({str(value) for value in values if str(value).strip()}))
