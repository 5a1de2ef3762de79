"""The browser SDK on a simulated clock, and the network between it and the ingest API.

`Browser` builds events exactly as `sdk/src/index.ts` does (same fields, same key order,
`ts` from the device clock, `referrer` from the previous page) and batches them the same
way: a batch is posted when it holds 10 events, 5 seconds after its first event, or when
the page is left. `deliveries` then decides what the network does to each posted batch:
latency, an offline device that sends hours or days later, a lost response that makes
the SDK post the same batch again (at-least-once delivery).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any

from generator.randomness import uuid7

BATCH_SIZE = 10
FLUSH_INTERVAL_MS = 5_000
HOUR_MS = 3_600_000
NAIVE_EPOCH = datetime(1970, 1, 1)  # UTC; naive, so isoformat adds no offset


def js_iso(ms: int) -> str:
    """`new Date(ms).toISOString()`: UTC with milliseconds and a trailing Z."""
    return (NAIVE_EPOCH + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds") + "Z"


@dataclass(frozen=True, slots=True)
class Batch:
    """What one POST carried: items in order, and which of them the contract accepts."""

    sent_ms: int  # true time of the post
    items: tuple[Any, ...]
    valid: tuple[bool, ...]


# Makes the invalid items a buggy page or integration adds next to an event:
# (item, whether it travels in a request of its own).
Companions = Callable[[dict[str, Any]], Iterable[tuple[Any, bool]]]


class Browser:
    """One browser tab running the SDK for one session."""

    def __init__(
        self,
        rng: Random,
        *,
        session_id: str,
        anonymous_id: str,
        device_type: str,
        clock_skew_ms: int,
        start_ms: int,
        companions: Companions | None = None,
    ) -> None:
        self.rng = rng
        self.session_id = session_id
        self.anonymous_id = anonymous_id
        self.device_type = device_type
        self.clock_skew_ms = clock_skew_ms
        self.now = start_ms
        self.companions = companions
        self.user_id: str | None = None
        self.page_url = ""
        self.page_title: str | None = None
        self.referrer: str | None = None
        self.batches: list[Batch] = []
        self.events = 0
        self._items: list[Any] = []
        self._valid: list[bool] = []
        self._first_buffered_ms = 0

    def navigate(self, url: str, title: str, referrer: str | None, load_ms: int) -> None:
        """Leave the current page (the SDK flushes on pagehide) and load the next one."""
        self.wait(0)
        self.flush()
        self.now += load_ms
        self.page_url, self.page_title, self.referrer = url, title, referrer

    def leave_site(self, away_ms: int) -> None:
        """The visitor is on another site (a payment page): nothing is recorded meanwhile."""
        self.wait(0)
        self.flush()
        self.now += away_ms

    def wait(self, ms: int) -> None:
        self.now += ms
        if self._items and self.now >= self._first_buffered_ms + FLUSH_INTERVAL_MS:
            self.flush(self._first_buffered_ms + FLUSH_INTERVAL_MS)

    def close(self, linger_ms: int) -> None:
        """The tab is closed after `linger_ms` on the last page."""
        self.wait(linger_ms)
        self.flush()

    def track(
        self,
        event_type: str,
        ecom: dict[str, Any] | None = None,
        props: dict[str, Any] | None = None,
    ) -> None:
        self.wait(0)
        event: dict[str, Any] = {
            "event_id": uuid7(self.rng, self.now + self.clock_skew_ms),
            "ts": js_iso(self.now + self.clock_skew_ms),
            "event_type": event_type,
            "session_id": self.session_id,
            "anonymous_id": self.anonymous_id,
            "page_url": self.page_url,
            "device": {"type": self.device_type},
        }
        if self.user_id:
            event["user_id"] = self.user_id
        if self.referrer:
            event["referrer"] = self.referrer
        if self.page_title:
            event["page_title"] = self.page_title
        if ecom:
            event["ecom"] = ecom
        if props:
            event["props"] = props
        self.events += 1
        self._buffer(event, valid=True)
        for item, alone in self.companions(event) if self.companions else ():
            if alone:
                self.batches.append(Batch(self.now, (item,), (False,)))
            else:
                self._buffer(item, valid=False)
        if len(self._items) >= BATCH_SIZE:
            self.flush()
        # Events on one page are a moment apart (render, handlers).
        self.now += self.rng.randrange(5, 400)

    def flush(self, at_ms: int | None = None) -> None:
        if self._items:
            sent = self.now if at_ms is None else at_ms
            self.batches.append(Batch(sent, tuple(self._items), tuple(self._valid)))
            self._items, self._valid = [], []

    def _buffer(self, item: Any, *, valid: bool) -> None:
        if not self._items:
            self._first_buffered_ms = self.now
        self._items.append(item)
        self._valid.append(valid)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One request as the ingest API receives it."""

    received_us: int  # server clock, microseconds since the epoch
    sent_ms: int  # device clock when posted: the SDK's `sent_at`
    clock_skew_ms: int  # device clock minus true time
    items: tuple[Any, ...]
    valid: tuple[bool, ...]
    is_copy: bool  # a re-post of a batch the server had already stored
    is_late: bool  # held back by an offline device for an hour or more

    def payload(self, sent_ms: int | None = None) -> list[Any]:
        """The request's `events` array; the SDK stamps `sent_at` on each post (by default
        the simulated one; a live sender passes its own clock plus the device's skew)."""
        sent_at = js_iso(self.sent_ms if sent_ms is None else sent_ms)
        return [
            {**item, "sent_at": sent_at} if isinstance(item, dict) else item for item in self.items
        ]


@dataclass(frozen=True)
class Network:
    late_probability: float
    duplicate_probability: float
    window_end_ms: int  # held-back requests are delivered before the period ends


def late_delay_ms(rng: Random) -> int:
    """How long an offline device holds a batch: mostly hours, sometimes days."""
    draw = rng.random()
    if draw < 0.6:
        return rng.randrange(HOUR_MS, 6 * HOUR_MS)
    if draw < 0.9:
        return rng.randrange(6 * HOUR_MS, 24 * HOUR_MS)
    return rng.randrange(24 * HOUR_MS, 72 * HOUR_MS)


def latency_us(rng: Random, mobile: bool) -> int:
    return rng.randrange(40_000, 600_000) if mobile else rng.randrange(15_000, 150_000)


def deliveries(
    batches: Iterable[Batch],
    rng: Random,
    network: Network,
    *,
    clock_skew_ms: int,
    mobile: bool,
    can_be_late: bool,
) -> list[Delivery]:
    delivered = []
    for batch in batches:
        send_ms = batch.sent_ms
        is_late = False
        if can_be_late and rng.random() < network.late_probability:
            held_until = min(send_ms + late_delay_ms(rng), network.window_end_ms - 60_000)
            if held_until - send_ms >= HOUR_MS:
                send_ms, is_late = held_until, True
        copies = 0
        if rng.random() < network.duplicate_probability:
            copies = 2 if rng.random() < 0.1 else 1
        for copy in range(copies + 1):
            if copy:
                # The response was lost: the SDK retries after its backoff.
                send_ms += rng.randrange(1_000, 30_000)
            delivered.append(
                Delivery(
                    received_us=send_ms * 1000 + latency_us(rng, mobile),
                    sent_ms=send_ms + clock_skew_ms,
                    clock_skew_ms=clock_skew_ms,
                    items=batch.items,
                    valid=batch.valid,
                    is_copy=copy > 0,
                    is_late=is_late,
                )
            )
    return delivered
