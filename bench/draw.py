"""Random draws for the generators: the few that random.Random offers, without its per-call overhead
(randrange and choice are Python code around getrandbits; these take one `random()`: a generator draws
some forty numbers per ticket)."""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def between(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high)."""
    return low + int(rng.random() * (high - low))


def one_of(rng: random.Random, items: Sequence[T]) -> T:
    return items[int(rng.random() * len(items))]


def weighted(rng: random.Random, items: Sequence[T], cumulative: Sequence[float]) -> T:
    """random.choices(items, cum_weights=cumulative)[0], without building a list for one draw."""
    return items[bisect_right(cumulative, rng.random() * cumulative[-1], 0, len(items) - 1)]


def two_at_most(rng: random.Random, items: Sequence[T]) -> list[T]:
    """One or two different items (random.sample(items, 1 or 2), without its type checks)."""
    first = int(rng.random() * len(items))
    if len(items) < 2 or rng.random() < 0.5:
        return [items[first]]
    second = int(rng.random() * (len(items) - 1))
    return [items[first], items[second + (second >= first)]]
