"""The ingest API's configuration, read from environment variables with local defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.settings import (
    ConfigError,
    EnrichmentSettings,
    IngestLimits,
    default_lake,
    env_int,
    env_list,
    env_str,
)

# SQS's historical maximum message size; queues created before 2025 still default to it.
DEFAULT_DLQ_MESSAGE_BYTES = 262_144


@dataclass(frozen=True)
class IngestConfig:
    """Everything `IngestService` needs to know; build it with `from_env()`."""

    lake_url: str
    dlq_url: str | None = None
    dlq_max_message_bytes: int = DEFAULT_DLQ_MESSAGE_BYTES
    # Exact origins ("https://shop.example") allowed to call the API from a browser; "*" = any.
    allowed_origins: tuple[str, ...] = ()
    # Write keys are public (they ship in the page's JavaScript) but still never logged.
    write_keys: tuple[str, ...] = field(default=(), repr=False)
    limits: IngestLimits = field(default_factory=IngestLimits)
    enrichment: EnrichmentSettings = field(default_factory=EnrichmentSettings)

    @classmethod
    def from_env(cls, *, lake_url: str | None = None) -> IngestConfig:
        return cls(
            lake_url=lake_url or default_lake(),
            dlq_url=env_str("INGEST_DLQ_URL", "") or None,
            dlq_max_message_bytes=env_int(
                "INGEST_DLQ_MAX_MESSAGE_BYTES", DEFAULT_DLQ_MESSAGE_BYTES, minimum=1024
            ),
            allowed_origins=tuple(
                normalise_origin(origin) for origin in env_list("INGEST_ALLOWED_ORIGINS")
            ),
            write_keys=env_list("INGEST_WRITE_KEYS"),
            limits=IngestLimits.from_env(),
            enrichment=EnrichmentSettings.from_env(),
        )


def normalise_origin(origin: str) -> str:
    """Origins compare case-insensitively and never carry a path or trailing slash."""
    cleaned = origin.strip().rstrip("/").lower()
    if cleaned != "*" and "://" not in cleaned:
        raise ConfigError(
            f"INGEST_ALLOWED_ORIGINS entry {origin!r} is not an origin; "
            "write it as scheme://host[:port], e.g. https://shop.example"
        )
    return cleaned
