"""The Shiny app: five pages over the marts, with the date, device and channel filters shared
by all of them. Everything it shows comes from `dashboard.pages` through `dashboard.layout`."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import pandas as pd
import plotly
import plotly.graph_objects as go
from htmltools import Tag, TagList
from shiny import App, Inputs, Outputs, Session, reactive, render, req, ui
from shinywidgets import output_widget, render_widget
from starlette.requests import Request

from dashboard import charts, pages, queries, views
from dashboard.charts import CHART_HEIGHT
from dashboard.filters import FilterError, Filters, filters_from_inputs
from dashboard.layout import LAYOUTS, Chart, PageLayout, Table
from dashboard.pages import Page
from dashboard.reader import (
    DashboardError,
    MartReader,
    QueryTimeoutError,
    ResultCache,
    WarehouseNotBuiltError,
    WarehouseUnavailableError,
    logger,
)
from dashboard.settings import DashboardSettings
from shared import db

WWW = Path(__file__).with_name("www")
PLOTLY_PACKAGE_DATA = Path(plotly.__file__).parent / "package_data"
PLOTLY_SCRIPT_FOLDER = "plotly-widget"
PLOTLY_SCRIPT = f"{PLOTLY_SCRIPT_FOLDER}/widgetbundle.js"
# The freshness figure is an age: recompute it (from cached rows) every minute.
RELIABILITY_REFRESH_SECONDS = 60

Outcome = Page | DashboardError


def app_from_env() -> App:
    settings = DashboardSettings.from_env()
    cache = ResultCache(settings.load_interval_seconds, settings.cache_max_entries)
    return create_app(MartReader(db.component_url("reader"), cache), settings)


def create_app(reader: MartReader, settings: DashboardSettings) -> App:
    def page_ui(_request: Request) -> Tag:
        start, end = initial_range(reader, settings)
        devices, channels = filter_choices(reader)
        return ui.page_navbar(
            *(
                ui.nav_panel(layout.title, page_body(layout), value=layout.key)
                for layout in LAYOUTS
            ),
            title="Clickstream",
            id="page",
            sidebar=ui.sidebar(
                ui.input_date_range("dates", "Dates", start=start, end=end, weekstart=1),
                ui.input_selectize(
                    "devices",
                    "Device",
                    devices,
                    multiple=True,
                    options={"placeholder": "All devices"},
                ),
                ui.input_selectize(
                    "channels",
                    "Channel",
                    channels,
                    multiple=True,
                    options={"placeholder": "All channels"},
                ),
                ui.p(
                    {"class": "sidebar-help"},
                    "Changes are compared with the period of the same length just before. "
                    f"Figures are re-read every {settings.load_interval_seconds // 60} minutes, "
                    "the load cadence.",
                ),
                open="desktop",
                title="Filters",
                width=290,
            ),
            header=TagList(
                ui.head_content(
                    ui.tags.link(rel="stylesheet", href="styles.css"),
                    ui.tags.link(rel="icon", type="image/svg+xml", href="favicon.svg"),
                    # Fetch and compile the chart script while the first queries run.
                    ui.tags.link(rel="modulepreload", href=PLOTLY_SCRIPT),
                    ui.tags.script(src="dashboard.js"),
                ),
                ui.output_ui("banner"),
            ),
            window_title="Clickstream dashboard",
            lang="en",
        )

    def server(input: Inputs, output: Outputs, _session: Session) -> None:
        @reactive.calc
        def filters() -> Filters | FilterError:
            try:
                return filters_from_inputs(input.dates(), input.devices(), input.channels())
            except FilterError as error:
                return error

        outcomes = {
            layout.key: page_outcome(layout, filters, reader, settings) for layout in LAYOUTS
        }

        def widget_class() -> type[go.FigureWidget]:
            return figure_widget_class(widget_script_url(input.page_url()))

        def current_page() -> str:
            selected = input.page()
            return selected if selected in outcomes else LAYOUTS[0].key

        @render.ui
        def banner() -> Tag | None:
            current = filters()
            if isinstance(current, FilterError):
                return views.banner(f"These filters cannot be used: {current}.", "warning")
            result = outcomes[current_page()]()
            if isinstance(result, WarehouseUnavailableError):
                return views.banner(
                    "The warehouse cannot be reached, so this page has no figures. "
                    f"Trying again every {settings.retry_seconds} seconds. ({result})",
                    "danger",
                )
            if isinstance(result, WarehouseNotBuiltError):
                return None  # not a fault: the page body explains how to build it
            if isinstance(result, DashboardError):
                return views.banner(f"This page cannot be shown: {result}.", "danger")
            return None

        follow_filter_choices(input, reader, settings)

        for layout in LAYOUTS:
            register_page(
                layout,
                outcomes[layout.key],
                output,
                reader,
                widget_class,
                lambda key=layout.key: current_page() == key,
            )

    app = App(
        page_ui,
        server,
        static_assets={"/": WWW, f"/{PLOTLY_SCRIPT_FOLDER}": PLOTLY_PACKAGE_DATA},
    )
    # An output that fails anyway shows a generic line, never the exception's text.
    app.sanitize_errors = True
    return app


def page_outcome(
    layout: PageLayout,
    filters: reactive.Calc_[Filters | FilterError],
    reader: MartReader,
    settings: DashboardSettings,
) -> reactive.Calc_[Outcome | FilterError]:
    """The page's figures for the current filters, or the error to show instead of them."""
    refresh = (
        RELIABILITY_REFRESH_SECONDS
        if layout.key == "reliability"
        else settings.load_interval_seconds
    )

    @reactive.calc
    def outcome() -> Outcome | FilterError:
        current = filters()
        if isinstance(current, FilterError):
            return current
        reactive.invalidate_later(refresh)
        try:
            return pages.load_page(layout.key, reader, current, settings)
        except (WarehouseUnavailableError, WarehouseNotBuiltError, QueryTimeoutError) as error:
            reactive.invalidate_later(settings.retry_seconds)
            return error
        except DashboardError as error:
            return error
        except Exception:  # a page must show a message, never a traceback
            logger.exception("page failed", extra={"page": layout.key})
            return DashboardError(
                "its figures could not be computed; the dashboard's log has the details"
            )

    return outcome


