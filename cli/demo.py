"""`clickstream demo`: the whole platform on the embedded defaults, end to end.

Starts the embedded Postgres, generates a week of the demo shop's traffic into the local
lake (once: a re-run reuses it), lands it with the loader (exactly once: a re-run loads
only what is new, such as the storefront's own events), builds the warehouse with
`dbt build`, generates the dbt docs, prints what is now in Postgres, then serves the ingest
API, the storefront, the dashboard and the docs site until Ctrl-C.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cli.run import describe_build
from generator import GeneratorConfig, generate_to_lake
from generator.config import today_utc
from loader.core import LoadSummary, run_load
from shared import db
from shared.embedded_postgres import EmbeddedPostgres
from shared.lake import open_lake
from shared.settings import ConfigError, default_lake, state_dir
from transform.runner import TransformError, run_dbt, target_path

DEMO_SEED = 42
DEMO_DAYS = 7
DEFAULT_EVENTS = 50_000
# Hour partitions cut into objects as a compactor would: a week is written in seconds
# instead of one fsync'd object per simulated request.
EVENTS_PER_OBJECT = 1_000
READY_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 15
MARKER = "demo-lake.json"


class DemoError(RuntimeError):
    """A step of the demo failed; the message says which and where its log is."""


@dataclass(frozen=True)
class Endpoints:
    host: str
    api: int
    storefront: int
    dashboard: int
    docs: int

    def url(self, port: int, path: str = "/") -> str:
        return f"http://{self.host}:{port}{path}"


@dataclass(frozen=True)
class Figures:
    """What Postgres holds after the demo's load and build."""

    rows_loaded: int
    rows_rejected: int
    sessions: int
    orders: int
    revenue: float


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="generate, load, build and serve the whole platform locally",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
    )
    parser.add_argument(
        "--events",
        type=int,
        default=DEFAULT_EVENTS,
        help="about how many events the generated week holds (default %(default)s); only "
        "used when the lake is generated",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="start over: delete the demo's lake and the embedded database, then regenerate",
    )
    parser.add_argument("--no-serve", action="store_true", help="stop after printing the figures")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    for name, port in (("api", 8080), ("storefront", 8000), ("dashboard", 8050), ("docs", 8081)):
        parser.add_argument(
            f"--{name}-port", type=int, default=port, help=f"{name} port (default %(default)s)"
        )
    parser.set_defaults(handler=demo)


def demo(args: argparse.Namespace) -> int:
    endpoints = Endpoints(
        args.host, args.api_port, args.storefront_port, args.dashboard_port, args.docs_port
    )
    # Ctrl-C, and a supervisor's stop, end the demo cleanly (also when started in the
    # background by a shell, which would have it ignore SIGINT).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, raise_keyboard_interrupt)
    if not args.no_serve:
        check_ports_free(endpoints)
    if args.fresh:
        start_over()
    with embedded_database():
        lake = default_lake()
        summary = ensure_demo_lake(lake, args.events)
        step("loading the lake into raw.events")
        load = run_load(open_lake(lake), db.component_url("loader"))
        build_warehouse()
        figures = read_figures(db.component_url("transform"))
        print_figures(lake, summary, load, figures)
        if args.no_serve:
            return 0
        serve(endpoints, lake)
    return 0


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


# ---- state ----


def start_over() -> None:
    """Delete the demo lake and the embedded database (only what the demo owns)."""
    if not db.uses_embedded():
        raise ConfigError(
            "--fresh deletes the embedded database, but DATABASE_URL points elsewhere; unset "
            "it, or empty that database yourself"
        )
    state, lake = state_dir(), Path(default_lake())
    if default_lake().startswith("s3://") or state not in lake.parents:
        raise ConfigError(
            f"--fresh deletes the lake only under the state folder {state}; CLICKSTREAM_LAKE "
            f"is {default_lake()}: unset it or empty that lake yourself"
        )
    step(f"starting over: deleting {lake} and the embedded database")
    server = EmbeddedPostgres.from_env()
    server.stop()
    shutil.rmtree(lake, ignore_errors=True)
    shutil.rmtree(server.data_dir, ignore_errors=True)
    (state / MARKER).unlink(missing_ok=True)


