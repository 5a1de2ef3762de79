"""A small hand-written shop day through the real loader and `dbt build`; every expected
figure below was worked out by hand from the events (reporting time zone UTC).

The visitors:
  a1  desktop, VN. S1 lands from a tagged newsletter, views P1, adds it, checks out and buys
      it (signing in as cus_1 at checkout); S2 comes back from PayPal: inherits Email.
  a2  iPhone, US. S3 lands from Google at 23:50 on day 1, searches "  Gaming   MOUSE "
      (no results), adds P3 *before* viewing any product, views P3 after midnight (an
      event delivered three hours late): the session crosses midnight.
  a3  desktop, DE. S4 views P2 (the request is retried: a duplicate); S9 is one event 40
      days older than its receipt (out of window).
  a4  Googlebot: S5, two views, a bot.
  a5  desktop, VN, clock two hours slow. S6 lands with a gclid, views P1, adds it.
  a6  iPhone, VN. S7 views P2 anonymously on day 1; S8 on day 2 lands from the shop itself
      (inherits Direct) and signs in as cus_1: S7 is then cus_1's too.
Plus a line that is not JSON, a refused event (invalid/), and a landed JSON object
without session_id.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

from loader.core import run_load
from shared.lake import open_lake
from tests.conftest import PROJECT_ROOT, Warehouse
from tests.warehouse.conftest import build
from tests.warehouse.lake_events import (
    CHROME_DESKTOP,
    FIREFOX_LINUX,
    GOOGLEBOT,
    IPHONE,
    LakeWriter,
    at,
    event,
    event_uuid,
    hashed,
)
from transform.runner import TransformError, dbt_environment, run_dbt

D1, D2 = date(2025, 3, 10), date(2025, 3, 11)
CUS_1 = hashed("cus_1")
LAPTOP = {"product_name": "Laptop Pro 14", "category": "Laptops", "brand": "Acme"}
HUB = {"product_name": "USB-C Hub", "category": "Accessories", "brand": "Hubber"}
MOUSE = {"product_name": "Gaming Mouse", "category": "Accessories", "brand": "Clicky"}
SHOP = "https://shop.example"


def write_shop_days(lake: Path) -> None:
    writer = LakeWriter(lake)
    landing = f"{SHOP}/?utm_source=Newsletter&utm_medium=email&utm_campaign=Spring_Sale"
    writer.request(
        [
            event("e1", "2025-03-10 10:00:00", "view", "S1", "a1", landing,
                  referrer="https://mail.google.com/",
                  props={"list": "home", "items": ["P1", "P2", "P3"]}),
            event("e2", "2025-03-10 10:00:10", "click", "S1", "a1", landing,
                  ecom={"product_id": "P1"}, props={"list": "home"}),
            event("e3", "2025-03-10 10:00:20", "view", "S1", "a1", f"{SHOP}/p/p1",
                  ecom={"product_id": "P1", **LAPTOP, "price": 1000}),
            event("e4", "2025-03-10 10:00:30", "add_to_cart", "S1", "a1", f"{SHOP}/p/p1",
                  ecom={"product_id": "P1", **LAPTOP, "price": 1000, "qty": 1}),
            event("e5", "2025-03-10 10:01:00", "checkout", "S1", "a1", f"{SHOP}/checkout",
                  user_id="cus_1", ecom={"order_id": "O1"}),
            event("e6", "2025-03-10 10:02:00", "purchase", "S1", "a1", f"{SHOP}/checkout",
                  user_id="cus_1",
                  ecom={"product_id": "P1", **LAPTOP, "price": 1000, "qty": 1, "order_id": "O1"}),
        ],
        "2025-03-10 10:02:05", CHROME_DESKTOP, "VN",
    )  # fmt: skip
    writer.request(
        [
            event("e7", "2025-03-10 12:00:00", "view", "S2", "a1", f"{SHOP}/order/confirmed",
                  referrer="https://www.paypal.com/checkoutnow?token=x"),
        ],
        "2025-03-10 12:00:02", CHROME_DESKTOP, "VN",
    )  # fmt: skip
    writer.request(
        [
            event("e8", "2025-03-10 23:50:00", "view", "S3", "a2", f"{SHOP}/c/laptops",
                  referrer="https://www.google.com/",
                  props={"list": "category_laptops", "items": ["P1", "P3"]}),
            event("e9", "2025-03-10 23:55:00", "search", "S3", "a2", f"{SHOP}/search",
                  props={"search_query": "  Gaming   MOUSE ", "results_count": 0}),
            event("e10", "2025-03-10 23:56:00", "add_to_cart", "S3", "a2", f"{SHOP}/search",
                  ecom={"product_id": "P3", **MOUSE, "price": 50, "qty": 2}),
        ],
        "2025-03-10 23:56:05", IPHONE, "US",
    )  # fmt: skip
    writer.request(
        [
            event("e11", "2025-03-11 00:05:00", "view", "S3", "a2", f"{SHOP}/p/p3",
                  ecom={"product_id": "P3", **MOUSE, "price": 45}),
        ],
        "2025-03-11 03:00:00", IPHONE, "US",
    )  # fmt: skip
    viewed_hub = event("e12", "2025-03-11 09:00:00", "view", "S4", "a3", f"{SHOP}/p/p2",
                       ecom={"product_id": "P2", **HUB, "price": 30})  # fmt: skip
    writer.request([viewed_hub], "2025-03-11 09:00:01", FIREFOX_LINUX, "DE")
    writer.request([viewed_hub], "2025-03-11 09:00:03", FIREFOX_LINUX, "DE")  # a retry
    writer.request(
        [event("e13", "2025-01-30 09:00:00", "view", "S9", "a3", f"{SHOP}/")],
        "2025-03-11 09:30:00", FIREFOX_LINUX, "DE",
    )  # fmt: skip
    writer.request(
        [
            event("e14", "2025-03-11 10:00:00", "view", "S5", "a4", f"{SHOP}/"),
            event("e15", "2025-03-11 10:00:05", "view", "S5", "a4", f"{SHOP}/p/p1",
                  ecom={"product_id": "P1", **LAPTOP, "price": 1000}),
        ],
        "2025-03-11 10:00:06", GOOGLEBOT, "US",
    )  # fmt: skip
    # The device clock is two hours slow: ts_corrected = received_at - (sent_at - ts).
    writer.request(
        [
            event("e16", "2025-03-11 09:00:00", "view", "S6", "a5", f"{SHOP}/p/p1?gclid=abc123",
                  ecom={"product_id": "P1", **LAPTOP, "price": 1100}),
            event("e17", "2025-03-11 09:01:00", "add_to_cart", "S6", "a5", f"{SHOP}/p/p1",
                  ecom={"product_id": "P1", **LAPTOP, "price": 1100, "qty": 1}),
        ],
        "2025-03-11 11:01:05", CHROME_DESKTOP, "VN", sent_at="2025-03-11 09:01:05",
    )  # fmt: skip
    writer.request(
        [event("e18", "2025-03-10 15:00:00", "view", "S7", "a6", f"{SHOP}/p/p2",
               ecom={"product_id": "P2", **HUB, "price": 30})],
        "2025-03-10 15:00:01", IPHONE, "VN",
    )  # fmt: skip
    writer.request(
        [
            event("e19", "2025-03-11 16:00:00", "view", "S8", "a6", f"{SHOP}/account/login",
                  referrer=f"{SHOP}/p/p2"),
            event("e20", "2025-03-11 16:01:00", "view", "S8", "a6", f"{SHOP}/",
                  user_id="cus_1", props={"list": "home", "items": ["P2"]}),
        ],
        "2025-03-11 16:01:02", IPHONE, "VN",
    )  # fmt: skip
    refused = event("e21", "2025-03-11 12:00:00", "teleport", "S4", "a3", f"{SHOP}/")
    writer.request([refused], "2025-03-11 12:00:01", FIREFOX_LINUX, "DE")
    without_session = (
        b'{"event_id":"' + event_uuid("e22").encode() + b'","ts":"2025-03-11T12:00:00.000000Z",'
        b'"event_type":"view","anonymous_id":"a3","page_url":"https://shop.example/",'
        b'"received_at":"2025-03-11T12:00:00.500000Z","request_id":"r-22",'
        b'"ua":{"device_type":"desktop","is_bot":false},"schema_version":"1-0-0"}'
    )
    writer.raw_lines([b"this is not json", without_session], "2025-03-11 12:00:00")


@pytest.fixture(scope="module")
def built(
    module_warehouse: Warehouse, dbt_dirs: Path, tmp_path_factory: pytest.TempPathFactory
) -> Warehouse:
    lake = tmp_path_factory.mktemp("lake")
    write_shop_days(lake)
    run_load(open_lake(str(lake)), module_warehouse.url("loader"))
    build(module_warehouse)  # dbt build: every model, data test and unit test must pass
    return module_warehouse


def rows(target: Warehouse, statement: str) -> list[tuple]:
    return target.query(statement)


def test_fact_events_hold_each_distinct_event_once_flagged_not_deleted(built: Warehouse) -> None:
    found = rows(
        built,
        "select event_id::text, event_type, event_at, event_date, session_id, user_key,"
        " product_id, order_id, price, qty, revenue, device_type, country, is_bot,"
        " is_out_of_window from marts.fact_events",
    )
    by_id = {row[0]: row[1:] for row in found}
    n = None
    expected = {
        "e1": ("view", at("2025-03-10 10:00:00"), D1, "S1", CUS_1, n, n, n, n, n, "desktop", "VN", False, False),  # noqa: E501
        "e2": ("click", at("2025-03-10 10:00:10"), D1, "S1", CUS_1, "P1", n, n, n, n, "desktop", "VN", False, False),  # noqa: E501
        "e3": ("view", at("2025-03-10 10:00:20"), D1, "S1", CUS_1, "P1", n, 1000, n, n, "desktop", "VN", False, False),  # noqa: E501
        "e4": ("add_to_cart", at("2025-03-10 10:00:30"), D1, "S1", CUS_1, "P1", n, 1000, 1, n, "desktop", "VN", False, False),  # noqa: E501
        "e5": ("checkout", at("2025-03-10 10:01:00"), D1, "S1", CUS_1, n, "O1", n, n, n, "desktop", "VN", False, False),  # noqa: E501
        "e6": ("purchase", at("2025-03-10 10:02:00"), D1, "S1", CUS_1, "P1", "O1", 1000, 1, 1000, "desktop", "VN", False, False),  # noqa: E501
        "e7": ("view", at("2025-03-10 12:00:00"), D1, "S2", CUS_1, n, n, n, n, n, "desktop", "VN", False, False),  # noqa: E501
        "e8": ("view", at("2025-03-10 23:50:00"), D1, "S3", "a2", n, n, n, n, n, "mobile", "US", False, False),  # noqa: E501
        "e9": ("search", at("2025-03-10 23:55:00"), D1, "S3", "a2", n, n, n, n, n, "mobile", "US", False, False),  # noqa: E501
        "e10": ("add_to_cart", at("2025-03-10 23:56:00"), D1, "S3", "a2", "P3", n, 50, 2, n, "mobile", "US", False, False),  # noqa: E501
        "e11": ("view", at("2025-03-11 00:05:00"), D2, "S3", "a2", "P3", n, 45, n, n, "mobile", "US", False, False),  # noqa: E501
        "e12": ("view", at("2025-03-11 09:00:00"), D2, "S4", "a3", "P2", n, 30, n, n, "desktop", "DE", False, False),  # noqa: E501
        "e13": ("view", at("2025-01-30 09:00:00"), date(2025, 1, 30), "S9", "a3", n, n, n, n, n, "desktop", "DE", False, True),  # noqa: E501
        "e14": ("view", at("2025-03-11 10:00:00"), D2, "S5", "a4", n, n, n, n, n, "bot", "US", True, False),  # noqa: E501
        "e15": ("view", at("2025-03-11 10:00:05"), D2, "S5", "a4", "P1", n, 1000, n, n, "bot", "US", True, False),  # noqa: E501
        # clock-skew correction: ts 09:00 / 09:01 on a clock two hours slow
        "e16": ("view", at("2025-03-11 11:00:00"), D2, "S6", "a5", "P1", n, 1100, n, n, "desktop", "VN", False, False),  # noqa: E501
        "e17": ("add_to_cart", at("2025-03-11 11:01:00"), D2, "S6", "a5", "P1", n, 1100, 1, n, "desktop", "VN", False, False),  # noqa: E501
        # identity stitching: a6 signs in later as cus_1
        "e18": ("view", at("2025-03-10 15:00:00"), D1, "S7", CUS_1, "P2", n, 30, n, n, "mobile", "VN", False, False),  # noqa: E501
        "e19": ("view", at("2025-03-11 16:00:00"), D2, "S8", CUS_1, n, n, n, n, n, "mobile", "VN", False, False),  # noqa: E501
        "e20": ("view", at("2025-03-11 16:01:00"), D2, "S8", CUS_1, n, n, n, n, n, "mobile", "VN", False, False),  # noqa: E501
    }  # fmt: skip
    assert by_id == {event_uuid(name): values for name, values in expected.items()}


def test_fact_sessions_bounds_bounce_funnel_and_channels(built: Warehouse) -> None:
    found = rows(
        built,
        "select session_id, user_key, session_start_at, session_end_at, session_date,"
        " duration_seconds, page_views, event_count, is_bounce, device_type, country,"
        " channel, source, medium, campaign, reached_product_view, reached_add_to_cart,"
        " reached_checkout, reached_purchase, orders, revenue"
        " from marts.fact_sessions order by session_id",
    )
    t, f, n = True, False, None
    assert found == [
        ("S1", CUS_1, at("2025-03-10 10:00:00"), at("2025-03-10 10:02:00"), D1, 120, 2, 6, f, "desktop", "VN", "Email", "newsletter", "email", "spring_sale", t, t, t, t, 1, 1000),  # noqa: E501
        ("S2", CUS_1, at("2025-03-10 12:00:00"), at("2025-03-10 12:00:00"), D1, 0, 1, 1, t, "desktop", "VN", "Email", "newsletter", "email", "spring_sale", f, f, f, f, 0, 0),  # noqa: E501
        ("S3", "a2", at("2025-03-10 23:50:00"), at("2025-03-11 00:05:00"), D1, 900, 2, 4, f, "mobile", "US", "Organic Search", "google.com", "organic", n, t, f, f, f, 0, 0),  # noqa: E501
        ("S4", "a3", at("2025-03-11 09:00:00"), at("2025-03-11 09:00:00"), D2, 0, 1, 1, t, "desktop", "DE", "Direct", "(direct)", "(none)", n, t, f, f, f, 0, 0),  # noqa: E501
        ("S6", "a5", at("2025-03-11 11:00:00"), at("2025-03-11 11:01:00"), D2, 60, 1, 2, f, "desktop", "VN", "Paid Search", "google", "cpc", n, t, t, f, f, 0, 0),  # noqa: E501
        ("S7", CUS_1, at("2025-03-10 15:00:00"), at("2025-03-10 15:00:00"), D1, 0, 1, 1, t, "mobile", "VN", "Direct", "(direct)", "(none)", n, t, f, f, f, 0, 0),  # noqa: E501
        ("S8", CUS_1, at("2025-03-11 16:00:00"), at("2025-03-11 16:01:00"), D2, 60, 2, 2, f, "mobile", "VN", "Direct", "(direct)", "(none)", n, f, f, f, f, 0, 0),  # noqa: E501
    ]  # fmt: skip


def test_dimensions(built: Warehouse) -> None:
    assert rows(
        built,
        "select date_day, year, month, day_of_week, week_start, is_weekend"
        " from marts.dim_date order by 1",
    ) == [(D1, 2025, 3, 1, D1, False), (D2, 2025, 3, 2, D1, False)]
    assert rows(
        built,
        "select product_id, product_name, category, brand, latest_price, first_seen_at,"
        " last_seen_at from marts.dim_product order by 1",
    ) == [
        ("P1", "Laptop Pro 14", "Laptops", "Acme", 1100,
         at("2025-03-10 10:00:00"), at("2025-03-11 11:01:00")),
        ("P2", "USB-C Hub", "Accessories", "Hubber", 30,
         at("2025-03-10 10:00:00"), at("2025-03-11 16:01:00")),
        ("P3", "Gaming Mouse", "Accessories", "Clicky", 45,
         at("2025-03-10 10:00:00"), at("2025-03-11 00:05:00")),
    ]  # fmt: skip


def test_traffic_and_engagement(built: Warehouse) -> None:
    traffic = rows(
        built,
        "select date_day, dau, wau, mau, sessions, page_views, pages_per_session,"
        " total_duration_seconds, avg_session_duration_seconds, bounced_sessions, bounce_rate"
        " from marts.mart_traffic_daily order by 1",
    )
    # Day 1: users cus_1 (a1 and, stitched, a6) and a2; day 2: a2, a3, a5, cus_1.
    assert traffic == [
        (D1, 2, 2, 2, 4, 6, pytest.approx(1.5), 1020, pytest.approx(255), 2, pytest.approx(0.5)),
        (D2, 4, 4, 4, 3, 4, pytest.approx(4 / 3), 120, pytest.approx(40), 1, pytest.approx(1 / 3)),
    ]
    assert rows(
        built,
        "select date_day, device_type, channel, sessions, users, page_views,"
        " total_duration_seconds, bounced_sessions from marts.mart_engagement_daily"
        " order by 1, 2, 3",
    ) == [
        (D1, "desktop", "Email", 2, 1, 3, 120, 1),
        (D1, "mobile", "Direct", 1, 1, 1, 0, 1),
        (D1, "mobile", "Organic Search", 1, 1, 2, 900, 0),
        (D2, "desktop", "Direct", 1, 1, 1, 0, 1),
        (D2, "desktop", "Paid Search", 1, 1, 1, 60, 0),
        (D2, "mobile", "Direct", 1, 1, 2, 60, 0),
    ]


def test_funnel_counts_stages_in_order(built: Warehouse) -> None:
    n = None
    assert rows(
        built,
        "select date_day, device_type, channel, sessions, product_view_sessions,"
        " add_to_cart_sessions, checkout_sessions, purchase_sessions, add_to_cart_rate,"
        " checkout_rate, purchase_rate from marts.mart_funnel_daily order by 1, 2, 3",
    ) == [
        (D1, "desktop", "Email", 2, 1, 1, 1, 1, 1.0, 1.0, 1.0),
        (D1, "mobile", "Direct", 1, 1, 0, 0, 0, 0.0, n, n),
        # S3 added to cart before viewing a product: it does not reach add_to_cart
        (D1, "mobile", "Organic Search", 1, 1, 0, 0, 0, 0.0, n, n),
        (D2, "desktop", "Direct", 1, 1, 0, 0, 0, 0.0, n, n),
        (D2, "desktop", "Paid Search", 1, 1, 1, 0, 0, 1.0, 0.0, n),
        (D2, "mobile", "Direct", 1, 0, 0, 0, 0, n, n, n),
    ]


def test_products_search_and_carts(built: Warehouse) -> None:
    n = None
    assert rows(
        built,
        "select date_day, product_id, impressions, clicks, ctr, detail_views,"
        " detail_view_sessions, unique_viewers, add_to_cart_sessions, atc_rate, purchases,"
        " units, revenue from marts.mart_product_daily order by 1, 2",
    ) == [
        (D1, "P1", 2, 1, 0.5, 1, 1, 1, 1, 1.0, 1, 1, 1000),
        (D1, "P2", 1, 0, 0.0, 1, 1, 1, 0, 0.0, 0, 0, 0),
        (D1, "P3", 2, 0, 0.0, 0, 0, 0, 1, n, 0, 0, 0),
        (D2, "P1", 0, 0, n, 1, 1, 1, 1, 1.0, 0, 0, 0),
        (D2, "P2", 1, 0, 0.0, 1, 1, 1, 0, 0.0, 0, 0, 0),
        (D2, "P3", 0, 0, n, 1, 1, 1, 0, 0.0, 0, 0, 0),
    ]
    assert rows(
        built,
        "select date_day, search_query, searches, sessions, zero_result_searches,"
        " sessions_adding_to_cart from marts.mart_search_daily",
    ) == [(D1, "gaming mouse", 1, 1, 1, 1)]
    assert rows(
        built,
        "select date_day, product_id, carts_with_product, carts_purchased, carts_abandoned,"
        " abandoned_value from marts.mart_cart_abandonment_daily order by 1, 2",
    ) == [(D1, "P1", 1, 1, 0, 0), (D1, "P3", 1, 0, 1, 100), (D2, "P1", 1, 0, 1, 1100)]


def test_acquisition(built: Warehouse) -> None:
    n = None
    assert rows(
        built,
        "select date_day, channel, source, medium, campaign, device_type, country, sessions,"
        " purchase_sessions, revenue from marts.mart_acquisition_daily order by 1, 2, 6",
    ) == [
        (D1, "Direct", "(direct)", "(none)", n, "mobile", "VN", 1, 0, 0),
        # S2 came back from PayPal: it keeps S1's newsletter attribution
        (D1, "Email", "newsletter", "email", "spring_sale", "desktop", "VN", 2, 1, 1000),
        (D1, "Organic Search", "google.com", "organic", n, "mobile", "US", 1, 0, 0),
        (D2, "Direct", "(direct)", "(none)", n, "desktop", "DE", 1, 0, 0),
        # S8 landed from the shop itself: it keeps S7's Direct
        (D2, "Direct", "(direct)", "(none)", n, "mobile", "VN", 1, 0, 0),
        (D2, "Paid Search", "google", "cpc", n, "desktop", "VN", 1, 0, 0),
    ]


def test_pipeline_health_rejections_and_freshness(built: Warehouse) -> None:
    objects, loaded_at, max_lag = built.query(
        "select count(*), max(loaded_at), max(extract(epoch from loaded_at - object_last_modified))"
        " from raw.load_manifest"
    )[0]
    hour = loaded_at.replace(minute=0, second=0, microsecond=0)
    assert objects == 13  # 11 requests with valid events, 1 with the refused one, 1 by hand
    health = rows(
        built,
        "select hour_at, objects_loaded, rows_loaded, rows_rejected, bot_events,"
        " duplicate_events, invalid_events, max_lag_seconds, avg_lag_seconds"
        " from marts.mart_pipeline_health_hourly",
    )
    # 22 landed lines: 20 events, the retried copy of e12, the line without session_id;
    # rejected: the refused event (ingest), the non-JSON line (loader), that line (warehouse)
    assert [row[:7] for row in health] == [(hour, 13, 22, 3, 2, 1, 1)]
    assert health[0][7] == pytest.approx(float(max_lag))
    assert 0 <= health[0][8] <= health[0][7]
    assert rows(
        built,
        "select hour_at, stage, reason, rows_rejected from marts.mart_rejections_hourly"
        " order by 2, 3",
    ) == [
        (hour, "ingest", "schema", 1),
        (hour, "loader", "invalid_json", 1),
        (hour, "warehouse", "missing_session_id", 1),
    ]
    freshness = rows(
        built,
        "select checked_at, last_received_at, last_event_at, failed_objects, last_load_status"
        " from marts.mart_data_freshness",
    )
    assert len(freshness) == 1
    checked_at, *rest = freshness[0]
    assert rest == [at("2025-03-11 16:01:02"), at("2025-03-11 16:01:00"), 0, "succeeded"]
    assert checked_at >= loaded_at  # computed when queried


def test_the_dashboard_reads_every_mart_it_needs(built: Warehouse) -> None:
    """Every table and column of tests/dashboard/marts_fixture.sql exists in marts, with a
    compatible type, and the read-only role can select it."""
    fixture = Path(__file__).parent.parent / "dashboard" / "marts_fixture.sql"
    expected = dashboard_columns(fixture.read_text())
    found = {
        (table, column): data_type
        for table, column, data_type in built.query(
            "select table_name, column_name, data_type from information_schema.columns"
            " where table_schema = 'marts'"
        )
    }
    compatible = {
        "bigint": {"bigint", "integer"},
        "integer": {"integer", "bigint"},
        "double precision": {"double precision", "numeric"},
        "numeric": {"numeric", "bigint", "double precision"},
        "text": {"text"},
        "date": {"date"},
        "timestamptz": {"timestamp with time zone"},
    }
    for (table, column), data_type in expected.items():
        assert (table, column) in found, f"marts.{table}.{column} is missing"
        actual = found[(table, column)]
        assert actual in compatible[data_type], f"marts.{table}.{column} is {actual}"

    with psycopg.connect(built.url("reader")) as conn:
        for table in sorted({table for table, _ in expected}):
            conn.execute(
                sql.SQL("select * from {}.{} limit 1").format(
                    sql.Identifier("marts"), sql.Identifier(table)
                )
            )


def dashboard_columns(fixture_sql: str) -> dict[tuple[str, str], str]:
    """(table, column) → declared type, from the fixture's `create table` statements."""
    columns: dict[tuple[str, str], str] = {}
    for table, body in re.findall(r"create table marts\.(\w+) \((.*?)\);", fixture_sql, re.S):
        for item in body.split(","):
            name, data_type = item.strip().split(" ", 1)
            columns[(table, name)] = data_type.strip()
    return columns