def register_page(
    layout: PageLayout,
    outcome: reactive.Calc_[Outcome | FilterError],
    output: Outputs,
    reader: MartReader,
    widget_class: Callable[[], type[go.FigureWidget]],
    visible: Callable[[], bool],
) -> None:
    """The page's outputs. Shiny runs only the outputs on screen, so a page nobody looks at
    runs no queries."""

    def ready_page() -> Page:
        """The page's figures, or stop quietly: the page's state already says why not."""
        result = outcome()
        req(not isinstance(result, Exception) and not result.is_empty)
        return result

    @output(id=f"{layout.key}_state")
    @render.ui
    def _state() -> Tag | None:
        result = outcome()
        if isinstance(result, WarehouseNotBuiltError):
            return views.not_built()
        if isinstance(result, Exception):
            return views.unavailable()
        if result.is_empty:
            return views.empty_state(result.filters, data_coverage(reader))
        return None

    @output(id=f"{layout.key}_summary")
    @render.ui
    def _summary() -> TagList:
        page = ready_page()
        return TagList(
            views.filters_note(page.filters, layout.honours_segments, layout.note(page)),
            views.kpi_grid(layout.key, page.kpis, page.filters),
            layout.details(page),
        )

    for chart in layout.charts:
        register_chart(chart, outcome, visible, widget_class, output)
    for table in layout.tables:
        register_table(table, ready_page, output)


def register_chart(
    chart: Chart,
    outcome: reactive.Calc_[Outcome | FilterError],
    visible: Callable[[], bool],
    widget_class: Callable[[], type[go.FigureWidget]],
    output: Outputs,
) -> None:
    """A chart widget made once, when its page is first shown, and from then on redrawn in
    place. Replacing the widget instead would close the old one, and closing a widget whose
    page is hidden makes the widget script fail in the browser."""
    drawn: dict[str, str] = {}

    def figure(result: Outcome | FilterError) -> dict:
        ready = not isinstance(result, Exception) and not result.is_empty
        return json_safe(chart.draw(result) if ready else charts.blank())

    @output(id=chart.id)
    @render_widget
    def _chart() -> go.FigureWidget:
        with reactive.isolate():  # later figures go to this widget: see _redraw
            first = figure(outcome())
        drawn["json"] = json.dumps(first, sort_keys=True)
        return widget_class()(first)

    @reactive.effect
    def _redraw() -> None:
        if not visible():
            return  # a hidden page runs no queries
        result = outcome()
        if isinstance(result, Exception) or result.is_empty:
            return  # the page's state says why; the figures are hidden meanwhile
        widget = _chart.widget  # stops here until the widget exists
        latest = figure(result)
        text = json.dumps(latest, sort_keys=True)
        if drawn.get("json") != text:
            redraw(widget, latest)
            drawn["json"] = text


