"""Every figure each page shows, from the hand-made marts (marts_fixture.sql), against values
worked out by hand from that file's rows. Range 2024-03-08..14, previous 2024-03-01..07."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dashboard import pages
from dashboard.filters import Filters
from dashboard.reader import MartReader, WarehouseNotBuiltError
from dashboard.settings import DashboardSettings
from tests.dashboard.conftest import RANGE, admin_execute

SETTINGS = DashboardSettings()  # 10-point interval threshold, 2 h freshness SLO
MOBILE = Filters(RANGE.start, RANGE.end, devices=("mobile",))
EMPTY = Filters(date(2023, 1, 1), date(2023, 1, 7))


def kpis(page: pages.Page) -> dict[str, pages.Kpi]:
    return {kpi.key: kpi for kpi in page.kpis}


def values(page: pages.Page) -> dict[str, tuple[float | None, float | None]]:
    return {
        key: (
            None if kpi.current is None else pytest.approx(kpi.current, abs=1e-9),
            None if kpi.previous is None else pytest.approx(kpi.previous, abs=1e-9),
        )
        for key, kpi in kpis(page).items()
    }


def test_traffic_page(reader: MartReader) -> None:
    page = pages.load_traffic(reader, RANGE, SETTINGS)
    # sessions 20+5+15+10, page views 70+10+45+25, duration 3000+250+1500+950, bounces 5+3+6+2;
    # previous: sessions 10+10, views 30+20, duration 1200+600, bounces 4+6.
    assert values(page) == {
        "avg_dau": ((22 + 14 + 9) / 3, (9 + 10) / 2),
        "wau": (23, 19),
        "mau": (58, 19),
        "sessions": (50, 20),
        "pages_per_session": (150 / 50, 50 / 20),
        "avg_session_duration": (5700 / 50, 1800 / 20),
        "bounce_rate": (16 / 50, 10 / 20),
    }
    by_key = kpis(page)
    assert by_key["sessions"].change == pytest.approx(1.5)
    assert by_key["bounce_rate"].change == pytest.approx(0.32 - 0.50)  # in points
    assert by_key["bounce_rate"].sample_size == 50
    assert page.users_note == ""
    # One row per calendar day of the range, empty days as zero sessions.
    assert [d.isoformat() for d in page.daily["date_day"]] == [
        f"2024-03-{day:02d}" for day in range(8, 15)
    ]
    assert page.daily["sessions"].tolist() == [25, 0, 15, 0, 0, 0, 10]
    assert page.daily["dau"].fillna(-1).tolist() == [22, -1, 14, -1, -1, -1, 9]
    assert page.daily["bounce_rate"].iloc[0] == pytest.approx(8 / 25)
    assert not page.is_empty


def test_traffic_page_for_one_device_says_users_are_not_segmented(reader: MartReader) -> None:
    page = pages.load_traffic(reader, MOBILE, SETTINGS)
    got = values(page)
    # mobile: 03-08 Email 5 sessions / 10 views / 250 s / 3 bounces, 03-10 15 / 45 / 1500 / 6;
    # previous: 03-05 Direct 10 / 20 / 600 / 6.
    assert got["sessions"] == (20, 10)
    assert got["pages_per_session"] == (55 / 20, 20 / 10)
    assert got["avg_session_duration"] == (1750 / 20, 600 / 10)
    assert got["bounce_rate"] == (9 / 20, 6 / 10)
    assert got["avg_dau"] == (15, 9.5)  # unchanged: users are not kept per segment
    assert "all devices and channels" in kpis(page)["avg_dau"].alert
    assert "DAU, WAU and MAU cover all devices and channels" in page.users_note


def test_funnel_page(reader: MartReader) -> None:
    page = pages.load_funnel(reader, RANGE, SETTINGS)
    assert values(page) == {
        "sessions": (50, 20),
        "product_view_sessions": (12 + 3 + 9 + 6, 6 + 4),
        "add_to_cart_sessions": (6 + 1 + 3 + 2, 3 + 1),
        "checkout_sessions": (4 + 1 + 1 + 2, 2 + 0),
        "purchase_sessions": (3 + 1 + 0 + 1, 1 + 0),
        "conversion_rate": (5 / 50, 1 / 20),
    }
    stages = page.stages
    assert stages["stage"].tolist() == [
        "Sessions",
        "Product view",
        "Add to cart",
        "Checkout",
        "Purchase",
    ]
    assert stages["sessions"].tolist() == [50, 30, 12, 8, 5]
    assert stages["conversion"].tolist()[1:] == pytest.approx([30 / 50, 12 / 30, 8 / 12, 5 / 8])
    assert stages["drop_off"].tolist()[1:] == pytest.approx([0.4, 0.6, 1 / 3, 3 / 8])
    # Wilson 95% for 5 of 8: 0.3057 .. 0.8632 (Newcombe 1998 method 3, computed by hand).
    assert stages["conversion_low"].iloc[4] == pytest.approx(0.3057, abs=1e-4)
    assert stages["conversion_high"].iloc[4] == pytest.approx(0.8632, abs=1e-4)
    assert stages["conversion_warning"].tolist() == [False, True, True, True, True]
    # Conversion of 5 in 50 sessions: Wilson 4.35% .. 21.36%, 17 points wide > 10.
    assert kpis(page)["conversion_rate"].alert == (
        "only 50 sessions: the true rate could be anywhere from 4.3% to 21.4%"
    )
    assert page.by_device[["device_type", "sessions", "purchase_sessions"]].values.tolist() == [
        ["desktop", 20, 3],
        ["mobile", 20, 1],
        ["tablet", 10, 1],
    ]
    assert page.by_device["conversion"].tolist() == pytest.approx([0.15, 0.05, 0.10])
    assert page.by_channel[["channel", "sessions", "purchase_sessions"]].values.tolist() == [
        ["Organic Search", 35, 3],
        ["Direct", 10, 1],
        ["Email", 5, 1],
    ]
    assert page.daily["purchase_sessions"].tolist() == [4, 0, 0, 0, 0, 0, 1]


def test_funnel_page_for_one_channel_and_device(reader: MartReader) -> None:
    filters = Filters(RANGE.start, RANGE.end, ("mobile",), ("Organic Search",))
    page = pages.load_funnel(reader, filters, SETTINGS)
    assert page.stages["sessions"].tolist() == [15, 9, 3, 1, 0]
    assert values(page)["conversion_rate"] == (0, None)  # no mobile organic in the previous week


def test_product_page(reader: MartReader) -> None:
    page = pages.load_product(reader, RANGE, SETTINGS)
    # Current rows: P1 03-08 and 03-12, P2 03-09, P3 03-12, P4 03-13; previous: P1 03-04.
    assert values(page) == {
        "impressions": (200 + 50 + 100 + 40 + 0, 100),
        "ctr": ((20 + 5 + 5 + 2) / 390, 10 / 100),
        "detail_views": (16 + 10 + 4 + 3 + 1, 8),
        "atc_rate": ((4 + 3 + 0 + 1) / (12 + 8 + 4 + 3 + 1), 2 / 6),
        "units": (2 + 3, 1),
        "revenue": (3000 + 90, 1500),
    }
    products = page.products
    assert products[["product_id", "product_name", "category"]].values.tolist() == [
        ["P1", "Laptop Pro 14", "Laptops"],
        ["P2", "USB-C Hub", "Accessories"],
        ["P3", "Gaming Mouse", "Accessories"],
        ["P4", "P4", "Unknown"],  # no dim_product row: the id stands in for the name
    ]
    assert products["detail_views"].tolist() == [20, 10, 3, 1]
    assert products["revenue"].tolist() == [3000, 90, 0, 0]
    assert products["ctr"].tolist()[:3] == pytest.approx([25 / 300, 5 / 50, 2 / 40])
    assert products["ctr"].isna().tolist() == [False, False, False, True]  # no impressions
    assert products["atc_rate"].tolist() == pytest.approx([4 / 16, 3 / 8, 1 / 3, 0])
    assert page.top["product_id"].tolist() == ["P1", "P2", "P3", "P4"]
    assert page.bottom["product_id"].tolist() == ["P3", "P4", "P2", "P1"]
    categories = page.categories
    assert categories["category"].tolist() == ["Laptops", "Accessories", "Unknown"]
    assert categories["revenue"].tolist() == [3000, 90, 0]
    assert categories["atc_rate"].tolist() == pytest.approx([4 / 16, 4 / 11, 0])
    assert page.carts[
        ["product_id", "carts_with_product", "carts_purchased", "carts_abandoned"]
    ].values.tolist() == [["P1", 4, 2, 2], ["P3", 1, 0, 1], ["P2", 3, 2, 1]]
    assert page.carts["abandoned_value"].tolist() == [3000, 45, 30]
    assert page.searches[["search_query", "searches", "zero_result_searches"]].values.tolist() == [
        ["laptop", 15, 1],
        ["usb c hub", 4, 0],
        ["rtx 9090", 3, 3],
    ]
    assert page.searches["zero_result_share"].tolist() == pytest.approx([1 / 15, 0, 1])
    assert "do not apply" in page.filters_note


def test_acquisition_page(reader: MartReader) -> None:
    page = pages.load_acquisition(reader, RANGE, SETTINGS)
    assert values(page) == {
        "sessions": (12 + 8 + 5 + 15 + 10, 20),
        "purchase_sessions": (2 + 1 + 1 + 0 + 1, 1),
        "conversion_rate": (5 / 50, 1 / 20),
        "revenue": (2000 + 1000 + 60 + 30, 1500),
        "revenue_per_session": (3090 / 50, 1500 / 20),
    }
    channel = page.by_channel
    assert channel[["channel", "sessions", "purchase_sessions", "revenue"]].values.tolist() == [
        ["Organic Search", 35, 3, 3000],
        ["Direct", 10, 1, 30],
        ["Email", 5, 1, 60],
    ]
    assert channel["session_share"].tolist() == pytest.approx([0.7, 0.2, 0.1])
    assert channel["conversion_warning"].tolist() == [True, True, True]
    source = page.by_source.fillna("-")
    assert source[["source", "medium", "campaign", "sessions"]].values.tolist() == [
        ["google", "organic", "-", 27],
        ["(direct)", "(none)", "-", 10],
        ["bing", "organic", "-", 8],
        ["newsletter", "email", "spring_sale", 5],
    ]
    assert page.by_device[["device_type", "sessions", "revenue"]].values.tolist() == [
        ["desktop", 20, 3000],
        ["mobile", 20, 60],
        ["tablet", 10, 30],
    ]
    assert page.by_country[["country", "sessions", "purchase_sessions"]].values.tolist() == [
        ["VN", 32, 3],
        ["US", 18, 2],
    ]
    assert [
        (row.date_day.isoformat(), row.channel, row.sessions)
        for row in page.channel_daily.itertuples()
    ] == [
        ("2024-03-08", "Email", 5),
        ("2024-03-08", "Organic Search", 20),
        ("2024-03-10", "Organic Search", 15),
        ("2024-03-14", "Direct", 10),
    ]


def test_acquisition_page_for_one_device(reader: MartReader) -> None:
    page = pages.load_acquisition(reader, MOBILE, SETTINGS)
    assert values(page)["sessions"] == (5 + 15, 10)
    assert values(page)["revenue"] == (60, 0)
    assert page.by_channel["channel"].tolist() == ["Organic Search", "Email"]


def test_reliability_page(reader: MartReader) -> None:
    now = datetime(2024, 3, 15, 1, 30, tzinfo=UTC)
    page = pages.load_reliability(reader, RANGE, SETTINGS, now=now)
    # Hours 03-08 09:00 and 03-14 23:00 are in range; 03-06 10:00 is the previous period;
    # 03-15 00:00 is after the range's last day.
    assert values(page) == {
        "freshness": (3600, None),  # 01:30 − last load 00:30
        "max_lag": (9000, 1800),
        "rows_loaded": (3000, 1000),
        "rejected_share": (25 / 3025, 10 / 1010),
        "bot_share": (120 / 3000, 50 / 1000),
        "duplicate_share": (50 / 3000, 20 / 1000),
        "failed_objects": (1, None),
    }
    by_key = kpis(page)
    assert by_key["freshness"].alert == ""  # 1 h is inside the 2 h SLO
    assert by_key["max_lag"].alert == "lag is over the 2h 00m SLO"
    assert "1 lake objects cannot be read" in by_key["failed_objects"].alert
    assert page.hourly["rows_loaded"].tolist() == [2000, 1000]
    assert page.rejection_reasons.values.tolist() == [
        ["ingest", "schema", 15],
        ["ingest", "size", 5],
        ["loader", "not_json", 5],
    ]
    assert page.last_build is not None
    assert page.last_build["invocation_id"] == "inv-1"  # the newest build, not the newer run
    assert page.last_build["status"] == "success"
    assert page.invocations["invocation_id"].tolist() == ["inv-2", "inv-1", "inv-0"]


def test_freshness_over_the_slo_is_flagged(reader: MartReader) -> None:
    page = pages.load_reliability(
        reader, RANGE, SETTINGS, now=datetime(2024, 3, 15, 3, 0, 1, tzinfo=UTC)
    )
    freshness = kpis(page)["freshness"]
    assert freshness.current == pytest.approx(2 * 3600 + 30 * 60 + 1)
    assert freshness.alert == "freshness is over the 2h 00m SLO"


@pytest.mark.parametrize("name", list(pages.PAGES))
def test_an_empty_range_is_an_empty_page(reader: MartReader, name: str) -> None:
    _, load = pages.PAGES[name]
    page = load(reader, EMPTY, SETTINGS)
    if name == "reliability":
        # Freshness and dbt runs are warehouse-wide: the page still has something to say.
        assert page.hourly.empty and page.rejections.empty
    else:
        assert page.is_empty


def test_a_hostile_filter_value_is_only_ever_a_value(reader: MartReader, marts) -> None:
    hostile = "'; drop table marts.mart_funnel_daily; --"
    page = pages.load_funnel(reader, Filters(RANGE.start, RANGE.end, channels=(hostile,)), SETTINGS)
    assert page.is_empty
    assert marts.scalar("select count(*) from marts.mart_funnel_daily") == 6


@pytest.mark.parametrize("name", list(pages.PAGES))
def test_the_app_path_gives_each_page_once_per_filters_and_load(
    reader: MartReader, marts, name: str
) -> None:
    now = datetime(2024, 3, 15, 1, 30, 40, tzinfo=UTC)
    page = pages.load_page(name, reader, RANGE, SETTINGS, now=now)
    _, load = pages.PAGES[name]
    direct = load(reader, RANGE, SETTINGS)
    if name == "reliability":  # ages as of the minute: 01:30, not 01:30:40
        direct = pages.load_reliability(reader, RANGE, SETTINGS, now=now.replace(second=0))
    assert page.kpis == direct.kpis
    # Served again without reading the warehouse, even once its tables are gone.
    admin_execute(marts, "drop schema marts cascade")
    assert pages.load_page(name, reader, RANGE, SETTINGS, now=now) is page
    with pytest.raises(WarehouseNotBuiltError):  # other filters are other figures
        pages.load_page(name, reader, EMPTY, SETTINGS, now=now)
