"""A visitor's journey through the demo storefront in a real browser, through the real
ingest API into the lake, then the loader and `dbt build` into the warehouse.

The visitor browses (listing, product, search, category), adds to cart (once while the
network is down), removes a line, checks out and buys, comes back after more than 30
minutes and browses again. The expected events below are written out by hand from that
script of actions, and the funnel flags from SPEC §6's definition.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from psycopg import sql

from loader.core import run_load
from shared.lake import decode_object, open_lake
from tests.conftest import Warehouse
from tests.e2e.conftest import Servers
from transform.runner import run_dbt

pytestmark = pytest.mark.browser

PERSONAL_DETAILS = {
    "name": "Jane Quartermaine",
    "email": "jane.quartermaine@mail.example",
    "address": "12 Harbour Lane, Portsmouth",
}
HOME_ITEMS = [
    "LAP-AERO14",
    "LAP-TITAN16",
    "LAP-NOTE13",
    "DSK-TOWER5",
    "DSK-MINI2",
    "MON-UHD27",
    "MON-CURVE34",
    "MON-PORT16",
]
# (event_type, ecom.product_id, props.list) in the order the visitor caused them.
FIRST_SESSION = [
    ("view", None, "home"),
    ("click", "LAP-AERO14", "home"),
    ("view", "LAP-AERO14", None),
    ("search", None, None),
    ("view", None, "search"),
    ("click", "MON-UHD27", "search"),
    ("view", "MON-UHD27", None),
    ("add_to_cart", "MON-UHD27", None),
    ("view", None, "category:mice"),
    ("click", "MOU-GLIDE", "category:mice"),
    ("view", "MOU-GLIDE", None),
    ("add_to_cart", "MOU-GLIDE", None),
    ("view", "LAP-AERO14", None),
    ("add_to_cart", "LAP-AERO14", None),  # sent while offline: parked, then delivered
    ("view", None, None),  # cart
    ("remove_from_cart", "MON-UHD27", None),
    ("view", None, None),  # checkout page
    ("checkout", None, None),
    ("purchase", "MOU-GLIDE", None),
    ("purchase", "LAP-AERO14", None),
    ("view", None, None),  # thank-you page
]
SECOND_SESSION = [
    ("view", None, "home"),
    ("click", "MON-CURVE34", "home"),
    ("view", "MON-CURVE34", None),
]
LAKE_TIMEOUT_S = 20
FLUSH_WAIT_MS = 5_500
# The visitor lands from a newsletter the first time.
NEWSLETTER_TAGS = "?utm_source=newsletter&utm_medium=email&utm_campaign=black-friday"
# ... and from a search engine after the 30-minute break.
SEARCH_REFERRER = "https://www.google.com/search?q=byte+corner"


def lake_events(lake_path) -> list[dict]:
    lake = open_lake(str(lake_path))
    events = []
    for item in lake.list("raw/"):
        events.extend(json.loads(line) for line in decode_object(lake.read(item.key)).splitlines())
    return events


def wait_for(condition: Callable[[], bool], what: str, timeout: float = LAKE_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def summary(event: dict) -> tuple:
    return (
        event["event_type"],
        (event.get("ecom") or {}).get("product_id"),
        (event.get("props") or {}).get("list"),
    )


def parse_ts(event: dict) -> datetime:
    return datetime.fromisoformat(event["ts"].replace("Z", "+00:00"))


def queued_in_browser(page) -> int:
    """Events in the SDK's IndexedDB offline queue."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const opening = indexedDB.open('clickstream');
            opening.onerror = () => reject(opening.error);
            opening.onsuccess = () => {
                const db = opening.result;
                if (!db.objectStoreNames.contains('q')) { db.close(); return resolve(0); }
                const counting = db.transaction('q').objectStore('q').count();
                counting.onsuccess = () => { db.close(); resolve(counting.result); };
                counting.onerror = () => reject(counting.error);
            };
        })"""
    )


def browse(chromium, servers: Servers) -> str:
    """Plays the visitor; returns the order id the shop showed."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.clock.install()
    shop = servers.storefront_url
    lake = servers.lake

    page.goto(f"{shop}/{NEWSLETTER_TAGS}")
    page.click("[data-product-id=LAP-AERO14]")
    page.wait_for_url("**/product.html?id=LAP-AERO14")
    page.fill("input[name=q]", "monitor")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/search.html?q=monitor")
    page.click("[data-product-id=MON-UHD27]")
    page.wait_for_url("**/product.html?id=MON-UHD27")
    page.click("#add-to-cart")
    page.click("nav.categories >> text=Mice")
    page.wait_for_url("**/category.html?c=mice")
    page.click("[data-product-id=MOU-GLIDE]")
    page.wait_for_url("**/product.html?id=MOU-GLIDE")
    page.click("#add-to-cart")
    page.goto(f"{shop}/product.html?id=LAP-AERO14")
    # Real waits past the SDK's 5 s flush interval (the view goes by fetch): a jump of the
    # page's clock would look to the server like a client clock running ahead, and skew
    # correction would move these events before the ones sent earlier.
    page.wait_for_timeout(FLUSH_WAIT_MS)
    wait_for(lambda: len(lake_events(lake)) == 13, "the first 13 events in the lake")

    # The network drops: the add-to-cart waits in IndexedDB, and nothing reaches the lake.
    page.context.set_offline(True)
    page.select_option("#qty", "2")
    page.click("#add-to-cart")
    page.wait_for_timeout(FLUSH_WAIT_MS)
    wait_for(lambda: queued_in_browser(page) == 1, "the offline event in IndexedDB")
    assert len(lake_events(lake)) == 13
    page.context.set_offline(False)
    wait_for(lambda: len(lake_events(lake)) == 14, "the parked event after `online`")
    wait_for(lambda: queued_in_browser(page) == 0, "the offline queue to empty")

    page.click("#added >> text=View cart")
    page.wait_for_url("**/cart.html")
    page.click("tr[data-product-id=MON-UHD27] >> text=Remove")
    page.click("#to-checkout")
    page.wait_for_url("**/checkout.html")
    for field, value in PERSONAL_DETAILS.items():
        page.fill(f"input[name={field}]", value)
    page.click("#place-order")
    page.wait_for_url("**/thank-you.html?order=*")
    order_id = page.text_content("#order-id").removeprefix("Order ").strip()
    page.goto("about:blank")  # pagehide: the thank-you view goes by beacon, now
    wait_for(lambda: len(lake_events(lake)) == len(FIRST_SESSION), "the first session")

    # Over 30 minutes later the visitor is back, from a search engine: a new session.
    page.clock.fast_forward("31:00")
    page.goto(f"{shop}/", referer=SEARCH_REFERRER)
    page.click("[data-product-id=MON-CURVE34]")
    page.wait_for_url("**/product.html?id=MON-CURVE34")
    page.goto("about:blank")  # pagehide: the last page's events go out by beacon

    assert errors == []
    context.close()
    return order_id


