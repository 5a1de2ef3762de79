"""`clickstream serve`: the ingest API locally; `clickstream dlq replay`: drain the DLQ."""

from __future__ import annotations

import argparse
import errno
import os
import socket
from pathlib import Path

from cli.storefront import LOCAL_ORIGINS as LOCAL_STOREFRONT_ORIGINS
from ingest.config import DEFAULT_DLQ_MESSAGE_BYTES, IngestConfig
from ingest.storage import open_ingest_lake
from shared.lake import S3Lake
from shared.settings import ConfigError, default_lake, env_list, env_str

ALL_INTERFACES = ("0.0.0.0", "::", "")  # noqa: S104 - compared, to print a URL that works


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve", help="the ingest API (POST /v1/events) on a local HTTP server"
    )
    add_lake_option(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8080, help="port (default: %(default)s)")
    serve.add_argument(
        "--workers", type=int, default=1, help="server processes (default: %(default)s)"
    )
    serve.add_argument(
        "--allow-origin",
        action="append",
        metavar="ORIGIN",
        help="a browser origin allowed to send events, e.g. https://shop.example (repeat for "
        "more; default: INGEST_ALLOWED_ORIGINS, else the local storefront's "
        f"{' and '.join(LOCAL_STOREFRONT_ORIGINS)})",
    )
    serve.set_defaults(handler=serve_api)

    dlq = subparsers.add_parser("dlq", help="the ingest API's SQS dead-letter queue")
    actions = dlq.add_subparsers(dest="action", required=True, metavar="ACTION")
    replay = actions.add_parser(
        "replay",
        help="write the objects parked in the DLQ to the lake, deleting each message only "
        "after its object is written",
    )
    add_lake_option(replay)
    replay.add_argument("--queue-url", help="the SQS queue URL (default: INGEST_DLQ_URL)")
    replay.add_argument(
        "--max-messages", type=int, help="stop after this many messages (default: all)"
    )
    replay.set_defaults(handler=replay_dlq)


def add_lake_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lake",
        help="a directory or s3://bucket/prefix (default: CLICKSTREAM_LAKE, else the state "
        "folder's lake)",
    )


def serve_api(args: argparse.Namespace) -> int:
    import uvicorn  # lazy: only this command needs the server

    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    lake = args.lake or default_lake()
    origins = args.allow_origin or env_list("INGEST_ALLOWED_ORIGINS", LOCAL_STOREFRONT_ORIGINS)
    # Worker processes build their service from the environment, so pass the choices there.
    os.environ["CLICKSTREAM_LAKE"] = lake
    os.environ["INGEST_ALLOWED_ORIGINS"] = ",".join(origins)
    config = IngestConfig.from_env(lake_url=lake)  # a malformed variable fails here, by name
    check_lake(config.lake_url)
    check_port_free(args.host, args.port)
    announce(args, config)
    uvicorn.run(
        "ingest.asgi:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        # The core logs one JSON line per request; uvicorn's access log would add the
        # query string, which may hold a write key.
        access_log=False,
        proxy_headers=False,
        server_header=False,
        # The announcement above says what uvicorn's start-up lines would; errors still show.
        log_level="warning",
    )
    return 0


def check_lake(url: str) -> None:
    """Fail before serving when the lake cannot take writes, rather than 503 every request."""
    scheme, found, _ = url.partition("://")
    if found and scheme not in ("s3", "file"):
        raise ConfigError(f"lake {url!r}: only a folder path or s3://bucket/prefix is supported")
    lake = open_ingest_lake(url)
    if isinstance(lake, S3Lake):
        warn_if_bucket_unreachable(lake)
        return
    root = Path(lake.url)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(
            f"lake {root} is a file, not a folder; pass a folder with --lake"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot create the lake folder {root}: {exc.strerror}") from exc
    if not os.access(root, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write to the lake folder {root}; pass one you can write to")


def warn_if_bucket_unreachable(lake: S3Lake) -> None:
    """S3 may recover (and the DLQ covers it meanwhile), so an unreachable bucket only warns."""
    try:
        lake.client.head_bucket(Bucket=lake.bucket)
    except Exception as exc:
        print(
            f"warning: cannot reach the lake's bucket s3://{lake.bucket} ({exc}); until it "
            "answers, events go to the dead-letter queue (INGEST_DLQ_URL) or get 503",
            flush=True,
        )


def check_port_free(host: str, port: int) -> None:
    if not 1 <= port <= 65535:
        raise ConfigError(f"--port {port} is not a TCP port; pick one from 1 to 65535")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # The same option uvicorn binds with, so the probe fails exactly when uvicorn would.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror as exc:
            raise ConfigError(f"--host {host!r} is not an address of this machine") from exc
        except OSError as exc:
            raise ConfigError(port_problem(host, port, exc)) from exc


def port_problem(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use (another clickstream serve?); "
            "stop that process or pick another port with --port"
        )
    if error.errno == errno.EACCES:
        return (
            f"no permission to listen on port {port}; ports below 1024 need root: use --port 8080"
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return f"--host {host!r} is not an address of this machine; use 127.0.0.1 or 0.0.0.0"
    return f"cannot listen on {host}:{port}: {error.strerror}"


def announce(args: argparse.Namespace, config: IngestConfig) -> None:
    host = "127.0.0.1" if args.host in ALL_INTERFACES else args.host
    base = f"http://[{host}]:{args.port}" if ":" in host else f"http://{host}:{args.port}"
    where = " (all interfaces)" if args.host in ALL_INTERFACES else ""
    origins = ", ".join(config.allowed_origins) or "none"
    keys = "required (INGEST_WRITE_KEYS)" if config.write_keys else "not required"
    print(
        f"ingest API on {base}{where}: POST {base}/v1/events, GET {base}/healthz\n"
        f"  lake {config.lake_url}; dead-letter queue {config.dlq_url or 'none'}\n"
        f"  browser origins allowed: {origins}; write key {keys}\n"
        f"  {args.workers} worker{'s' if args.workers > 1 else ''}; press Ctrl+C to stop",
        flush=True,
    )


def replay_dlq(args: argparse.Namespace) -> int:
    from ingest.dlq import SqsDeadLetterQueue, replay
    from shared.lake import open_lake

    queue_url = args.queue_url or env_str("INGEST_DLQ_URL", "")
    if not queue_url:
        raise ConfigError("no dead-letter queue: pass --queue-url or set INGEST_DLQ_URL")
    lake = open_lake(args.lake or default_lake())
    queue = SqsDeadLetterQueue(queue_url, DEFAULT_DLQ_MESSAGE_BYTES)
    summary = replay(queue, lake, max_messages=args.max_messages)
    print(
        f"{summary.objects_written} objects written to {lake.url}; "
        f"{summary.messages_deleted} messages deleted from {queue_url}"
    )
    if summary.lake_error:
        print(
            f"stopped: {summary.lake_error}. The object's messages stay in the queue; "
            "run the replay again once the lake accepts writes."
        )
    if summary.messages_not_deleted:
        print(
            f"{summary.messages_not_deleted} messages were written but SQS did not delete them; "
            "a later replay rewrites the same objects (same keys, same bytes)."
        )
    for key in summary.incomplete_keys:
        print(f"incomplete: {key} is missing parts; its messages stay in the queue")
    for key in summary.corrupt_keys:
        print(f"corrupt: the parts of {key} do not match its checksum; left in the queue")
    if summary.malformed_messages:
        print(
            f"{summary.malformed_messages} messages are not lake objects from the ingest API; "
            "left in the queue for inspection"
        )
    return 0 if summary.complete else 1
