"""Whether a given wheel can be verified: its zip whole (every member read back against its
CRC) and within the run's limits (harness.util.wheel_zip), before anything is cleared, staged
or probed."""

from __future__ import annotations

from pathlib import Path

from harness.util.wheel_zip import DEFAULT_LIMITS, WheelLimits, zip_damage


def damage(path: Path, limits: WheelLimits = DEFAULT_LIMITS) -> str | None:
    """What stops the wheel from being verified, one line with its fix; None when nothing."""
    return zip_damage(path, limits)
