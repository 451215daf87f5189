"""The one sanitiser for names the harness derives from keys and ids: work directories in
the probe containers, container names."""

from __future__ import annotations

import hashlib

MAX_LENGTH = 100
_ALLOWED = frozenset("-_.")


def safe_name(text: str) -> str:
    """`text` with every character but letters, digits and -_. replaced by `_`, at most
    MAX_LENGTH long. When that loses anything (a replaced character, a cut), a digest of the
    whole text is appended, so that distinct texts keep distinct names."""
    safe = "".join(ch if ch.isalnum() or ch in _ALLOWED else "_" for ch in text)
    if safe == text and len(text) <= MAX_LENGTH:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{safe[: MAX_LENGTH - len(digest) - 1]}-{digest}"
