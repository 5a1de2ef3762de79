"""Deterministic randomness: every random choice comes from a seed derived from the run's
seed and the name of what is being decided, so a session (or a visitor) is a pure function
of its key, whatever order or process generates it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from random import Random
from typing import TypeVar

T = TypeVar("T")

UUID_VERSION_MASK = 0xF000 << 64
UUID_VERSION_4 = 0x4000 << 64
UUID_VERSION_7 = 0x7000 << 64
UUID_VARIANT_MASK = 0xC000 << 48
UUID_VARIANT_RFC4122 = 0x8000 << 48


def derive(*parts: object) -> int:
    """A 64-bit seed for `parts` (ints and strings), stable across runs and platforms."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def fraction(*parts: object) -> float:
    """A number in [0, 1) fixed by `parts`."""
    return derive(*parts) / 2**64


def rng_for(*parts: object) -> Random:
    return Random(derive(*parts))  # noqa: S311 -- reproducible simulation, not secrets


def uuid4(rng: Random) -> str:
    """A version-4 UUID string from `rng` (what `uuid.UUID(int=…, version=4)` gives, faster)."""
    return uuid_text(rng.getrandbits(128), UUID_VERSION_4)


def uuid7(rng: Random, unix_ms: int) -> str:
    """A version-7 UUID string (RFC 9562) for the time `unix_ms`, as the SDK makes for event
    and session ids: 48 bits of milliseconds, then random bits from `rng`. It draws as many
    bits from `rng` as `uuid4`, so a session's other random choices do not depend on the
    ids' version."""
    random_bits = rng.getrandbits(128) & ((1 << 80) - 1)
    return uuid_text((unix_ms & ((1 << 48) - 1)) << 80 | random_bits, UUID_VERSION_7)


def uuid_text(value: int, version: int) -> str:
    value = (value & ~UUID_VERSION_MASK) | version
    value = (value & ~UUID_VARIANT_MASK) | UUID_VARIANT_RFC4122
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def weighted(rng: Random, options: Sequence[T], weights: Sequence[float]) -> T:
    return rng.choices(options, weights)[0]


def token(rng: Random, length: int, alphabet: str = "0123456789abcdef") -> str:
    return "".join(rng.choices(alphabet, k=length))


def lognormal_ms(rng: Random, median_seconds: float, spread: float, cap_seconds: float) -> int:
    """A dwell or think time: skewed like real ones, never longer than the cap."""
    seconds = min(cap_seconds, median_seconds * rng.lognormvariate(0, spread))
    return max(300, int(seconds * 1000))