def test_a_failed_build_says_what_failed_and_where_the_log_is(built: Warehouse) -> None:
    with pytest.raises(TransformError) as failure:
        run_dbt(
            "build",
            "--vars",
            "{reporting_timezone: Mars/Olympus}",
            database_url=built.url("transform"),
            echo=False,
        )
    message = str(failure.value)
    assert "'Mars/Olympus' is not a time zone Postgres knows" in message
    assert "full log:" in message
    assert message.rstrip().endswith("dbt.log")


def test_dbt_environment_reaches_the_database_of_a_url() -> None:
    assert dbt_environment(
        "postgresql://analyst:s%40cret@db.example:6543/shop?sslmode=require"
    ) == {
        "DBT_PG_HOST": "db.example",
        "DBT_PG_PORT": "6543",
        "DBT_PG_USER": "analyst",
        "DBT_ENV_SECRET_PG_PASSWORD": "s@cret",
        "DBT_PG_DBNAME": "shop",
        "DBT_PG_SSLMODE": "require",
    }


def documented_columns() -> dict[str, dict[str, str]]:
    """relation name → {column: description} from the project's YAML files."""
    documented: dict[str, dict[str, str]] = {}
    for path in [
        *(PROJECT_ROOT / "models").rglob("*.yml"),
        *(PROJECT_ROOT / "seeds").glob("*.yml"),
    ]:
        document = yaml.safe_load(path.read_text()) or {}
        for node in [*document.get("models", []), *document.get("seeds", [])]:
            columns = {
                item["name"]: item.get("description", "") for item in node.get("columns", [])
            }
            documented[node["name"]] = {"": node.get("description", ""), **columns}
    return documented


def test_every_model_and_column_built_is_described(built: Warehouse) -> None:
    documented = documented_columns()
    built_columns = built.query(
        "select table_name, column_name from information_schema.columns"
        " where table_schema in ('reference', 'staging', 'intermediate', 'marts')"
        " and table_name != 'dbt_invocations'"
    )
    undescribed = [
        f"{table}.{column}"
        for table, column in built_columns
        if not documented.get(table, {}).get(column, "").strip()
        or not documented[table][""].strip()
    ]
    assert undescribed == []
    assert len({table for table, _ in built_columns}) == 30  # 27 models and 3 seeds
