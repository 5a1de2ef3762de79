"""Memory stays flat as the run grows: a run four times larger needs about the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Run in a fresh interpreter: imports and caches are warmed by a tiny run first, then the
# peak resident size during the real run is compared with the peak before it.
PROBE = """
import json, resource, sys
from datetime import date
from generator import GeneratorConfig, generate_to_lake
from shared.settings import EnrichmentSettings, IngestLimits

def run(lake, events, days):
    return generate_to_lake(lake, GeneratorConfig(
        events=events, days=days, end=date(2025, 6, 8), events_per_object=1000,
        limits=IngestLimits(), enrichment=EnrichmentSettings()))

run(sys.argv[1] + "/warm-up", 300, 1)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
summary = run(sys.argv[1] + "/lake", int(sys.argv[2]), int(sys.argv[3]))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"lines": summary.lines_written, "growth_kb": after - before}))
"""


def peak_growth_kb(tmp_path: Path, events: int, days: int) -> dict:
    folder = tmp_path / f"{events}-{days}"
    folder.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(folder), str(events), str(days)],
        # One malloc arena: glibc's per-thread arenas (the writer threads) would add noise
        # unrelated to what the generator keeps.
        env={**os.environ, "MALLOC_ARENA_MAX": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(result.stdout)


def test_a_run_four_times_longer_needs_far_less_than_four_times_the_memory(
    tmp_path: Path,
) -> None:
    small = peak_growth_kb(tmp_path, 6_000, 2)
    large = peak_growth_kb(tmp_path, 24_000, 8)

    assert large["lines"] > 3.5 * small["lines"]
    # Keeping every line (or every session) would add ~10 MB here; the generator holds
    # one open hour per area and the writes in flight.
    assert large["growth_kb"] < 1.6 * small["growth_kb"] + 1024, (small, large)
