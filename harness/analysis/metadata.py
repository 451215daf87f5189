"""What a wheel's own metadata says (its dist-info): read from the zip, never installed."""

from __future__ import annotations

import email.parser
from pathlib import Path

from harness.util.wheel_zip import DEFAULT_LIMITS, WheelLimits, open_wheel


def requires_python(path: Path, limits: WheelLimits = DEFAULT_LIMITS) -> str | None:
    """The wheel's Requires-Python (METADATA), part of its claim as much as its tags."""
    with open_wheel(path, limits) as archive:
        for name in archive.namelist():
            parts = name.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                text = archive.read(name).decode("utf-8", "replace")
                value = email.parser.HeaderParser().parsestr(text).get("Requires-Python")
                return str(value).strip() if value else None
    return None