def redraw(widget: go.FigureWidget, figure: dict) -> None:
    """Put a new figure into a live widget: traces replaced, layout overwritten."""
    widget.data = ()
    widget.add_traces(figure.get("data", []))
    widget.update_layout(figure.get("layout", {}), overwrite=True)


def json_safe(figure: go.Figure) -> dict:
    """The figure with NaN (a day without sessions has no rate) as null: shinywidgets sends
    figures as strict JSON, and one NaN would end the browser's session."""
    return json.loads(figure.to_json())


@functools.cache
def figure_widget_class(script_url: str) -> type[go.FigureWidget]:
    """A plotly FigureWidget whose 5 MB script the browser imports once, from a URL it caches.

    The stock widget sends the script inline with every chart and the browser compiles it
    once per chart: a page of four charts then takes seconds, and anywidget gives up on a
    model that is not ready within two.
    """
    return type(
        "FigureWidget",
        (go.FigureWidget,),
        {"_esm": script_url, "__module__": go.FigureWidget.__module__},
    )


def widget_script_url(page_url: object) -> str:
    """The widget script's absolute URL (anywidget imports only http(s) URLs by name)."""
    parts = urlsplit(str(page_url or ""))
    req(parts.scheme in ("http", "https") and parts.netloc)
    return urljoin(urlunsplit(parts._replace(query="", fragment="")), PLOTLY_SCRIPT)


def register_table(table: Table, ready_page, output: Outputs) -> None:
    @output(id=table.id)
    @render.data_frame
    def _table() -> render.DataGrid:
        return render.DataGrid(views.present(table.rows(ready_page()), table.columns), width="100%")

    def filename() -> str:
        filters = ready_page().filters
        return f"{table.id}_{filters.start}_{filters.end}.csv"

    @output(id=f"{table.id}_csv")
    @render.download_button(filename=filename, media_type="text/csv")
    def _csv():
        yield views.present(table.rows(ready_page()), table.columns).to_csv(index=False)


def page_body(layout: PageLayout) -> Tag:
    """The page's state (empty, not built, unavailable; nothing when all is well) above its
    figures, which the style sheet hides while there is a state to show. The figures stay in
    the page: taking chart widgets out of it while they live makes their script fail."""
    return ui.div(
        {"id": f"{layout.key}_body", "class": "page-body"},
        ui.output_ui(f"{layout.key}_state", class_="page-state"),
        ui.div(
            {"class": "page-figures"},
            ui.output_ui(f"{layout.key}_summary"),
            ui.layout_column_wrap(
                *(
                    ui.card(output_widget(chart.id, height=f"{CHART_HEIGHT}px"))
                    for chart in layout.charts
                ),
                width="420px",
            ),
            *(table_card(table) for table in layout.tables),
        ),
    )


def table_card(table: Table) -> Tag:
    return ui.card(
        ui.card_header(
            {"class": "table-header"},
            ui.span(table.title),
            ui.download_button(f"{table.id}_csv", "CSV", class_="btn-sm btn-outline-secondary"),
        ),
        ui.output_data_frame(table.id),
        id=f"card_{table.id}",
    )


def data_coverage(reader: MartReader) -> tuple[date, date] | None:
    try:
        first, last = queries.data_coverage(reader).iloc[0]
    except DashboardError:
        return None
    return None if pd.isna(first) else (first, last)


def initial_range(reader: MartReader, settings: DashboardSettings) -> tuple[date, date]:
    """The latest `default_range_days` with data (or up to today when there is none)."""
    coverage = data_coverage(reader)
    end = coverage[1] if coverage else date.today()
    return end - timedelta(days=settings.default_range_days - 1), end


def follow_filter_choices(input: Inputs, reader: MartReader, settings: DashboardSettings) -> None:
    """Keep the device and channel choices up to date: a page opened before the first build
    or during an outage would otherwise offer none until it is reloaded."""
    shown: dict[str, list[str]] = {}

    @reactive.effect
    def _refresh() -> None:
        devices, channels = filter_choices(reader)
        reactive.invalidate_later(
            settings.load_interval_seconds if devices or channels else settings.retry_seconds
        )
        for name, choices in (("devices", devices), ("channels", channels)):
            if shown.get(name, choices) != choices:
                with reactive.isolate():
                    selected = [value for value in input[name]() or () if value in choices]
                ui.update_selectize(name, choices=choices, selected=selected)
            shown[name] = choices


def filter_choices(reader: MartReader) -> tuple[list[str], list[str]]:
    try:
        choices = queries.filter_choices(reader)
    except DashboardError:
        return [], []
    by_kind = choices.groupby("kind")["value"].apply(list)
    return by_kind.get("device", []), by_kind.get("channel", [])
