"""`clickstream serve`: the ingest API locally; `clickstream dlq replay`: drain the DLQ."""

from __future__ import annotations

import argparse
import os

from ingest.config import DEFAULT_DLQ_MESSAGE_BYTES, IngestConfig
from shared.settings import ConfigError, default_lake, env_str


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
    # Worker processes build their service from the environment, so pass the lake there.
    os.environ["CLICKSTREAM_LAKE"] = lake
    IngestConfig.from_env(lake_url=lake)  # a malformed variable fails here, once, by name
    print(f"ingest API: http://{args.host}:{args.port}/v1/events → lake {lake}", flush=True)
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
    )
    return 0


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
