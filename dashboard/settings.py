"""The dashboard's configuration, read from the environment with local defaults."""

from __future__ import annotations

from dataclasses import dataclass

from shared.settings import env_int


@dataclass(frozen=True)
class DashboardSettings:
    # The loader's schedule: results older than one load cannot be newer than the data.
    load_interval_seconds: int = 3600
    freshness_slo_seconds: int = 7200
    # A rate whose Wilson 95% interval is wider than this rests on too few sessions.
    max_interval_width: float = 0.10
    default_range_days: int = 28
    cache_max_entries: int = 2048
    # While the warehouse is down or not built, pages try again this often, and so recover
    # without a reload.
    retry_seconds: int = 15

    @classmethod
    def from_env(cls) -> DashboardSettings:
        return cls(
            load_interval_seconds=60
            * env_int(
                "CLICKSTREAM_LOAD_INTERVAL_MINUTES", cls.load_interval_seconds // 60, minimum=1
            ),
            freshness_slo_seconds=60
            * env_int(
                "CLICKSTREAM_FRESHNESS_SLO_MINUTES", cls.freshness_slo_seconds // 60, minimum=1
            ),
            max_interval_width=env_int(
                "DASHBOARD_MAX_INTERVAL_POINTS", round(cls.max_interval_width * 100), minimum=1
            )
            / 100,
            default_range_days=env_int("DASHBOARD_DEFAULT_DAYS", cls.default_range_days, minimum=1),
            retry_seconds=env_int("DASHBOARD_RETRY_SECONDS", cls.retry_seconds, minimum=1),
        )
