"""Ingest API throughput and latency, against a bare endpoint on the same stack (issue 4).

    .venv/bin/python -m bench.bench_ingest [--workers 2] [--seconds 15] [--connections 32]
                                           [--rate 500]

Two servers on loopback, both uvicorn with uvloop + httptools and `--workers` processes:

- ingest: `clickstream serve` itself (the real command), lake in a temporary directory;
- bare: a Starlette route on the same stack that writes the request body to disk exactly
  as the ingest API writes an object (group commit, atomic rename, fsync of file and
  folder) and answers 202. The ratio between the two is the price of parsing, validation,
  enrichment, gzip and the request log line.

The load comes from a separate process (asyncio + uvloop, raw HTTP/1.1 keep-alive
connections, 10-event batches, a pool of distinct bodies made before the clock starts):

- closed loop: `--connections` connections send back to back: the sustained maximum;
- open loop: requests scheduled at `--rate` per second over a pool of connections; the
  latency counts from the scheduled time, so a stalled server shows up as latency instead
  of as fewer requests (no coordinated omission).

An error is any answer other than 202, or a failed connection. At the end, the ingest lake
must hold exactly the events of the 202 answers the load generators received: 10 per 202
(the body pool repeats, so lines are counted, not distinct event ids).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from shared.ports import free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT_ROOT / "bench" / "results" / "ingest.json"
GOAL_RPS = 500
GOAL_P95_MS = 120
EVENTS_PER_BATCH = 10
BODY_POOL = 2000
WARMUP_SECONDS = 3.0
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
)


# ---------------------------------------------------------------- the bare endpoint


def bare_app() -> Any:
    """The baseline: same server stack, the body written to disk durably, nothing else."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from ingest.storage import GroupCommitWriter
    from shared.lake import LocalLake

    store = GroupCommitWriter(LocalLake(Path(os.environ["BENCH_BARE_DIR"])))

    async def write_body(request: Request) -> Response:
        body = await request.body()
        await run_in_threadpool(store.write, f"bare/{uuid.uuid4().hex}.json", body)
        return Response(b'{"stored":true}', 202, media_type="application/json")

    return Starlette(routes=[Route("/v1/events", write_body, methods=["POST"])])


def serve_bare(port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "bench.bench_ingest:bare_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        server_header=False,
        log_level="warning",
    )


# ---------------------------------------------------------------- the load generator


def make_event(rng: random.Random, session: str, anonymous: str, second: int) -> dict:
    product = f"sku-{rng.randrange(400):04d}"
    kind = rng.choice(("view", "view", "view", "click", "add_to_cart", "search"))
    clock = f"2026-11-23T10:{second // 60 % 60:02d}:{second % 60:02d}"
    event: dict[str, Any] = {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "ts": f"{clock}.{rng.randrange(1000):03d}+07:00",
        "sent_at": f"{clock}.999+07:00",
        "event_type": kind,
        "session_id": session,
        "anonymous_id": anonymous,
        "page_url": f"https://shop.example/products/{product}?utm_source=newsletter",
        "referrer": "https://shop.example/category/laptops",
        "page_title": 'Laptop 14" Ryzen 7 – 16 GB / 512 GB',
        "device": {"type": rng.choice(("desktop", "mobile", "tablet"))},
    }
    if kind in ("click", "add_to_cart", "view"):
        event["ecom"] = {
            "product_id": product,
            "product_name": "Laptop 14 Ryzen 7",
            "category": "laptops",
            "brand": "Acme",
            "currency": "USD",
            "price": round(rng.uniform(20, 2000), 2),
            "qty": 1,
        }
    if kind == "search":
        event["props"] = {"search_query": "usb-c dock", "results_count": rng.randrange(40)}
    else:
        event["props"] = {"list": "category", "items": [f"sku-{n:04d}" for n in range(8)]}
    return event