@contextmanager
def embedded_database() -> Iterator[None]:
    """The embedded Postgres up and bootstrapped; stopped afterwards if the demo started it."""
    server = EmbeddedPostgres.from_env() if db.uses_embedded() else None
    started = server is not None and not server.is_running()
    if server is not None:
        step(f"starting the embedded Postgres ({server.url()}, data in {server.data_dir})")
        server.start()
    db.bootstrap()
    try:
        yield
    finally:
        if started:
            step("stopping the embedded Postgres")
            server.stop()


def ensure_demo_lake(lake: str, events: int) -> dict[str, Any]:
    """Generate the demo week once; its plan is written first, so an interrupted generation
    is redone with the same dates (same object names, nothing loaded twice)."""
    marker = state_dir() / MARKER
    plan = json.loads(marker.read_text()) if marker.is_file() else None
    if plan and plan.get("summary"):
        if plan["events"] != events:
            print(f"    (the lake was generated with --events {plan['events']}; --fresh redoes it)")
        step(f"reusing the generated lake {lake}")
        return plan["summary"]
    if plan is None:
        plan = {"seed": DEMO_SEED, "days": DEMO_DAYS, "end": today_utc().isoformat()}
        plan["events"] = events
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps(plan, indent=2) + "\n")
    config = GeneratorConfig(
        seed=plan["seed"],
        days=plan["days"],
        end=date.fromisoformat(plan["end"]),
        events=plan["events"],
        events_per_object=EVENTS_PER_OBJECT,
        workers=2,
    )
    step(f"generating {config.days} days of traffic (~{config.events:,} events) into {lake}")
    summary = generate_to_lake(lake, config).as_dict()
    marker.write_text(json.dumps({**plan, "summary": summary}, indent=2) + "\n")
    return summary


# ---- warehouse ----


def build_warehouse() -> None:
    """`dbt build`, then the docs site; dbt's own output is shown only when it fails."""
    try:
        step("building the warehouse: dbt build (models, seeds and tests)")
        started = time.monotonic()
        results = run_dbt("build", echo=False)
        print(f"    {describe_build(results, time.monotonic() - started)}", flush=True)
        step("generating the dbt docs site: dbt docs generate")
        run_dbt("docs", "generate", echo=False)
    except TransformError as error:
        raise DemoError(f"the warehouse build failed:\n{error}") from error


def read_figures(url: str) -> Figures:
    with db.connect(url) as conn:
        loaded = conn.execute("select count(*) from raw.events").fetchone()[0]
        rejected = conn.execute("select count(*) from raw.events_rejected").fetchone()[0]
        sessions, orders, revenue = conn.execute(
            "select count(*), coalesce(sum(orders), 0), coalesce(sum(revenue), 0)"
            " from marts.fact_sessions"
        ).fetchone()
    return Figures(loaded, rejected, sessions, int(orders), round(float(revenue), 2))


def print_figures(lake: str, summary: dict[str, Any], load: LoadSummary, figures: Figures) -> None:
    generated = summary["lines_written"]
    print(
        "\nWhat the demo holds now\n"
        f"  lake              {lake}\n"
        f"  events generated  {summary['events']:,} events in {generated:,} lines "
        f"({summary['duplicate_lines']:,} duplicate deliveries, {summary['invalid_lines']:,} "
        f"refused by the ingest API), {summary['first_received_at'][:10]} to "
        f"{summary['last_received_at'][:10]}\n"
        f"  loaded this run   {load.rows_loaded:,} rows, {load.rows_rejected:,} rejected, "
        f"{load.objects_loaded:,} objects\n"
        f"  rows loaded       {figures.rows_loaded:,} in raw.events\n"
        f"  rows rejected     {figures.rows_rejected:,} in raw.events_rejected\n"
        f"  sessions          {figures.sessions:,} in marts.fact_sessions (bots excluded)\n"
        f"  orders            {figures.orders:,}\n"
        f"  revenue           {figures.revenue:,.2f} USD\n"
        f"  figures (JSON)    {json.dumps(asdict(figures))}\n",
        flush=True,
    )


