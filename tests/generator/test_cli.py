"""`clickstream generate` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.generator.conftest import END, generate, lake_bytes, read_lake

CLICKSTREAM = str(Path(sys.executable).parent / "clickstream")


def clickstream_generate(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INGEST_", "CLICKSTREAM_"))}
    return subprocess.run(
        [CLICKSTREAM, "generate", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_command_writes_the_lake_and_prints_its_summary(tmp_path: Path) -> None:
    result = clickstream_generate(
        "--lake", str(tmp_path / "cli"), "--events", "1500", "--days", "2",
        "--end", END.isoformat(), "--seed", "5", "--workers", "2",
        "--events-per-object", "300", "--bot-share", "0.1",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    lake = read_lake(tmp_path / "cli")
    assert printed["lines_written"] == len(lake.events) + len(lake.rejections)
    assert printed["objects_written"] == len(lake.raw) + len(lake.invalid)
    assert printed["events"] == len(lake.first_copies())
    # Every option reached the generator: the library with the same settings agrees.
    generate(
        tmp_path / "library", events=1_500, days=2, seed=5, events_per_object=300, bot_share=0.1
    )
    assert lake_bytes(tmp_path / "cli") == lake_bytes(tmp_path / "library")


def test_bad_options_are_refused_by_name(tmp_path: Path) -> None:
    days = clickstream_generate("--lake", str(tmp_path), "--days", "0")
    url = clickstream_generate("--url", "ftp://example.com/v1/events", "--events", "10")
    share = clickstream_generate("--lake", str(tmp_path), "--late-share", "0.9")

    assert (days.returncode, url.returncode, share.returncode) == (1, 1, 1)
    assert "days=0" in days.stderr
    assert "is not an http(s) URL" in url.stderr
    assert "late_share=0.9" in share.stderr
    assert not list(tmp_path.iterdir())
