"""The dashboard in Debian's chromium: `clickstream dashboard` (a real uvicorn) on a free
loopback port, over the hand-made marts in a Postgres of this module's own, so that the
outage test can stop and restart it without disturbing the other tests.

Expected figures come from SQL over the fixture written here, and are formatted here: none
of them is computed by dashboard code. Screenshots go to test-artifacts/dashboard/.
"""

from __future__ import annotations

import csv
import math
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from shared import db
from shared.embedded_postgres import EmbeddedPostgres
from shared.ports import free_port
from tests.conftest import PROJECT_ROOT, Warehouse
from tests.dashboard.conftest import load_fixture
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, CLICKSTREAM, start, stop, wait_until_serving

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "dashboard"
RETRY_SECONDS = 2  # how often the app retries a warehouse that is down or not built
WAIT_MS = 20_000  # the first chart of a fresh browser compiles a 5 MB script
CHARTS = {"traffic": 2, "funnels": 4, "products": 2, "acquisition": 2, "reliability": 3}
MARTS = (
    "mart_engagement_daily",
    "mart_traffic_daily",
    "mart_funnel_daily",
    "dim_product",
    "mart_product_daily",
    "mart_cart_abandonment_daily",
    "mart_search_daily",
    "mart_acquisition_daily",
    "mart_pipeline_health_hourly",
    "mart_rejections_hourly",
    "mart_data_freshness",
    "dbt_invocations",
)
# The fixture's week under test and the week before it (marts_fixture.sql).
START, END = date(2024, 3, 8), date(2024, 3, 14)
PREVIOUS_START, PREVIOUS_END = date(2024, 3, 1), date(2024, 3, 7)
HOSTILE = '\'; drop table marts.mart_funnel_daily; --<img src=x onerror="window.pwned=1">'


# --- the warehouse, the app and the browser -------------------------------------------------


@dataclass
class Dashboard:
    url: str
    warehouse: Warehouse
    server: EmbeddedPostgres


@dataclass
class Console:
    """Everything the page said in the console that counts as an error."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[EmbeddedPostgres]:
    # Not under pytest's basetemp: each pytest run (another person's too) resets that folder
    # to 0700, and the server's system user then could not reach its data when restarted.
    folder = Path(tempfile.mkdtemp(prefix="clickstream-dashboard-pg-"))
    server = EmbeddedPostgres(folder / "pgdata", free_port())
    server.start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


def new_warehouse(server: EmbeddedPostgres) -> Warehouse:
    name = f"dash_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.url(database="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    warehouse = Warehouse(server, name)
    db.bootstrap(warehouse.admin_url)
    return warehouse


def serve_dashboard(warehouse: Warehouse, folder: Path) -> tuple[object, str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": warehouse.admin_url,
        "CLICKSTREAM_STATE_DIR": str(folder / "state"),
        "DASHBOARD_RETRY_SECONDS": str(RETRY_SECONDS),
    }
    log = folder / f"dashboard-{port}.log"
    process = start(
        [CLICKSTREAM, "dashboard", "--host", "127.0.0.1", "--port", str(port)], env, log
    )
    url = f"http://127.0.0.1:{port}/"
    wait_until_serving(process, url, log, timeout=60)
    return process, url


@pytest.fixture(scope="module")
def dashboard(
    own_postgres: EmbeddedPostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    warehouse = new_warehouse(own_postgres)
    load_fixture(warehouse)
    process, url = serve_dashboard(warehouse, tmp_path_factory.mktemp("dashboard"))
    yield Dashboard(url, warehouse, own_postgres)
    stop(process)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/install-system-deps.sh` as root")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def desktop(browser) -> Iterator:
    # One context: the chart script is fetched once and then comes from the HTTP cache.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(desktop, console: Console) -> Iterator:
    page = desktop.new_page()
    console.watch(page)
    yield page
    page.close()


# --- what a person does -----------------------------------------------------------------------


def expect():
    from playwright.sync_api import expect

    return expect


def readable(day: date) -> str:
    return f"{day.day} {day.strftime('%b %Y')}"


def open_dashboard(page, url: str) -> None:
    page.goto(url)
    expect()(page.locator("#kpi-traffic-sessions")).to_be_visible(timeout=WAIT_MS)


def type_dates(page, start: date, end: date) -> None:
    for position, day in ((0, start), (1, end)):
        box = page.locator("#dates input").nth(position)
        box.click()
        box.press("Control+a")
        box.type(day.isoformat())
        box.press("Tab")
    dismiss_popups(page)


def choose(page, filter_id: str, value: str) -> None:
    box = page.locator(f"#{filter_id}-selectized")
    box.click()
    box.type(value)
    box.press("Enter")
    dismiss_popups(page)


def dismiss_popups(page) -> None:
    """Close the date picker and any filter's dropdown, as a user does by clicking beside them.
    Escape alone is not enough: it reaches only the focused widget, and Tab leaves the focus in
    the next filter, whose dropdown (or a date picker still shown) then covers the widget the
    test clicks next."""
    page.keyboard.press("Escape")
    page.locator("body").click(position={"x": 2, "y": 2})
    expect()(page.locator(".selectize-dropdown:visible")).to_have_count(0)
    expect()(page.locator(".datepicker:visible")).to_have_count(0)


def show(page, key: str) -> None:
    page.locator(f".navbar a[data-value='{key}']").click()
    expect()(page.locator(f"#{key}_body")).to_be_visible()


def filters_applied(page, key: str):
    return page.locator(f"#{key}_body .filters-applied")


def wait_for_page(page, key: str, start: date, end: date) -> None:
    """Until the page shows the range's figures and every chart has been drawn."""
    expect()(filters_applied(page, key)).to_contain_text(
        f"{readable(start)} – {readable(end)}", timeout=WAIT_MS
    )
    expect()(page.locator(f"#{key}_body .js-plotly-plot")).to_have_count(
        CHARTS[key], timeout=WAIT_MS
    )
    expect()(page.locator(f"#{key}_body .shiny-data-grid").first).to_be_visible()


def kpi(page, key: str, name: str, part: str = "value"):
    return page.locator(f"#kpi-{key}-{name} .kpi-{part}")


