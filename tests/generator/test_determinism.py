"""Same seed and settings, same lake byte for byte, whatever the number of worker processes."""

from __future__ import annotations

from pathlib import Path

from tests.generator.conftest import generate, lake_bytes


def summary_without_timing(summary) -> dict:
    data = summary.as_dict()
    del data["seconds"]
    return data


def test_a_seed_gives_the_same_lake_byte_for_byte_with_one_or_two_workers(tmp_path: Path) -> None:
    settings = {"days": 3, "events": 3_000, "events_per_object": 200}
    one = generate(tmp_path / "one", workers=1, **settings)
    two = generate(tmp_path / "two", workers=2, **settings)

    first, second = lake_bytes(tmp_path / "one"), lake_bytes(tmp_path / "two")
    assert len(first) == one.objects_written > 10
    assert first == second
    assert summary_without_timing(one) == summary_without_timing(two)


def test_one_object_per_request_is_deterministic_too(tmp_path: Path) -> None:
    generate(tmp_path / "a", events=800, days=1)
    generate(tmp_path / "b", events=800, days=1)
    assert lake_bytes(tmp_path / "a") == lake_bytes(tmp_path / "b")


def test_another_seed_gives_other_traffic(tmp_path: Path) -> None:
    generate(tmp_path / "a", events=800, days=1, events_per_object=500)
    generate(tmp_path / "b", events=800, days=1, events_per_object=500, seed=43)
    first, second = lake_bytes(tmp_path / "a"), lake_bytes(tmp_path / "b")
    assert set(first).isdisjoint(second)  # object names depend on the seed
    assert sorted(first.values()) != sorted(second.values())
