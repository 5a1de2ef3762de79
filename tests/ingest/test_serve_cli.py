"""`clickstream serve` refuses to start, with a message saying what to do, when it could
only answer 503 (a lake it cannot write) or not listen at all (a busy port)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

CLICKSTREAM = str(Path(sys.executable).with_name("clickstream"))


def serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLICKSTREAM, "serve", *args],
        check=False,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_busy_port_is_named_with_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve("--lake", str(tmp_path / "lake"), "--port", str(port))

    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"clickstream serve: error: port {port} on 127.0.0.1 is already in use "
        "(another clickstream serve?); stop that process or pick another port with --port"
    )
    assert result.stdout == ""  # no announcement of a server that is not there


@pytest.mark.parametrize(
    ("lake", "message"),
    [
        ("gs://bucket/lake", "lake 'gs://bucket/lake': only a folder path or s3://bucket/prefix"),
        ("s3://", "lake URL 's3://' has no bucket; use s3://bucket/prefix"),
        ("{tmp}/a-file", "lake {tmp}/a-file is a file, not a folder; pass a folder with --lake"),
        ("{tmp}/a-file/lake", "cannot create the lake folder {tmp}/a-file/lake"),
    ],
)
def test_a_lake_that_cannot_take_writes_stops_the_start(
    tmp_path: Path, lake: str, message: str
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    result = serve("--lake", lake.format(tmp=tmp_path), "--port", "8080")

    assert result.returncode == 1
    assert result.stderr.startswith(f"clickstream serve: error: {message.format(tmp=tmp_path)}")
    assert result.stdout == ""
