"""`clickstream storefront`: the demo computer & accessories shop, instrumented with the SDK.

Serves the static pages of `storefront/`, the built SDK bundle under `/sdk/`, and a
generated `/config.js` that tells the pages where the ingest API is.
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
import urllib.error
import urllib.request
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import urlsplit

from shared.logs import get_logger
from shared.settings import PROJECT_ROOT, ConfigError, env_str

STOREFRONT_DIR = PROJECT_ROOT / "storefront"
SDK_DIST_DIR = PROJECT_ROOT / "sdk" / "dist"
SDK_FILES = {
    "/sdk/clickstream.iife.js": "clickstream.iife.js",
    "/sdk/clickstream.esm.js": "clickstream.esm.js",
    "/sdk/index.d.ts": "index.d.ts",
}
DEFAULT_ENDPOINT = "http://127.0.0.1:8080/v1/events"
DEFAULT_PORT = 8000
# The origins a browser shows for the default storefront; `clickstream serve` allows them
# unless told otherwise, so the two commands work together out of the box.
LOCAL_ORIGINS = (f"http://127.0.0.1:{DEFAULT_PORT}", f"http://localhost:{DEFAULT_PORT}")

logger = get_logger("storefront")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "storefront", help="serve the demo shop, instrumented with the browser SDK"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--endpoint",
        default=env_str("STOREFRONT_ENDPOINT", DEFAULT_ENDPOINT),
        help=f"ingest API URL the pages send events to (default {DEFAULT_ENDPOINT})",
    )
    parser.add_argument(
        "--write-key",
        default=env_str("STOREFRONT_WRITE_KEY", ""),
        help="write key the SDK sends with its events (default: none)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    server = build_server(args.host, args.port, args.endpoint, args.write_key or None)
    host, port = server.server_address[:2]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - a URL to show
    url = f"http://{shown}:{port}"
    print(f"storefront on {url}/ sending events to {args.endpoint}; press Ctrl+C to stop")
    problem = ingest_api_problem(args.endpoint, url)
    if problem:
        print(f"warning: {problem}")
    sys.stdout.flush()  # a supervisor reading a pipe sees the lines now, not at exit
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def build_server(
    host: str, port: int, endpoint: str, write_key: str | None = None
) -> ThreadingHTTPServer:
    """A bound, not yet serving, storefront server (port 0 picks a free port)."""
    check_endpoint(endpoint)
    bundle = SDK_DIST_DIR / "clickstream.iife.js"
    if not bundle.is_file():
        raise ConfigError(
            f"the SDK bundle {bundle} is missing; build it with `make sdk` "
            "(or `cd sdk && npm ci && npm run build`)"
        )
    config = config_script(endpoint, write_key)
    handler = partial(StorefrontHandler, config.encode(), directory=str(STOREFRONT_DIR))
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} on {host} is already in use (another storefront?); stop that "
                "process or pick another port with --port"
            ) from exc
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def ingest_api_problem(endpoint: str, origin: str) -> str | None:
    """Why the pages' events would not get through now, or None: the API answers and
    lets this origin read its answers (else the SDK sees every send as failed and retries)."""
    # check_endpoint allowed only http(s) URLs.
    preflight = urllib.request.Request(  # noqa: S310
        endpoint,
        method="OPTIONS",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    try:
        with urllib.request.urlopen(preflight, timeout=2) as answer:  # noqa: S310
            allowed = answer.headers.get("access-control-allow-origin")
    except urllib.error.HTTPError as refusal:
        allowed = refusal.headers.get("access-control-allow-origin")
    except (urllib.error.URLError, OSError):
        return (
            f"no ingest API answers at {endpoint} yet; start one with `clickstream serve` "
            "(until then the pages keep their events in the browser)"
        )
    if allowed not in (origin, "*"):
        return (
            f"the ingest API at {endpoint} does not allow the origin {origin}: start it with "
            f"`clickstream serve --allow-origin {origin}` (or INGEST_ALLOWED_ORIGINS={origin})"
        )
    return None


def check_endpoint(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"--endpoint {endpoint!r} is not an absolute http(s) URL; "
            f"pass the ingest API's URL, e.g. {DEFAULT_ENDPOINT}"
        )


def config_script(endpoint: str, write_key: str | None) -> str:
    settings = {"endpoint": endpoint, "writeKey": write_key}
    # json.dumps escapes quotes; "<" is escaped too so a value cannot close the script.
    payload = json.dumps(settings).replace("<", "\\u003c")
    return f"window.CLICKSTREAM_CONFIG = {payload};\n"


class StorefrontHandler(SimpleHTTPRequestHandler):
    """Static files, plus /config.js and the SDK bundle; never cached, so edits show at once."""

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".ts": "text/plain",
    }

    def __init__(self, config: bytes, *args, **kwargs) -> None:
        self.config = config
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        if self.send_config():
            self.wfile.write(self.config)
        else:
            super().do_GET()

    def do_HEAD(self) -> None:
        if not self.send_config():
            super().do_HEAD()

    def send_config(self) -> bool:
        """Sends /config.js's headers; False when the request is for another path."""
        if urlsplit(self.path).path != "/config.js":
            return False
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/javascript; charset=utf-8")
        self.send_header("Content-Length", str(len(self.config)))
        self.end_headers()
        return True

    def translate_path(self, path: str) -> str:
        route = urlsplit(path).path
        if route in SDK_FILES:
            return str(SDK_DIST_DIR / SDK_FILES[route])
        return super().translate_path(path)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("request", extra={"client": self.address_string(), "line": format % args})
