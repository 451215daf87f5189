"""Access to the data files shipped in harness/resources."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Any


@functools.cache
def load_toml(name: str) -> dict[str, Any]:
    text = resources.files("harness").joinpath("resources", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def read_text(name: str) -> str:
    return resources.files("harness").joinpath("resources", name).read_text(encoding="utf-8")