def screenshot(page, name: str) -> None:
    """The whole page: the dashboard scrolls inside its main area, so grow the window."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate(
        "Math.max(document.documentElement.scrollHeight,"
        " ...[...document.querySelectorAll('.main, .tab-pane.active')]"
        ".map(element => element.scrollHeight + 100))"
    )
    page.set_viewport_size({"width": size["width"], "height": min(height, 8000)})
    page.screenshot(path=ARTIFACTS / f"{name}.png")
    page.set_viewport_size(size)


def assert_no_error_shown(page, console: Console) -> None:
    assert console.errors == []
    assert page.locator(".shiny-output-error").count() == 0
    assert "Traceback" not in page.content()


# --- expected figures, by SQL over the fixture and formatted by hand ------------------------


def one_row(warehouse: Warehouse, statement: str, params: tuple = ()) -> tuple:
    """The first row, sums (numeric in Postgres) as floats."""
    row = warehouse.query(statement, params)[0]
    return tuple(float(value) if isinstance(value, Decimal) else value for value in row)


def segment_sums(
    warehouse: Warehouse, mart: str, columns: str, start: date, end: date, channel: str | None
) -> tuple:
    """Sums over a mart carrying device_type and channel, for one channel or all."""
    statement = sql.SQL(
        "select {} from marts.{}"
        " where date_day between %s and %s and (%s::text is null or channel = %s)"
    ).format(sql.SQL(columns), sql.Identifier(mart))
    return one_row(warehouse, statement.as_string(), (start, end, channel, channel))


def count(value: float) -> str:
    return f"{round(value):,}"


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def money(value: float) -> str:
    return f"{value:,.2f}"


def minutes_seconds(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m {secs:02d}s"


def wilson(successes: int, trials: int) -> tuple[float, float]:
    z = 1.959964
    p = successes / trials
    centre = p + z * z / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return (centre - spread) / (1 + z * z / trials), (centre + spread) / (1 + z * z / trials)


def mart_row_counts(warehouse: Warehouse) -> dict[str, int]:
    return {
        name: warehouse.scalar(
            sql.SQL("select count(*) from marts.{}").format(sql.Identifier(name)).as_string()
        )
        for name in MARTS
    }


# --- the tests ------------------------------------------------------------------------------


def test_a_shop_owner_goes_through_every_page(page, console: Console, dashboard: Dashboard) -> None:
    """One visit, as a person makes it (one page load: the chart script compiles once):
    every page renders with figures equal to the SQL, its tables sort and download, a filter
    changes the figures on every page, and an empty range shows the empty state."""
    open_dashboard(page, dashboard.url)
    type_dates(page, START, END)
    every_page_shows_the_sql(page, dashboard.warehouse)
    tables_sort_and_download_as_csv(page, dashboard.warehouse)
    a_filter_changes_the_figures_on_every_page(page, dashboard.warehouse)
    an_empty_range_shows_the_empty_state(page, dashboard.warehouse)
    assert_no_error_shown(page, console)


def every_page_shows_the_sql(page, warehouse: Warehouse) -> None:
    # Traffic & Engagement
    wait_for_page(page, "traffic", START, END)
    sessions, views, seconds, bounces = segment_sums(
        warehouse,
        "mart_engagement_daily",
        "sum(sessions), sum(page_views), sum(total_duration_seconds), sum(bounced_sessions)",
        START,
        END,
        None,
    )
    (previous_sessions,) = segment_sums(
        warehouse, "mart_engagement_daily", "sum(sessions)", PREVIOUS_START, PREVIOUS_END, None
    )
    (avg_dau,) = one_row(
        warehouse,
        "select avg(dau) from marts.mart_traffic_daily where date_day between %s and %s",
        (START, END),
    )
    expect()(kpi(page, "traffic", "sessions")).to_have_text(count(sessions))
    change = (sessions - previous_sessions) / previous_sessions
    expect()(kpi(page, "traffic", "sessions", "change")).to_have_text(
        f"▲ {change * 100:.1f}% vs previous 7 days"
    )
    expect()(kpi(page, "traffic", "pages_per_session")).to_have_text(f"{views / sessions:.2f}")
    expect()(kpi(page, "traffic", "avg_session_duration")).to_have_text(
        minutes_seconds(seconds / sessions)
    )
    expect()(kpi(page, "traffic", "bounce_rate")).to_have_text(percent(bounces / sessions))
    expect()(kpi(page, "traffic", "avg_dau")).to_have_text(f"{avg_dau:.2f}")
    screenshot(page, "traffic")

    # Funnels: the conversion rate carries its sample size and, at 50 sessions, a warning.
    show(page, "funnels")
    wait_for_page(page, "funnels", START, END)
    sessions, purchases = segment_sums(
        warehouse, "mart_funnel_daily", "sum(sessions), sum(purchase_sessions)", START, END, None
    )
    low, high = wilson(purchases, sessions)
    expect()(kpi(page, "funnels", "purchase_sessions")).to_have_text(count(purchases))
    expect()(kpi(page, "funnels", "conversion_rate")).to_have_text(percent(purchases / sessions))
    expect()(kpi(page, "funnels", "conversion_rate", "sample")).to_have_text(
        f"of {count(sessions)} sessions"
    )
    assert high - low > 0.10  # wider than the dashboard's default threshold
    expect()(kpi(page, "funnels", "conversion_rate", "alert")).to_contain_text(
        f"only {count(sessions)} sessions: the true rate could be anywhere from "
        f"{percent(low)} to {percent(high)}"
    )
    screenshot(page, "funnels")

    # Product Performance
    show(page, "products")
    wait_for_page(page, "products", START, END)
    impressions, clicks, revenue = one_row(
        warehouse,
        "select sum(impressions), sum(clicks), sum(revenue) from marts.mart_product_daily"
        " where date_day between %s and %s",
        (START, END),
    )
    expect()(kpi(page, "products", "impressions")).to_have_text(count(impressions))
    expect()(kpi(page, "products", "ctr")).to_have_text(percent(clicks / impressions))
    expect()(kpi(page, "products", "revenue")).to_have_text(money(revenue))
    screenshot(page, "products")

    # Acquisition
    show(page, "acquisition")
    wait_for_page(page, "acquisition", START, END)
    sessions, revenue = segment_sums(
        warehouse, "mart_acquisition_daily", "sum(sessions), sum(revenue)", START, END, None
    )
    expect()(kpi(page, "acquisition", "sessions")).to_have_text(count(sessions))
    expect()(kpi(page, "acquisition", "revenue")).to_have_text(money(revenue))
    screenshot(page, "acquisition")

    # Reliability: load hours inside the range (UTC), and the newest dbt build.
    show(page, "reliability")
    wait_for_page(page, "reliability", START, END)
    loaded, bots = one_row(
        warehouse,
        "select sum(rows_loaded), sum(bot_events) from marts.mart_pipeline_health_hourly"
        " where hour_at >= %s and hour_at < %s",
        (START, date(2024, 3, 15)),
    )
    status, finished_at = one_row(
        warehouse,
        "select status, to_char(finished_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI')"
        " from marts.dbt_invocations where command = 'build' order by started_at desc limit 1",
    )
    expect()(kpi(page, "reliability", "rows_loaded")).to_have_text(count(loaded))
    expect()(kpi(page, "reliability", "bot_share")).to_have_text(percent(bots / loaded))
    last_build = page.locator("#reliability-details dt", has_text="Last dbt build")
    expect()(last_build.locator("xpath=following-sibling::dd[1]")).to_contain_text(
        f"{status} at {finished_at} UTC"
    )
    screenshot(page, "reliability")


def a_filter_changes_the_figures_on_every_page(page, warehouse: Warehouse) -> None:
    show(page, "traffic")
    (all_sessions,) = segment_sums(
        warehouse, "mart_engagement_daily", "sum(sessions)", START, END, None
    )
    expect()(kpi(page, "traffic", "sessions")).to_have_text(count(all_sessions))

    choose(page, "channels", "Email")
    (email_sessions,) = segment_sums(
        warehouse, "mart_engagement_daily", "sum(sessions)", START, END, "Email"
    )
    assert email_sessions != all_sessions
    expect()(filters_applied(page, "traffic")).to_contain_text("Email")
    expect()(kpi(page, "traffic", "sessions")).to_have_text(count(email_sessions))

    show(page, "funnels")  # the filter follows the shop owner to the next page
    sessions, purchases = segment_sums(
        warehouse,
        "mart_funnel_daily",
        "sum(sessions), sum(purchase_sessions)",
        START,
        END,
        "Email",
    )
    expect()(kpi(page, "funnels", "sessions")).to_have_text(count(sessions), timeout=WAIT_MS)
    expect()(kpi(page, "funnels", "conversion_rate")).to_have_text(percent(purchases / sessions))


def tables_sort_and_download_as_csv(page, warehouse: Warehouse) -> None:
    show(page, "products")
    table = page.locator("#products_all")
    by_revenue = warehouse.query(
        "select product_id, sum(revenue)::float8 from marts.mart_product_daily"
        " where date_day between %s and %s group by product_id order by 2 desc, 1",
        (START, END),
    )
    product_ids = table.locator("tbody tr td:first-child")
    expect()(product_ids).to_have_text([product for product, _ in by_revenue])
    by_name = [
        product
        for (product,) in warehouse.query(
            "select daily.product_id from marts.mart_product_daily as daily"
            " left join marts.dim_product using (product_id)"
            " where daily.date_day between %s and %s"
            " group by daily.product_id, dim_product.product_name"
            " order by coalesce(dim_product.product_name, daily.product_id)",
            (START, END),
        )
    ]
    assert by_name != [product for product, _ in by_revenue]
    header = table.locator("thead th", has_text=re.compile(r"^Product$"))
    header.click()
    expect()(product_ids).to_have_text(by_name)
    header.click()
    expect()(product_ids).to_have_text(by_name[::-1])

    with page.expect_download() as download:
        page.locator("#products_all_csv").click()
    rows = list(csv.DictReader(Path(download.value.path()).read_text().splitlines()))
    assert download.value.suggested_filename == f"products_all_{START}_{END}.csv"
    assert [(row["Product id"], float(row["Revenue"])) for row in rows] == by_revenue


def an_empty_range_shows_the_empty_state(page, warehouse: Warehouse) -> None:
    first_day, last_day = one_row(
        warehouse, "select min(date_day), max(date_day) from marts.mart_traffic_daily"
    )
    empty_start, empty_end = date(2023, 1, 1), date(2023, 1, 7)
    type_dates(page, empty_start, empty_end)
    for key in ("traffic", "funnels", "products", "acquisition"):
        show(page, key)
        state = page.locator(f"#{key}_body .empty-state")
        expect()(state).to_contain_text("Nothing to show for these filters", timeout=WAIT_MS)
        expect()(state).to_contain_text(f"{readable(empty_start)} – {readable(empty_end)}")
        expect()(state).to_contain_text(
            f"The warehouse holds days from {readable(first_day)} to {readable(last_day)}"
        )
        expect()(page.locator(f"#{key}_body .kpi").first).to_be_hidden()  # no stale figures
    screenshot(page, "empty-range")


def test_a_hostile_filter_value_is_harmless(page, console: Console, dashboard: Dashboard) -> None:
    before = mart_row_counts(dashboard.warehouse)
    open_dashboard(page, dashboard.url)
    type_dates(page, START, END)
    wait_for_page(page, "traffic", START, END)

    # Typed: the channel box only offers the channels there are, so nothing is chosen.
    box = page.locator("#channels-selectized")
    box.click()
    box.type(HOSTILE)
    box.press("Enter")
    dismiss_popups(page)
    expect()(filters_applied(page, "traffic")).to_contain_text("all channels")

    # Injected past the widgets, as a crafted client could: only ever a value.
    page.evaluate("value => Shiny.setInputValue('channels', [value])", HOSTILE)
    show(page, "funnels")
    state = page.locator("#funnels_body .empty-state")
    expect()(state).to_contain_text("Nothing to show for these filters", timeout=WAIT_MS)
    expect()(state).to_contain_text("'; drop table marts.mart_funnel_daily; --<img")
    page.evaluate("value => Shiny.setInputValue('devices', [value])", HOSTILE)
    page.evaluate("value => Shiny.setInputValue('dates', [value, '2024-03-14'])", HOSTILE)
    expect()(page.locator("#banner .alert")).to_contain_text(
        "These filters cannot be used", timeout=WAIT_MS
    )
    assert page.evaluate("window.pwned") is None  # the markup was shown as text
    assert mart_row_counts(dashboard.warehouse) == before

    # The session survives: honest filters work again.
    page.evaluate("Shiny.setInputValue('channels', [])")
    page.evaluate("Shiny.setInputValue('devices', [])")
    page.evaluate("Shiny.setInputValue('dates', ['2024-03-08', '2024-03-14'])")
    expect()(page.locator("#banner .alert")).to_have_count(0, timeout=WAIT_MS)
    expect()(kpi(page, "funnels", "sessions")).to_be_visible(timeout=WAIT_MS)
    assert_no_error_shown(page, console)


def test_at_phone_width_the_page_fits_the_screen(browser, dashboard: Dashboard) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    phone = context.new_page()
    console = Console()
    console.watch(phone)
    try:
        open_dashboard(phone, dashboard.url)
        expect()(phone.locator("#traffic_body .js-plotly-plot")).to_have_count(
            CHARTS["traffic"], timeout=WAIT_MS
        )
        cards = phone.locator("#traffic_body .kpi")
        assert cards.count() >= 4
        for index in range(cards.count()):
            box = cards.nth(index).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
        for chart in phone.locator("#traffic_body .js-plotly-plot").all():
            box = chart.bounding_box()
            assert box is not None and box["width"] <= 375
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        # The pages sit behind the navbar's menu button.
        phone.locator(".navbar-toggler").click()
        phone.locator(".navbar a[data-value='funnels']").click()
        expect()(phone.locator("#kpi-funnels-sessions")).to_be_visible(timeout=WAIT_MS)
        expect()(phone.locator(".navbar-collapse")).not_to_be_visible()  # the menu folds away
        screenshot(phone, "phone-funnels")
        assert_no_error_shown(phone, console)
    finally:
        context.close()


def test_an_empty_warehouse_is_friendly_and_fills_in_once_built(
    page, console: Console, own_postgres: EmbeddedPostgres, tmp_path: Path
) -> None:
    warehouse = new_warehouse(own_postgres)  # bootstrapped, never built: no marts at all
    process, url = serve_dashboard(warehouse, tmp_path)
    try:
        page.goto(url)
        state = page.locator("#traffic_body .empty-state")
        expect()(state).to_contain_text("The warehouse is not built yet", timeout=WAIT_MS)
        expect()(state).to_contain_text("clickstream run --lake LAKE")
        assert page.locator("#banner .alert").count() == 0  # not a fault: no alarm
        screenshot(page, "not-built")

        load_fixture(warehouse)  # the first build lands
        type_dates(page, START, END)
        expect()(kpi(page, "traffic", "sessions")).to_be_visible(timeout=WAIT_MS)
        # The channel box learns the channels there now are, without a reload.
        choose(page, "channels", "Email")
        expect()(filters_applied(page, "traffic")).to_contain_text("Email", timeout=WAIT_MS)
        assert_no_error_shown(page, console)
    finally:
        stop(process)


def test_a_database_outage_shows_a_banner_and_recovers_by_itself(
    page, console: Console, dashboard: Dashboard
) -> None:
    open_dashboard(page, dashboard.url)
    type_dates(page, START, END)
    wait_for_page(page, "traffic", START, END)
    dashboard.server.stop()
    try:
        # A range not read before, so the cache cannot answer for the warehouse.
        type_dates(page, date(2024, 3, 9), END)
        banner = page.locator("#banner .alert-danger")
        expect()(banner).to_contain_text("The warehouse cannot be reached", timeout=WAIT_MS)
        expect()(banner).to_contain_text(f"Trying again every {RETRY_SECONDS} seconds")
        expect()(page.locator("#traffic_body")).to_contain_text(
            "The figures will appear here once the problem in the banner above is solved"
        )
        screenshot(page, "outage")
        assert_no_error_shown(page, console)
    finally:
        dashboard.server.start()
    expect()(page.locator("#banner .alert")).to_have_count(0, timeout=WAIT_MS)
    (sessions,) = segment_sums(
        dashboard.warehouse, "mart_engagement_daily", "sum(sessions)", date(2024, 3, 9), END, None
    )
    expect()(kpi(page, "traffic", "sessions")).to_have_text(count(sessions), timeout=WAIT_MS)
    assert_no_error_shown(page, console)
