"""Read-only access to the marts: one connection as the reader role, a result cache, and
errors a shop owner can act on instead of tracebacks."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import pandas as pd
import psycopg
from psycopg import errors, sql

from shared import db
from shared.logs import get_logger

logger = get_logger("dashboard")

APPLICATION_NAME = "clickstream-dashboard"
Params = Mapping[str, object]
CacheKey = tuple[str, tuple[tuple[str, object], ...]]
T = TypeVar("T")


class DashboardError(RuntimeError):
    """A failure the dashboard shows as a banner; the message says what to do."""


class WarehouseUnavailableError(DashboardError):
    """Postgres cannot be reached."""


class WarehouseNotBuiltError(DashboardError):
    """A mart the page reads does not exist yet."""


class QueryTimeoutError(DashboardError):
    """A query ran past the reader role's statement_timeout and was cancelled."""


class ReaderPermissionError(DashboardError):
    """The reader role may not read something the page needs."""


class ResultCache:
    """Query results by (statement, parameters), each kept for `ttl_seconds` after it was read,
    and values derived from them (a page's figures), kept until the first of those expires.

    The TTL is the load cadence: the marts cannot change more often than the loader runs, so
    a result is never older than one load. Least recently used entries go first when full.
    """

    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int = 2048,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[CacheKey, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> Any:
        """The value, or None when there is none or it has expired."""
        entry = self.entry(key)
        return None if entry is None else entry[1]

    def entry(self, key: CacheKey) -> tuple[float, Any] | None:
        """(expires_at, value), or None when there is none or it has expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if self._clock() >= entry[0]:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: CacheKey, value: Any, expires_at: float | None = None) -> float:
        """Keep `value` until `expires_at` (default: `ttl_seconds` from now); returns that."""
        with self._lock:
            expires_at = self._clock() + self.ttl_seconds if expires_at is None else expires_at
            self._entries[key] = (expires_at, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return expires_at

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class MartReader:
    """Runs parameterised statements as the reader role and returns data frames.

    One connection, reopened when it breaks, used under a lock: Shiny serves every session
    from one event loop, so a pool would only add idle connections.
    """

    def __init__(self, url: str, cache: ResultCache) -> None:
        self.url = url
        self.cache = cache
        self._connection: psycopg.Connection | None = None
        self._lock = threading.Lock()
        # Per thread, the expiry times of the frames read while a derived value is computed.
        self._reads = threading.local()

    def frame(self, statement: sql.Composable, params: Params | None = None) -> pd.DataFrame:
        """The statement's rows (from the cache when fresh); a copy the caller may change."""
        params = dict(params or {})
        key = cache_key(statement, params)
        entry = self.cache.entry(key)
        if entry is None:
            frame = self._query(statement, params)
            entry = (self.cache.put(key, frame), frame)
        for reads in getattr(self._reads, "stack", ()):
            reads.append(entry[0])
        return entry[1].copy(deep=False)

    def derived(self, name: str, params: Params, build: Callable[[], T]) -> T:
        """`build()`, a value computed only from this reader's frames, cached under `name` and
        `params` until the first frame it read expires: never older than its data, and a
        repeated view does not redo the work. The value is shared: callers must not change it.
        """
        key = cache_key(sql.SQL(name), params)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        stack = self._reads.__dict__.setdefault("stack", [])
        reads: list[float] = []
        stack.append(reads)
        try:
            value = build()
        finally:
            stack.pop()
        self.cache.put(key, value, min(reads, default=None))
        return value

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _query(self, statement: sql.Composable, params: dict[str, object]) -> pd.DataFrame:
        with self._lock:
            try:
                return self._execute(statement, params)
            except psycopg.OperationalError:
                # A connection broken since its last use (server restart, network blip):
                # statements here only read, so running one again on a new connection is safe.
                self._drop_connection()
            try:
                return self._execute(statement, params)
            except psycopg.OperationalError as error:
                self._drop_connection()
                raise WarehouseUnavailableError(
                    f"lost the connection to the warehouse ({first_line(error)}); "
                    "check that Postgres is up"
                ) from error

    def _execute(self, statement: sql.Composable, params: dict[str, object]) -> pd.DataFrame:
        try:
            with self._connect().cursor() as cursor:
                cursor.execute(statement, params)
                columns = [column.name for column in cursor.description or ()]
                return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
        except errors.QueryCanceled as error:
            raise QueryTimeoutError(
                "a query ran longer than the reader role's statement_timeout and was cancelled; "
                "choose a shorter date range, or raise READER_STATEMENT_TIMEOUT_MS and run "
                "`clickstream db bootstrap`"
            ) from error
        except errors.UndefinedTable as error:
            raise WarehouseNotBuiltError(
                f"the warehouse is not built yet ({first_line(error)}); "
                "load data and build it with `clickstream run`"
            ) from error
        except errors.InsufficientPrivilege as error:
            raise ReaderPermissionError(
                f"the dashboard's role may not read what this page needs ({first_line(error)}); "
                "run `clickstream db bootstrap` to restore its grants"
            ) from error
        except psycopg.OperationalError:
            raise
        except psycopg.Error as error:
            raise DashboardError(f"the warehouse refused a query: {first_line(error)}") from error

    def _connect(self) -> psycopg.Connection:
        if self._connection is None or self._connection.closed:
            try:
                self._connection = db.connect(
                    self.url, autocommit=True, application_name=APPLICATION_NAME
                )
            except db.DatabaseUnavailableError as error:
                logger.warning("warehouse unavailable", extra={"error": str(error)})
                raise WarehouseUnavailableError(str(error)) from error
            # Hour boundaries in the marts are UTC, whatever the server's default zone is.
            self._connection.execute("set time zone 'UTC'")
        return self._connection

    def _drop_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None


def cache_key(statement: sql.Composable, params: Params) -> CacheKey:
    return statement.as_string(), tuple(
        sorted((name, freeze(value)) for name, value in params.items())
    )


def freeze(value: object) -> object:
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    if isinstance(value, str | int | float | bool | date | datetime) or value is None:
        return value
    raise TypeError(f"cannot use a {type(value).__name__} as a query parameter in a cache key")


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
