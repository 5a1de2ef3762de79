"""Configuration read from environment variables, with local defaults.

Every variable the platform reads is declared here (the README's configuration table
is the human view of this module). Values are read when a settings object is built,
not at import, so tests and the CLI can set the environment first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


def env_str(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not an integer; set it to a whole number") from exc
    if value < minimum:
        raise ConfigError(f"{name}={value} is below the minimum of {minimum}")
    return value


def env_list(name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    raw = os.environ.get(name, "")
    items = tuple(item.strip() for item in raw.split(",") if item.strip())
    return items or default


def state_dir() -> Path:
    """Folder for the embedded Postgres, the local lake and run artefacts."""
    return Path(env_str("CLICKSTREAM_STATE_DIR", str(PROJECT_ROOT / ".clickstream"))).resolve()


def default_lake() -> str:
    return env_str("CLICKSTREAM_LAKE", str(state_dir() / "lake"))


@dataclass(frozen=True)
class IngestLimits:
    """SPEC §3 limits, checked before schema validation."""

    max_body_bytes: int = 1_048_576
    max_events: int = 500
    max_event_bytes: int = 32_768
    max_depth: int = 10

    @classmethod
    def from_env(cls) -> IngestLimits:
        return cls(
            max_body_bytes=env_int("INGEST_MAX_BODY_BYTES", cls.max_body_bytes, minimum=1024),
            max_events=env_int("INGEST_MAX_EVENTS", cls.max_events, minimum=1),
            max_event_bytes=env_int("INGEST_MAX_EVENT_BYTES", cls.max_event_bytes, minimum=256),
            max_depth=env_int("INGEST_MAX_DEPTH", cls.max_depth, minimum=2),
        )


LOCAL_HASH_SALT = "local-development-salt-change-me"


@dataclass(frozen=True)
class EnrichmentSettings:
    """What the server adds to every event. The salt is a secret: never log it."""

    user_id_salt: str = field(default=LOCAL_HASH_SALT, repr=False)

    @classmethod
    def from_env(cls) -> EnrichmentSettings:
        return cls(user_id_salt=env_str("CLICKSTREAM_USER_ID_SALT", LOCAL_HASH_SALT))