# ---- servers ----


def check_ports_free(endpoints: Endpoints) -> None:
    for name in ("api", "storefront", "dashboard", "docs"):
        port = getattr(endpoints, name)
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((endpoints.host, port))
            except OSError as exc:
                raise ConfigError(
                    f"port {port} on {endpoints.host} is not free ({exc.strerror}); stop what "
                    f"uses it or pick another with --{name}-port"
                ) from exc


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log on the demo's console."""


def start_docs_server(host: str, port: int, folder: Path) -> ThreadingHTTPServer:
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, name="docs", daemon=True).start()
    return server


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log: Path
    ready_url: str


def start_child(name: str, args: list[str], ready_url: str) -> Child:
    logs = state_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    with log.open("w") as handle:
        process = subprocess.Popen(  # noqa: S603 - our interpreter and CLI, no shell
            [sys.executable, "-m", "cli.main", *args],
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the demo, which stops its children
        )
    return Child(name, process, log, ready_url)


def wait_until_ready(child: Child, deadline: float) -> None:
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise DemoError(f"the {child.name} exited at start-up:\n{log_tail(child.log)}")
        try:
            with urllib.request.urlopen(child.ready_url, timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise DemoError(f"the {child.name} did not answer {child.ready_url} in time ({child.log})")


def log_tail(log: Path, lines: int = 20) -> str:
    text = log.read_text(errors="replace") if log.is_file() else ""
    return "\n".join(text.splitlines()[-lines:]) + f"\n(full log: {log})"


def stop_children(children: list[Child]) -> None:
    for child in children:
        if child.process.poll() is None:
            child.process.terminate()  # uvicorn shuts down gracefully on SIGTERM
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for child in children:
        with suppress(subprocess.TimeoutExpired):
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait()


def raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(endpoints: Endpoints, lake: str) -> None:
    api = endpoints.url(endpoints.api, "/v1/events")
    storefront_origins = [
        f"http://{host}:{endpoints.storefront}" for host in ("127.0.0.1", "localhost")
    ]
    origin_args = [arg for origin in storefront_origins for arg in ("--allow-origin", origin)]
    host = ["--host", endpoints.host]
    docs = start_docs_server(endpoints.host, endpoints.docs, target_path())
    children: list[Child] = []
    try:
        children.append(start_child(
            "ingest API",
            ["serve", "--lake", lake, *host, "--port", str(endpoints.api), *origin_args],
            endpoints.url(endpoints.api, "/healthz"),
        ))  # fmt: skip
        children.append(start_child(
            "storefront",
            ["storefront", *host, "--port", str(endpoints.storefront), "--endpoint", api],
            endpoints.url(endpoints.storefront),
        ))  # fmt: skip
        children.append(start_child(
            "dashboard",
            ["dashboard", *host, "--port", str(endpoints.dashboard)],
            endpoints.url(endpoints.dashboard),
        ))  # fmt: skip
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        for child in children:
            wait_until_ready(child, deadline)
        print_urls(endpoints)
        while all(child.process.poll() is None for child in children):
            time.sleep(0.5)
        stopped = next(child for child in children if child.process.poll() is not None)
        raise DemoError(f"the {stopped.name} stopped unexpectedly:\n{log_tail(stopped.log)}")
    except KeyboardInterrupt:
        step("stopping the servers")
    finally:
        stop_children(children)
        docs.shutdown()
        docs.server_close()


def print_urls(endpoints: Endpoints) -> None:
    print(
        "\nOpen\n"
        f"  dashboard         {endpoints.url(endpoints.dashboard)}\n"
        f"  dbt docs          {endpoints.url(endpoints.docs)}\n"
        f"  demo storefront   {endpoints.url(endpoints.storefront)}  (its events go to the API)\n"
        f"  ingest API        {endpoints.url(endpoints.api, '/v1/events')}  "
        f"(health: {endpoints.url(endpoints.api, '/healthz')})\n"
        "Browse the storefront, then run `clickstream run` to load your visit and rebuild.\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
