"""Whether a given wheel's zip is whole: every member read back against its CRC, before
anything is cleared, staged or probed. A wheel damaged inside (a broken central directory
behind an intact end record, a bad CRC in METADATA or in the extension) passes
zipfile.is_zipfile and would crash whoever reads it later."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path


def damage(path: Path) -> str | None:
    """What is wrong with the wheel's archive, one line; None when every member reads back."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        return f"its zip is damaged ({exc})"
    except NotImplementedError as exc:  # a compression method this Python cannot read
        return f"its zip cannot be read ({exc})"
    if bad is not None:
        return f"its member {bad} fails its CRC check"
    return None
