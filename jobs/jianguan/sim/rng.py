"""Deterministic randomness: every stream is derived from the run's seed and a label, never from the clock.

Why labels and not one shared generator: the simulator regenerates records on demand (an enterprise by its
index, a work order by its day and sequence number) so that medium and large runs need no in-memory copy of
the world. A record regenerated on day 3 must equal the one written on day 1, whatever was generated in
between; deriving its generator from ``(seed, kind, key…)`` makes that true by construction.

The derivation hashes a canonical text form of the labels with BLAKE2b, so it does not depend on Python's
per-process string hashing (``PYTHONHASHSEED``) and is stable across machines and versions.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date

Label = str | int | date

_MASK64 = (1 << 64) - 1


def derive_seed(seed: int, *labels: Label) -> int:
    """A 64-bit seed for the stream named by ``labels`` under the run seed ``seed``."""
    text = "\x1f".join(
        [str(seed), *(label.isoformat() if isinstance(label, date) else str(label) for label in labels)]
    )
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def rng_for(seed: int, *labels: Label) -> random.Random:
    """A private ``random.Random`` for one table, day or record (never the module-level generator)."""
    return random.Random(derive_seed(seed, *labels))


def mix64(value: int) -> int:
    """SplitMix64 finaliser: a cheap, well-spread bijection on 64-bit integers.

    Used for per-row yes/no decisions in hot loops, where building a ``random.Random`` (≈8 µs) per row would
    dominate the run time.
    """
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def unit(stream: int, *keys: int) -> float:
    """A uniform number in [0, 1) determined by a stream seed (from :func:`derive_seed`) and integer keys."""
    value = stream
    for key in keys:
        value = mix64(value ^ (key & _MASK64))
    return (mix64(value) >> 11) / float(1 << 53)


class AffinePermutation:
    """A bijection of ``range(size)`` that looks random: ``i ↦ (a·i + b) mod size`` with ``gcd(a, size) = 1``.

    It turns a dense index (enterprise 0, 1, 2 …) into a scattered slot (a unique 主体标识码, a unique
    region/birth-date/sequence triple for an ID number) without storing a table, so identifiers are unique
    by construction rather than by luck.
    """

    def __init__(self, size: int, seed: int) -> None:
        if size < 1:
            raise ValueError("size must be positive")
        self.size = size
        multiplier = (mix64(seed) % size) | 1 if size > 2 else 1
        while _gcd(multiplier, size) != 1:
            multiplier = (multiplier + 2) % size or 1
        self.multiplier = multiplier
        self.offset = mix64(seed ^ 0x5DEECE66D) % size

    def __call__(self, index: int) -> int:
        return (self.multiplier * (index % self.size) + self.offset) % self.size


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a