def make_requests(port: int, count: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    requests = []
    for number in range(count):
        session, anonymous = f"s-{number}", f"a-{number % 500}"
        events = [make_event(rng, session, anonymous, number + n) for n in range(EVENTS_PER_BATCH)]
        body = json.dumps({"events": events}, separators=(",", ":")).encode()
        head = (
            f"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nUser-Agent: {USER_AGENTS[number % 5]}\r\n"
            f"Origin: https://shop.example\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests


async def read_status(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(head[9:12])


@dataclass
class LoadResult:
    shape: str
    requests: int
    errors: int
    accepted_total: int  # every 202, warm-up included: the lake must hold this many objects
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    # CPU seconds the server's processes used per 202 (user + system, from /proc): unlike
    # requests/s, it hardly depends on what else the machine is running.
    server_cpu_ms_per_request: float | None = None


async def run_load(port: int, connections: int, seconds: float, rate: float | None) -> LoadResult:
    # perf_counter, not loop.time(): uvloop's clock ticks in whole milliseconds.
    clock = time.perf_counter
    requests = make_requests(port, BODY_POOL)
    latencies: list[float] = []
    counters = {"errors": 0, "accepted": 0, "issued": 0}
    measure_from = clock() + WARMUP_SECONDS
    stop_at = measure_from + seconds

    def next_ticket() -> float | None:
        """The time this request is due (open loop) or now (closed loop); None when done."""
        number = counters["issued"]
        counters["issued"] += 1
        due = clock() if rate is None else measure_from - WARMUP_SECONDS + number / rate
        return due if due < stop_at else None

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (due := next_ticket()) is not None:
            if (wait := due - clock()) > 0:
                await asyncio.sleep(wait)
            payload = requests[counters["issued"] % len(requests)]
            try:
                writer.write(payload)
                status = await read_status(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                status = 0
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            counters["accepted"] += status == 202
            # Errors count from the first request, warm-up included: zero means zero.
            counters["errors"] += status != 202
            if due >= measure_from:
                latencies.append(clock() - due)
        writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    latencies.sort()

    def percentile(share: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000, 2)

    shape = f"closed, {connections} conn" if rate is None else f"open, {rate:g}/s"
    return LoadResult(
        shape=shape,
        requests=len(latencies),
        errors=counters["errors"],
        accepted_total=counters["accepted"],
        seconds=seconds,
        rps=round(len(latencies) / seconds, 1),
        p50_ms=percentile(0.50),
        p95_ms=percentile(0.95),
        p99_ms=percentile(0.99),
        max_ms=round(latencies[-1] * 1000, 2),
    )


def load_main(args: argparse.Namespace) -> None:
    import uvloop

    result = uvloop.run(run_load(args.port, args.connections, args.seconds, args.load_rate))
    print(json.dumps(asdict(result)))


# ---------------------------------------------------------------- the orchestration


def wait_for_port(port: int, process: subprocess.Popen, name: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the {name} server exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the {name} server did not listen on {port} within 30 s")


def process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, CPU seconds)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:  # the process ended meanwhile
            continue
        # After the command name: state, ppid, ..., utime (12th), stime (13th).
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    children: dict[int, list[int]] = {}
    for member, (parent, _) in stats.items():
        children.setdefault(parent, []).append(member)
    total, pending = 0.0, [pid]
    while pending:
        member = pending.pop()
        total += stats.get(member, (0, 0.0))[1]
        pending.extend(children.get(member, []))
    return total


def generate_load(port: int, args: argparse.Namespace, rate: float | None) -> LoadResult:
    command = [
        sys.executable,
        "-m",
        "bench.bench_ingest",
        "--load-port",
        str(port),
        "--connections",
        str(args.connections if rate is None else args.open_connections),
        "--seconds",
        str(args.seconds),
    ]
    if rate is not None:
        command += ["--load-rate", str(rate)]
    output = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout
    return LoadResult(**json.loads(output))


def start_servers(args: argparse.Namespace, workdir: Path) -> dict[str, tuple[int, Any]]:
    ingest_port, bare_port = free_port(), free_port()
    clickstream = str(Path(sys.executable).with_name("clickstream"))
    with (workdir / "ingest.log").open("w") as ingest_log:  # the server keeps its copy
        ingest = subprocess.Popen(
            [
                *(clickstream, "serve", "--lake", str(workdir / "lake")),
                *("--port", str(ingest_port), "--workers", str(args.workers)),
            ],
            cwd=PROJECT_ROOT,
            stdout=ingest_log,
            stderr=subprocess.STDOUT,
        )
    bare = subprocess.Popen(
        [
            *(sys.executable, "-m", "bench.bench_ingest", "--serve-bare", str(bare_port)),
            *("--workers", str(args.workers)),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "BENCH_BARE_DIR": str(workdir / "bare")},
    )
    wait_for_port(ingest_port, ingest, "ingest")
    wait_for_port(bare_port, bare, "bare")
    return {"bare": (bare_port, bare), "ingest": (ingest_port, ingest)}


def orchestrate(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    load_before = os.getloadavg()
    servers = start_servers(args, workdir)
    results: dict[str, list[LoadResult]] = {"bare": [], "ingest": []}
    try:
        for rate in (None, float(args.rate)):
            for name in ("bare", "ingest"):
                port, process = servers[name]
                cpu_before = process_tree_cpu_seconds(process.pid)
                result = generate_load(port, args, rate)
                cpu_used = process_tree_cpu_seconds(process.pid) - cpu_before
                per_request = cpu_used * 1000 / max(result.accepted_total, 1)
                result.server_cpu_ms_per_request = round(per_request, 3)
                results[name].append(result)
    finally:
        for _, process in servers.values():
            process.terminate()
            process.wait(timeout=30)
    load_after = os.getloadavg()
    acknowledged = sum(result.accepted_total for result in results["ingest"])
    objects, stored = count_raw_events(workdir / "lake")
    report(args, results, (load_before, load_after), acknowledged, (objects, stored))
    shutil.rmtree(workdir, ignore_errors=True)
    closed, fixed_rate = results["ingest"]
    goal_met = all(
        (
            closed.rps >= GOAL_RPS,
            fixed_rate.p95_ms < GOAL_P95_MS,
            closed.p95_ms < GOAL_P95_MS,
            closed.errors == fixed_rate.errors == 0,
            stored == acknowledged * EVENTS_PER_BATCH,
        )
    )
    return 0 if goal_met else 1


def count_raw_events(lake: Path) -> tuple[int, int]:
    """(objects, NDJSON lines) under raw/, read with gzip (several members per object)."""
    paths = list((lake / "raw").rglob("*.ndjson.gz"))
    lines = sum(gzip.decompress(path.read_bytes()).count(b"\n") for path in paths)
    return len(paths), lines


def report(
    args: argparse.Namespace,
    results: dict[str, list[LoadResult]],
    load: tuple[tuple[float, ...], tuple[float, ...]],
    acknowledged: int,
    lake: tuple[int, int],
) -> None:
    (before, *_), (after, *_) = load
    objects, stored = lake
    print(
        f"ingest API benchmark: {args.workers} server workers, {EVENTS_PER_BATCH}-event "
        f"batches, {args.seconds:g} s per run after {WARMUP_SECONDS:g} s warm-up; "
        f"1-minute load average {before:.2f} before, {after:.2f} after, "
        f"on {os.cpu_count()} CPUs"
    )
    print(
        f"{'endpoint':<8} {'load shape':<18} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'errors':>7} {'CPU ms/req':>11}"
    )
    for name, runs in results.items():
        for run in runs:
            print(
                f"{name:<8} {run.shape:<18} {run.rps:>8.1f} {run.p50_ms:>8.2f} "
                f"{run.p95_ms:>8.2f} {run.p99_ms:>8.2f} {run.max_ms:>8.2f} {run.errors:>7} "
                f"{run.server_cpu_ms_per_request or 0:>11.3f}"
            )
    ratio = results["ingest"][0].rps / results["bare"][0].rps
    cpu_ratio = (results["ingest"][0].server_cpu_ms_per_request or 0) / max(
        results["bare"][0].server_cpu_ms_per_request or 0, 1e-9
    )
    print(
        f"ingest / bare sustained req/s: {ratio:.2f}; "
        f"server CPU per request, ingest / bare: {cpu_ratio:.2f}"
    )
    print(
        f"202 answers: {acknowledged}; events in raw/: {stored} "
        f"(expected {acknowledged * EVENTS_PER_BATCH}) in {objects} objects "
        f"({acknowledged / max(objects, 1):.1f} requests per object: group commit)"
    )
    closed, fixed_rate = results["ingest"]
    print(
        f"goal ≥ {GOAL_RPS} req/s sustained, p95 < {GOAL_P95_MS} ms, 0 errors: "
        f"{closed.rps:.0f} req/s (p95 {closed.p95_ms:.1f} ms closed loop, "
        f"{fixed_rate.p95_ms:.1f} ms at {args.rate}/s)"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "workers": args.workers,
                "load_average_before_after": load,
                "ratio_ingest_to_bare": round(ratio, 3),
                "cpu_ratio_ingest_to_bare": round(cpu_ratio, 3),
                "raw_objects": objects,
                "raw_events": stored,
                "acknowledged": acknowledged,
                "runs": {name: [asdict(run) for run in runs] for name, runs in results.items()},
            },
            indent=2,
        )
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="server processes (default 2)")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per run")
    parser.add_argument("--connections", type=int, default=32, help="closed-loop connections")
    parser.add_argument("--open-connections", type=int, default=64, help="open-loop pool")
    parser.add_argument("--rate", type=float, default=GOAL_RPS, help="open-loop requests/s")
    # Internal roles of this same script, run as separate processes.
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--load-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--load-rate", type=float, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, args.workers)
        return 0
    if args.load_port:
        args.port = args.load_port
        load_main(args)
        return 0
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
