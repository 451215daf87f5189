"""Version numbers as they are written by the tools and libraries the harness measures
("2.31", "3.4.30", "20.3.4"), compared as tuples of numbers."""

from __future__ import annotations


def version_tuple(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)
