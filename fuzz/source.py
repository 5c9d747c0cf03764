"""One source of random choices, two backends: hypothesis draws or a seeded ``random.Random``.

The hostile payload mutators and the HTTP/2 frame sequences are written once, against
:class:`Source`. Under hypothesis (``DrawSource``) every choice is a draw, so failures shrink;
in ``bidwire fuzz`` (``RandomSource``) a choice costs a few hundred nanoseconds, which is what
a million payloads need, and ``random.Random(seed)`` makes the stream reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")


class Source(Protocol):
    """Where a generator gets its random choices."""

    def integer(self, low: int, high: int) -> int:
        """An int in ``[low, high]``."""
        ...

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options`` (not empty)."""
        ...

    def binary(self, low: int, high: int) -> bytes:
        """``low`` to ``high`` arbitrary bytes."""
        ...


class RandomSource:
    """Choices from a ``random.Random``: fast, and reproducible from its seed."""

    __slots__ = ("rng",)

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, low: int, high: int) -> int:
        """An int in ``[low, high]``."""
        return self.rng.randint(low, high)

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options``."""
        return options[self.rng.randrange(len(options))]

    def binary(self, low: int, high: int) -> bytes:
        """``low`` to ``high`` random bytes."""
        return self.rng.randbytes(self.rng.randint(low, high))


class DrawSource:
    """Choices drawn by hypothesis inside a ``@composite`` strategy or ``st.data()``."""

    __slots__ = ("draw",)

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def integer(self, low: int, high: int) -> int:
        """An int in ``[low, high]`` (shrinks towards ``low``)."""
        return self.draw(st.integers(low, high))

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options`` (shrinks towards the first)."""
        return self.draw(st.sampled_from(options))

    def binary(self, low: int, high: int) -> bytes:
        """``low`` to ``high`` bytes."""
        return self.draw(st.binary(min_size=low, max_size=high))


__all__ = ["DrawSource", "RandomSource", "Source"]
