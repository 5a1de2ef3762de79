"""The reader role's limits, the statement timeout, the result cache and the errors a page
shows instead of a traceback — all against the real Postgres."""

from __future__ import annotations

import time

import psycopg
import pytest
from psycopg import errors, sql

from dashboard import queries
from dashboard.filters import Filters
from dashboard.reader import (
    MartReader,
    QueryTimeoutError,
    ReaderPermissionError,
    ResultCache,
    WarehouseNotBuiltError,
    WarehouseUnavailableError,
)
from shared.ports import free_port
from tests.conftest import Warehouse
from tests.dashboard.conftest import RANGE, admin_execute


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_reader_role_cannot_write_to_the_marts(marts: Warehouse) -> None:
    with psycopg.connect(marts.url("reader"), autocommit=True) as conn:
        with pytest.raises(errors.ReadOnlySqlTransaction):
            conn.execute("delete from marts.mart_search_daily")
        with pytest.raises(errors.ReadOnlySqlTransaction):
            conn.execute("create table marts.scratch (x int)")
        # Even with read-only switched off for a transaction, it holds no write privilege.
        with (
            pytest.raises(errors.InsufficientPrivilege, match="permission denied"),
            conn.transaction(),
        ):
            conn.execute("set transaction read write")
            conn.execute("delete from marts.mart_search_daily")
    assert marts.scalar("select count(*) from marts.mart_search_daily") == 5


def test_the_reader_role_cannot_read_raw(marts: Warehouse) -> None:
    with (
        psycopg.connect(marts.url("reader"), autocommit=True) as conn,
        pytest.raises(errors.InsufficientPrivilege, match="permission denied for schema raw"),
    ):
        conn.execute("select count(*) from raw.events")


def test_reading_raw_through_the_dashboard_is_a_clear_error(reader: MartReader) -> None:
    with pytest.raises(ReaderPermissionError, match="clickstream db bootstrap"):
        reader.frame(sql.SQL("select count(*) from raw.events"))


def test_the_reader_role_carries_a_statement_timeout(marts: Warehouse) -> None:
    with psycopg.connect(marts.url("reader")) as conn:
        assert conn.execute("show statement_timeout").fetchone() == ("5s",)


def test_a_slow_query_is_cancelled_by_the_timeout(marts: Warehouse) -> None:
    # For this database only: the role-wide setting stays as bootstrap left it.
    admin_execute(
        marts,
        sql.SQL("alter role clickstream_reader in database {} set statement_timeout = 300").format(
            sql.Identifier(marts.name)
        ),
    )
    reader = MartReader(marts.url("reader"), ResultCache(ttl_seconds=60))
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError, match="statement_timeout") as caught:
        reader.frame(sql.SQL("select pg_sleep(30)"))
    assert time.monotonic() - started < 10
    assert "READER_STATEMENT_TIMEOUT_MS" in str(caught.value)
    # The connection survives the cancel and serves the next question.
    assert reader.frame(sql.SQL("select 1 as one"))["one"].tolist() == [1]
    reader.close()


def test_results_are_cached_by_query_and_filters_until_the_load_cadence(marts: Warehouse) -> None:
    clock = FakeClock()
    reader = MartReader(marts.url("reader"), ResultCache(ttl_seconds=3600, clock=clock))
    mobile = Filters(RANGE.start, RANGE.end, devices=("mobile",))
    first = queries.funnel_by_segment(reader, RANGE)
    assert first["sessions"].sum() == 50
    admin_execute(marts, "update marts.mart_funnel_daily set sessions = sessions + 100")

    clock.now += 3599
    assert queries.funnel_by_segment(reader, RANGE)["sessions"].sum() == 50  # cached
    # Other filters are another key: read now, with the update.
    assert queries.funnel_by_segment(reader, mobile)["sessions"].sum() == 20 + 200
    clock.now += 1
    assert queries.funnel_by_segment(reader, RANGE)["sessions"].sum() == 50 + 400  # expired
    reader.close()


def test_a_derived_value_lives_until_the_first_frame_it_read_expires(marts: Warehouse) -> None:
    clock = FakeClock()
    reader = MartReader(marts.url("reader"), ResultCache(ttl_seconds=3600, clock=clock))
    builds = []

    def sessions_per_channel() -> int:
        builds.append(clock.now)
        funnel = queries.funnel_by_segment(reader, RANGE)  # first read at 0: kept until 3600
        search = queries.search_terms(reader, RANGE)  # first read at 1800: until 5400
        return int(funnel["sessions"].sum()) + len(search)

    queries.funnel_by_segment(reader, RANGE)
    clock.now += 1800
    assert reader.derived("figure", {"n": 1}, sessions_per_channel) == 50 + 3
    admin_execute(marts, "update marts.mart_funnel_daily set sessions = sessions + 100")
    clock.now += 1799
    assert reader.derived("figure", {"n": 1}, sessions_per_channel) == 50 + 3  # cached
    assert reader.derived("figure", {"n": 2}, sessions_per_channel) == 50 + 3  # other key
    assert builds == [1000 + 1800, 1000 + 3599]
    clock.now += 1  # the funnel frame it was built from expires, and the value with it
    assert reader.derived("figure", {"n": 1}, sessions_per_channel) == 50 + 400 + 3
    assert len(builds) == 3
    reader.close()


def test_a_cached_frame_cannot_be_changed_through_the_copy_a_caller_gets(
    reader: MartReader,
) -> None:
    frame = queries.funnel_by_segment(reader, RANGE)
    frame["sessions"] = 0
    frame["extra"] = 1
    again = queries.funnel_by_segment(reader, RANGE)
    assert again["sessions"].sum() == 50
    assert "extra" not in again.columns


def test_the_cache_forgets_the_least_recently_used_entry_when_full() -> None:
    cache = ResultCache(ttl_seconds=60, max_entries=2)
    frames = {name: pd_frame(name) for name in "abc"}
    cache.put(("a", ()), frames["a"])
    cache.put(("b", ()), frames["b"])
    assert cache.get(("a", ())) is frames["a"]  # a is now the most recently used
    cache.put(("c", ()), frames["c"])
    assert cache.get(("b", ())) is None
    assert cache.get(("a", ())) is frames["a"]
    assert len(cache) == 2


def pd_frame(value: str):
    import pandas as pd

    return pd.DataFrame({"value": [value]})


def test_an_unreachable_warehouse_is_a_clear_error() -> None:
    url = f"postgresql://clickstream_reader@127.0.0.1:{free_port()}/clickstream"
    reader = MartReader(url, ResultCache(ttl_seconds=60))
    with pytest.raises(WarehouseUnavailableError) as caught:
        queries.data_coverage(reader)
    assert str(caught.value).startswith(f"cannot connect to Postgres at {url}: ")
    assert "Connection refused" in str(caught.value)


def test_a_connection_dropped_by_the_server_is_reopened(
    reader: MartReader, marts: Warehouse
) -> None:
    assert queries.data_coverage(reader)["last_day"].tolist()[0].isoformat() == "2024-03-14"
    killed = marts.query(
        "select pg_terminate_backend(pid) from pg_stat_activity"
        " where application_name = 'clickstream-dashboard'"
    )
    assert killed == [(True,)]
    assert len(queries.funnel_by_segment(reader, RANGE)) == 4


def test_a_warehouse_not_built_yet_says_how_to_build_it(warehouse: Warehouse) -> None:
    reader = MartReader(warehouse.url("reader"), ResultCache(ttl_seconds=60))
    with pytest.raises(WarehouseNotBuiltError, match="clickstream run"):
        queries.data_coverage(reader)
    reader.close()
