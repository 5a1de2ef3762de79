"""What to generate (`GeneratorConfig`) and what was generated (`GenerationSummary`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shared.settings import ConfigError, EnrichmentSettings, IngestLimits

MAX_DAYS = 3_660
MAX_SHARE = 0.5


def today_utc() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class GeneratorConfig:
    """A run of the generator. Same config (and salt and limits), same output, byte for byte.

    The simulated period is the `days` whole UTC days before `end` (exclusive): `end`
    2025-06-08 with 7 days covers 1–7 June. `events` is approximate: sessions are planned
    to produce about that many lines (valid, duplicate and invalid) in total.
    """

    seed: int = 42
    days: int = 7
    end: date = field(default_factory=today_utc)
    events: int = 50_000
    events_per_object: int | None = None  # None: one object per request, like the ingest API
    late_share: float = 0.01
    duplicate_share: float = 0.005
    invalid_share: float = 0.002
    bot_share: float = 0.03
    workers: int = 1  # processes; the output does not depend on it
    limits: IngestLimits = field(default_factory=IngestLimits.from_env)
    enrichment: EnrichmentSettings = field(default_factory=EnrichmentSettings.from_env)

    def __post_init__(self) -> None:
        if not 1 <= self.days <= MAX_DAYS:
            raise ConfigError(f"days={self.days}: choose between 1 and {MAX_DAYS}")
        if self.events < 1:
            raise ConfigError(f"events={self.events}: ask for at least 1 event")
        if self.events_per_object is not None and self.events_per_object < 1:
            raise ConfigError(
                f"events_per_object={self.events_per_object}: use at least 1, or leave it unset "
                "for one object per request"
            )
        if self.workers < 1:
            raise ConfigError(f"workers={self.workers}: use at least 1")
        for name in ("late_share", "duplicate_share", "invalid_share", "bot_share"):
            value = getattr(self, name)
            if not 0 <= value <= MAX_SHARE:
                raise ConfigError(f"{name}={value}: choose a share between 0 and {MAX_SHARE}")

    @property
    def start(self) -> datetime:
        return datetime.combine(self.end - timedelta(days=self.days), time(), UTC)

    @property
    def stop(self) -> datetime:
        """The end of the simulated period (exclusive): no session starts at or after it, and
        no held-back request is delivered after it (a session still running at the end
        sends its last requests a few minutes later, as a real one would)."""
        return datetime.combine(self.end, time(), UTC)


@dataclass
class GenerationSummary:
    """Counts of what a run produced. `lines_written` = lines now in the lake."""

    events_by_type: Counter[str] = field(default_factory=Counter)  # distinct valid events
    valid_lines: int = 0  # lines under raw/ (duplicates included)
    invalid_lines: int = 0  # lines under invalid/
    invalid_by_reason: Counter[str] = field(default_factory=Counter)
    duplicate_lines: int = 0  # raw/ lines repeating an event already delivered
    late_events: int = 0  # distinct events received an hour or more after they happened
    bot_events: int = 0  # distinct events from crawlers and scrapers
    clock_skewed_events: int = 0  # from devices whose clock is off by over a minute
    sessions: int = 0  # human sessions
    bot_sessions: int = 0
    orders: int = 0
    revenue: float = 0.0
    requests: int = 0  # requests the ingest API received (or would have)
    objects_written: int = 0
    bytes_written: int = 0
    first_received_at: str | None = None
    last_received_at: str | None = None
    seconds: float = 0.0
    # --url only
    http_retries: int = 0
    http_refused: int = 0  # requests answered 4xx (not retried: the server wrote them off)

    @property
    def events(self) -> int:
        return sum(self.events_by_type.values())

    @property
    def lines_written(self) -> int:
        return self.valid_lines + self.invalid_lines

    def note_received(self, received_at: str) -> None:
        if self.first_received_at is None or received_at < self.first_received_at:
            self.first_received_at = received_at
        if self.last_received_at is None or received_at > self.last_received_at:
            self.last_received_at = received_at

    def merge(self, other: GenerationSummary) -> None:
        for name, value in vars(other).items():
            if isinstance(value, Counter):
                getattr(self, name).update(value)
            elif isinstance(value, int | float) and name != "seconds":
                setattr(self, name, getattr(self, name) + value)
        self.revenue = round(self.revenue, 2)
        for received_at in (other.first_received_at, other.last_received_at):
            if received_at is not None:
                self.note_received(received_at)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["events_by_type"] = dict(sorted(self.events_by_type.items()))
        data["invalid_by_reason"] = dict(sorted(self.invalid_by_reason.items()))
        data["events"] = self.events
        data["lines_written"] = self.lines_written
        data["revenue"] = round(self.revenue, 2)
        data["seconds"] = round(self.seconds, 3)
        return data
