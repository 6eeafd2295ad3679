"""Deterministic, column-wise random draws for the history simulator.

Every draw is a whole column produced by Arrow's seeded generator, keyed by the
simulation seed plus a name: the same seed and name always give the same column, and
two names never share a stream. No per-row Python, no numpy.
"""

from __future__ import annotations

import hashlib
import math

import polars as pl
import pyarrow.compute as pc


def derive_seed(seed: int, *salt: object) -> int:
    """A 63-bit seed for the stream named by ``salt`` under the simulation ``seed``."""
    digest = hashlib.blake2b(repr((seed, *salt)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


class Draws:
    """Named random columns for one simulation (and one chunk of it)."""

    def __init__(self, seed: int, *scope: object):
        self.seed = seed
        self.scope = scope

    def uniform(self, name: str, n: int) -> pl.Series:
        """``n`` floats in [0, 1)."""
        if n == 0:
            return pl.Series(name, [], dtype=pl.Float64)
        values = pc.random(n, initializer=derive_seed(self.seed, *self.scope, name))
        return pl.Series(name, values)

    def normal(self, name: str, n: int) -> pl.Series:
        """``n`` standard normal floats (Box-Muller over two uniform columns)."""
        u1 = self.uniform(f"{name}.u1", n)
        u2 = self.uniform(f"{name}.u2", n)
        frame = pl.DataFrame({"a": u1, "b": u2})
        return frame.select(
            ((-2.0 * (1.0 - pl.col("a")).log()).sqrt() * (2.0 * math.pi * pl.col("b")).cos()).alias(name)
        ).to_series()

    def integers(self, name: str, n: int, low: int, high: int) -> pl.Series:
        """``n`` integers in [low, high)."""
        return (self.uniform(name, n) * (high - low)).floor().cast(pl.Int64) + low


def pick(u: pl.Expr, weights: list[float], values: list) -> pl.Expr:
    """The value whose cumulative-weight bucket holds ``u`` (a uniform column)."""
    total = float(sum(weights))
    bounds, acc = [], 0.0
    for weight in weights[:-1]:
        acc += weight / total
        bounds.append(acc)
    expr = pl.lit(values[-1])
    for bound, value in reversed(list(zip(bounds, values[:-1]))):
        expr = pl.when(u < bound).then(pl.lit(value)).otherwise(expr)
    return expr
