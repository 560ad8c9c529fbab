"""The seed of a draw, derived from a published value, and the selection keys it gives every candidate.

``seed = sha256(plan_id + "\\n" + published_value)``. The published value is something the public can see
before the draw and nobody controls after the plan is fixed — the canonical text of the published plan, or a
lottery result named in the plan (e.g. "福彩3D 2026第321期 开奖号码 5 0 7"). It is recorded with the draw.

Candidates are not shuffled with a library PRNG (Python's ``random`` only promises a stable ``random()``
stream, not stable ``sample``/``shuffle`` algorithms across versions). Instead each candidate gets the key
``sha256(seed | role | id…)`` and a stratum takes its ``n`` smallest keys. With SHA-256 as a random oracle the keys
are independent uniform numbers, so the result is a uniform random ``n``-subset; it does not depend on the order
the candidates were read in; and anyone can recompute it with any SHA-256 implementation.
"""

from __future__ import annotations

import hashlib

SEED_ALGORITHM = "sha256(plan_id\\npublished_value); key=sha256(seed|role|ids)"


def derive_seed(plan_id: str, published_value: str) -> str:
    """The hex seed of a plan's draw."""
    return hashlib.sha256(f"{plan_id}\n{published_value}".encode()).hexdigest()


def draw_id_for(plan_id: str, seed: str) -> str:
    """A draw is identified by its plan and seed: re-drawing the same plan with the same public value names the
    same draw (and is refused once published), a new public value names a new draw."""
    return f"{plan_id}-{seed[:12]}"


def selection_key(seed: str, role: str, *ids: str) -> str:
    """The random key of one candidate in one role (``object``, ``officer``); smaller is drawn first."""
    return hashlib.sha256("|".join((seed, role, *ids)).encode()).hexdigest()
