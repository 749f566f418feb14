"""Words for numbers in messages, shared by the pages and the commands."""

from __future__ import annotations

__all__ = ["count"]


def count(n: int, one: str, many: str | None = None) -> str:
    """``n`` with its noun: ``count(1, "county", "counties")`` is ``"1 county"``,
    ``count(9, "county", "counties")`` ``"9 counties"`` (``many`` defaults to ``one + "s"``)."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
