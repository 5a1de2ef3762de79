"""Pure pieces: Wilson intervals, filters from browser input, the previous period, formats."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.filters import FilterError, Filters, filters_from_inputs
from dashboard.formatting import format_change, format_duration, format_value
from dashboard.settings import DashboardSettings
from dashboard.stats import Rate, wilson_interval


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Published Wilson score intervals (95%): 0/10 → [0, 0.2775], 5/10 → [0.2366, 0.7634],
        # 81/263 → [0.2553, 0.3662] (Wallis 2013's worked example).
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (81, 263, 0.2553, 0.3662),
    ],
)
def test_wilson_interval_matches_published_values(
    successes: int, trials: int, low: float, high: float
) -> None:
    interval = wilson_interval(successes, trials)
    assert interval == (pytest.approx(low, abs=1e-4), pytest.approx(high, abs=1e-4))


def test_a_rate_warns_when_its_interval_is_wider_than_the_threshold() -> None:
    assert Rate(5, 10).is_uncertain(0.10)  # 53 points wide
    assert not Rate(500, 10_000).is_uncertain(0.10)  # 0.9 points wide
    assert Rate(0, 0).is_uncertain(0.10)
    assert Rate(0, 0).value is None
    assert wilson_interval(3, 2) is None  # not a proportion


def test_the_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    week = Filters(date(2024, 3, 8), date(2024, 3, 14), ("mobile",), ("Email",))
    assert week.previous() == Filters(date(2024, 3, 1), date(2024, 3, 7), ("mobile",), ("Email",))
    assert Filters(date(2024, 3, 1), date(2024, 3, 1)).previous().start == date(2024, 2, 29)


def test_filters_from_browser_input() -> None:
    filters = filters_from_inputs(("2024-03-08", "2024-03-14"), ["tablet", "mobile", ""], None)
    assert filters == Filters(date(2024, 3, 8), date(2024, 3, 14), ("mobile", "tablet"), ())
    assert filters.is_segmented


@pytest.mark.parametrize(
    ("dates", "devices", "message"),
    [
        ((None, "2024-03-14"), (), "choose both a start and an end date"),
        (("'; drop table marts.x; --", "2024-03-14"), (), "is not a date; use YYYY-MM-DD"),
        (("2024-03-14", "2024-03-08"), (), "starts (2024-03-14) after it ends (2024-03-08)"),
        (("1900-01-01", "2024-03-08"), (), "choose at most 3660"),
        (("2024-03-08", "2024-03-14"), [str(n) for n in range(60)], "at most 50"),
        (("2024-03-08", "2024-03-14"), ["x" * 201], "longer than 200 characters"),
    ],
)
def test_unusable_filters_say_what_is_wrong(dates, devices, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        filters_from_inputs(dates, devices, ())
    assert message in str(caught.value)


def test_formats() -> None:
    assert format_value("count", 1234567) == "1,234,567"
    assert format_value("percent", 0.32) == "32.0%"
    assert format_value("decimal", 2.754) == "2.75"
    assert format_value("money", 3090) == "3,090.00"
    assert format_value("money", 168243.11) == "168,243"
    assert format_value("count", None) == "–"
    assert [format_duration(s) for s in (45, 114, 7200, 90061)] == [
        "45s",
        "1m 54s",
        "2h 00m",
        "1d 1h",
    ]
    assert format_change("count", 1.5) == "▲ 150.0%"
    assert format_change("percent", -0.18) == "▼ 18.0 pts"


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLICKSTREAM_LOAD_INTERVAL_MINUTES", "15")
    monkeypatch.setenv("CLICKSTREAM_FRESHNESS_SLO_MINUTES", "45")
    monkeypatch.setenv("DASHBOARD_MAX_INTERVAL_POINTS", "5")
    monkeypatch.setenv("DASHBOARD_RETRY_SECONDS", "3")
    settings = DashboardSettings.from_env()
    assert settings.retry_seconds == 3
    assert (settings.load_interval_seconds, settings.freshness_slo_seconds) == (900, 2700)
    assert settings.max_interval_width == pytest.approx(0.05)
