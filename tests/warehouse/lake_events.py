"""Lake objects for hand-made scenarios, made the way the ingest API makes them.

`LakeWriter.request` runs client events through the ingest code (`process_events`: schema,
enrichment, User-Agent parsing, clock-skew correction, hashing) and writes the lake records
as one gzipped NDJSON object in the ingest layout, refused events under invalid/.
"""

from __future__ import annotations

import gzip
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.contract import utc_iso
from shared.enrichment import RequestContext, hash_user_id, process_events
from shared.lake import encode_ndjson_gz, object_key, open_lake
from shared.settings import LOCAL_HASH_SALT, EnrichmentSettings, IngestLimits

CHROME_DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/124.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SETTINGS = EnrichmentSettings(user_id_salt=LOCAL_HASH_SALT)


def at(text: str) -> datetime:
    """A UTC instant from 'YYYY-MM-DD HH:MM:SS'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def hashed(user_id: str) -> str:
    """The user_id as the lake (and so the warehouse) holds it."""
    return hash_user_id(user_id, SETTINGS.user_id_salt)


def event_uuid(name: str) -> str:
    """A stable UUID per event name, so expected rows can name events."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"clickstream-test/{name}"))


def event(
    name: str,
    ts: str,
    event_type: str,
    session_id: str,
    anonymous_id: str,
    page_url: str,
    **fields: Any,
) -> dict[str, Any]:
    """A client event (SPEC §3) as the SDK sends it."""
    return {
        "event_id": event_uuid(name),
        "ts": utc_iso(at(ts)),
        "event_type": event_type,
        "session_id": session_id,
        "anonymous_id": anonymous_id,
        "page_url": page_url,
        **fields,
    }


class LakeWriter:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.lake = open_lake(str(root))
        self.objects = 0

    def request(
        self,
        events: list[dict[str, Any]],
        received_at: str,
        user_agent: str,
        country: str | None = None,
        sent_at: str | None = None,
    ) -> list[dict[str, Any]]:
        """One ingest request: the lake records written (refused events go to invalid/)."""
        received = at(received_at)
        items = [{**item, "sent_at": utc_iso(at(sent_at))} if sent_at else item for item in events]
        context = RequestContext(
            received_at=received,
            request_id=str(uuid.uuid4()),
            user_agent=user_agent,
            viewer_country=country,
        )
        result = process_events(items, context, IngestLimits(), SETTINGS)
        if result.lake_events:
            self.write("raw", received, encode_ndjson_gz(result.lake_events))
        if result.invalid_records:
            self.write("invalid", received, encode_ndjson_gz(result.invalid_records))
        return result.lake_events

    def raw_lines(self, lines: list[bytes], received_at: str) -> None:
        """A raw/ object with exactly these lines (for lines the ingest API would refuse)."""
        self.write("raw", at(received_at), gzip.compress(b"".join(line + b"\n" for line in lines)))

    def write(self, area: str, received: datetime, data: bytes) -> None:
        self.objects += 1
        self.lake.write(object_key(area, received, f"{self.objects:06d}"), data)
