"""Reading a generated lake with nothing but gzip and json, to count it independently."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from generator import GenerationSummary, GeneratorConfig, generate_to_lake
from shared.settings import EnrichmentSettings, IngestLimits

END = date(2025, 6, 8)


def config(**changes: Any) -> GeneratorConfig:
    """A small run with settings pinned (not read from the environment)."""
    values: dict[str, Any] = {
        "seed": 42,
        "days": 2,
        "end": END,
        "events": 4_000,
        "limits": IngestLimits(),
        "enrichment": EnrichmentSettings(),
    }
    return GeneratorConfig(**(values | changes))


def generate(lake: Path, **changes: Any) -> GenerationSummary:
    return generate_to_lake(str(lake), config(**changes))


@dataclass
class LakeObjectLines:
    key: str
    data: bytes  # the object's bytes as stored
    records: list[Any]  # one parsed JSON value per line


@dataclass
class LakeContents:
    raw: list[LakeObjectLines] = field(default_factory=list)
    invalid: list[LakeObjectLines] = field(default_factory=list)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every line under raw/, duplicates included, in key order."""
        return [record for item in self.raw for record in item.records]

    @property
    def rejections(self) -> list[dict[str, Any]]:
        return [record for item in self.invalid for record in item.records]

    def first_copies(self) -> dict[str, dict[str, Any]]:
        """Each distinct event (by event_id) as first received."""
        first: dict[str, dict[str, Any]] = {}
        for record in sorted(self.events, key=lambda event: event["received_at"]):
            first.setdefault(record["event_id"], record)
        return first


def read_lake(root: Path) -> LakeContents:
    contents = LakeContents()
    for path in sorted(root.rglob("*"), key=lambda item: item.relative_to(root).as_posix()):
        if not path.is_file():
            continue
        key = path.relative_to(root).as_posix()
        data = path.read_bytes()
        text = gzip.decompress(data).decode("utf-8")
        assert text.endswith("\n"), f"{key}: the last line has no newline"
        records = [json.loads(line) for line in text.splitlines()]
        area = key.split("/", 1)[0]
        assert area in ("raw", "invalid"), f"{key} is outside raw/ and invalid/"
        getattr(contents, area).append(LakeObjectLines(key, data, records))
    return contents


def lake_bytes(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }
