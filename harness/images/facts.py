"""Facts about a build image, measured in a container of it: the toolchain a wheel built there
gets (gcc, g++, gfortran, binutils), its glibc, auditwheel and patchelf. Reported per image
and used by `explain`; cached per image id, since an image never changes under its id."""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from harness.errors import HarnessError
from harness.images.provider import ResolvedImage
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.engine import Engine
from harness.vocab.toolchain import TOOLCHAIN

# How each tool of the toolchain reports its version; a missing tool prints nothing.
_VERSION_COMMANDS = {
    "gcc": "gcc -dumpfullversion -dumpversion",
    "g++": "g++ -dumpfullversion -dumpversion",
    "gfortran": "gfortran -dumpfullversion -dumpversion",
    "binutils": "ld --version | head -n 1",
    "glibc": "getconf GNU_LIBC_VERSION || ldd --version | head -n 1",
    "auditwheel": "auditwheel --version",
    "patchelf": "patchelf --version",
}
# One "name=output" line per tool (a KeyError here: a tool added to TOOLCHAIN needs a command).
SCRIPT = "\n".join(
    f'printf "%s=%s\\n" {name} "$( ({_VERSION_COMMANDS[name]}) 2>/dev/null | head -n 1)"'
    for name in TOOLCHAIN
)
# A musllinux build image links wheels against musl (its userland may still be glibc's):
# musl's loader prints its version when run by name. Nothing at all where there is no musl.
SCRIPT += (
    '\nfor loader in /lib/ld-musl-*.so.1; do if test -e "$loader"; then '
    'printf "musl=%s\\n" "$("$loader" 2>&1 | grep "^Version")"; fi; done'
)
_VERSION = re.compile(r"(\d+(?:\.\d+)+)")


def parse(output: str) -> dict[str, str]:
    """The version in each tool's first line ("GNU ld version 2.35.2-24.el9" -> "2.35.2";
    "auditwheel 6.8.2 installed at ..." -> "6.8.2"); tools that printed nothing are left out."""
    facts: dict[str, str] = {}
    for line in output.splitlines():
        name, sep, text = line.partition("=")
        if not sep or not text.strip():
            continue
        found = _VERSION.search(text.replace("glibc ", ""))
        if found:
            facts[name.strip()] = found.group(1)
    return facts


def measure(
    engine: Engine, image: ResolvedImage, arch: Any, cache: Cache, settings: Settings
) -> dict[str, str]:
    name = f"{image.id.removeprefix('sha256:')[:24]}.json"
    kept = cache.read_json("facts", name)
    if _valid(kept):
        return dict(kept)
    # None kept, or not what parse() makes (damaged, cut short): measured again, replaced.
    with engine.container(
        image.reference, arch=arch, role="facts", name_hint=f"facts-{image.key}"
    ) as container:
        result = container.shell(
            SCRIPT, timeout=settings.scaled(120, arch), step=f"measure {image.key}"
        )
    if not result.ok:
        raise HarnessError(f"cannot measure {image.reference}: {result.tail(3)}")
    facts = parse(result.stdout)
    cache.write_json(facts, "facts", name)
    return facts


def _valid(kept: Any) -> TypeGuard[dict[str, str]]:
    """Whether kept facts are what parse() makes: tool names with their versions."""
    return isinstance(kept, dict) and all(
        name in TOOLCHAIN and isinstance(value, str) and _VERSION.fullmatch(value)
        for name, value in kept.items()
    )