def test_a_visit_lands_in_the_lake_once_and_in_the_sessions_mart(
    chromium, servers: Servers, warehouse: Warehouse, tmp_path: Path, monkeypatch
) -> None:
    order_id = browse(chromium, servers)
    events = assert_lake_holds_the_visit_once(servers, order_id)

    # The dbt target and logs of this test only: other dbt runs in the checkout keep theirs.
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt-target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "dbt-logs"))
    loaded = run_load(open_lake(str(servers.lake)), warehouse.url("loader"))
    assert (loaded.status, loaded.rows_loaded, loaded.rows_rejected) == ("succeeded", 24, 0)
    run_dbt("build", database_url=warehouse.url("transform"), echo=False)

    assert fact_sessions(warehouse) == expected_sessions(events)


def assert_lake_holds_the_visit_once(servers: Servers, order_id: str) -> list[dict]:
    """The lake holds exactly the visitor's events, once each; returns them in time order."""
    expected_count = len(FIRST_SESSION) + len(SECOND_SESSION)
    wait_for(lambda: len(lake_events(servers.lake)) >= expected_count, "every event in the lake")
    time.sleep(1)  # a late duplicate (a retried batch) would show up now

    events = sorted(lake_events(servers.lake), key=parse_ts)
    assert not list(open_lake(str(servers.lake)).list("invalid/"))
    assert len({event["event_id"] for event in events}) == len(events) == expected_count
    assert [summary(event) for event in events] == FIRST_SESSION + SECOND_SESSION

    first, second = events[: len(FIRST_SESSION)], events[len(FIRST_SESSION) :]
    assert len({event["session_id"] for event in first}) == 1
    assert len({event["session_id"] for event in second}) == 1
    assert first[0]["session_id"] != second[0]["session_id"]
    assert len({event["anonymous_id"] for event in events}) == 1
    assert parse_ts(second[0]) - parse_ts(first[-1]) >= timedelta(minutes=30)

    search = first[3]
    assert search["props"] == {"search_query": "monitor", "results_count": 3}
    assert first[4]["props"]["items"] == ["MON-UHD27", "MON-CURVE34", "MON-PORT16"]
    assert first[0]["props"]["items"] == HOME_ITEMS
    offline = first[13]
    assert offline["ecom"]["qty"] == 2
    # It waited in the queue: sent well after it happened, and skew-corrected on arrival.
    assert parse_ts({"ts": offline["sent_at"]}) - parse_ts(offline) >= timedelta(seconds=5)
    assert first[17]["ecom"]["order_id"] == order_id
    purchases = [event["ecom"] for event in first if event["event_type"] == "purchase"]
    assert [(p["product_id"], p["qty"], p["price"], p["order_id"]) for p in purchases] == [
        ("MOU-GLIDE", 1, 29, order_id),
        ("LAP-AERO14", 2, 1299, order_id),
    ]
    assert {(event["ua"]["browser"], event["ua"]["is_bot"]) for event in events} == {
        ("Chrome", False)
    }
    assert first[0]["page_url"] == f"{servers.storefront_url}/{NEWSLETTER_TAGS}"
    assert second[0]["referrer"] == SEARCH_REFERRER
    raw_text = json.dumps(events)
    for value in PERSONAL_DETAILS.values():
        assert value not in raw_text
    return events


# SPEC §6's public columns of fact_sessions.
SESSION_COLUMNS = (
    *("session_id", "user_key", "session_start_at", "session_end_at", "session_date"),
    *("duration_seconds", "page_views", "event_count", "is_bounce", "device_type", "country"),
    *("channel", "source", "medium", "campaign", "reached_product_view", "reached_add_to_cart"),
    *("reached_checkout", "reached_purchase", "orders", "revenue"),
)


def fact_sessions(warehouse: Warehouse) -> list[dict]:
    query = sql.SQL("select {} from marts.fact_sessions order by session_start_at").format(
        sql.SQL(", ").join(map(sql.Identifier, SESSION_COLUMNS))
    )
    return [dict(zip(SESSION_COLUMNS, row, strict=True)) for row in warehouse.query(query)]


def event_time(event: dict) -> datetime:
    """SPEC §6: the skew-corrected time when the event has one, else the client's."""
    return datetime.fromisoformat(event.get("ts_corrected", event["ts"]).replace("Z", "+00:00"))


def expected_sessions(events: list[dict]) -> list[dict]:
    """fact_sessions for the journey, from the script of actions and SPEC §6 by hand;
    only the times come from the lake (they are the browser's and the server's clocks)."""
    first = [event for event in events if event["session_id"] == events[0]["session_id"]]
    second = [event for event in events if event["session_id"] != events[0]["session_id"]]
    visitor = events[0]["anonymous_id"]  # no identify(): the user is the anonymous id

    def timing(session: list[dict]) -> dict:
        start = min(event_time(event) for event in session)
        end = max(event_time(event) for event in session)
        return {
            "session_id": session[0]["session_id"],
            "user_key": visitor,
            "session_start_at": start,
            "session_end_at": end,
            "session_date": start.date(),  # reporting_timezone UTC
            "duration_seconds": Decimal(str((end - start).total_seconds())),
        }

    common = {"is_bounce": False, "device_type": "desktop", "country": None}
    return [
        {
            **timing(first),
            **common,
            # home, search, category, 4 product pages, cart, checkout, thank-you
            "page_views": 10,
            "event_count": len(FIRST_SESSION),
            "channel": "Email",  # utm_medium=email on the landing page
            "source": "newsletter",
            "medium": "email",
            "campaign": "black-friday",
            "reached_product_view": True,
            "reached_add_to_cart": True,
            "reached_checkout": True,
            "reached_purchase": True,
            "orders": 1,
            "revenue": Decimal(29 * 1 + 1299 * 2),  # the mouse and two laptops
        },
        {
            **timing(second),
            **common,
            "page_views": 2,  # home, product page
            "event_count": len(SECOND_SESSION),
            "channel": "Organic Search",  # referred by google.com, no tags
            "source": "google.com",
            "medium": "organic",
            "campaign": None,
            "reached_product_view": True,
            "reached_add_to_cart": False,
            "reached_checkout": False,
            "reached_purchase": False,
            "orders": 0,
            "revenue": Decimal(0),
        },
    ]
