"""User catalogs (`--catalog FILE`): a team's own build images and distros, in the format of
the shipped catalogs (harness/resources/catalog-*.toml), added to them or overriding their rows.

A row overrides the shipped row with the same identity: (profile, policy) for a build image,
(profile, name) for a distro. Recipes and Debian suites can be added, not redefined: a
shipped recipe changed behind its name would change every row that uses it.

Every file is checked before use, and a mistake is one line naming the file, the row and the
field, with what would be right. The shipped catalogs pass the same checks (tests/unit).
"""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.catalog.model import CATALOG_FILES, ROLLING, Catalog
from harness.catalog.profiles import PROFILES
from harness.catalog.registry_mirrors import NO_MIRRORS, ImageReference, Mirrors
from harness.errors import UsageError
from harness.util.resources import load_toml
from harness.vocab import policy_names
from harness.vocab.arch import arch_names

Check = Callable[[Any], str | None]  # a value -> what is wrong with it, or None


def _string(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty string"


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else "must be a string"


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _strings(value: Any) -> str | None:
    ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    return None if ok else "must be a list of strings"


def _profile(value: Any) -> str | None:
    return None if value in PROFILES else f"must be one of {', '.join(PROFILES)}"


def _arches(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "must be a non-empty list of architectures"
    unknown = [a for a in value if a not in arch_names()]
    if unknown:
        return f"has unknown architecture {unknown[0]!r}: use {', '.join(arch_names())}"
    return None


def _policy(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a policy name such as manylinux_2_28"
    try:
        policy_names.canonical_name(value)
    except UsageError as exc:
        return str(exc)
    return None


def _recipe(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return None
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return None
    return "must be a recipe name or a list of recipe names"


def _image(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return "must be an image reference such as quay.io/org/image:tag"
    try:
        # Placeholders ({arch}) are filled per arch; check the shape with one filled in.
        ImageReference.parse(value.replace("{arch}", "x86_64").replace("{policy}", "p"))
    except UsageError as exc:
        return str(exc)
    return None


_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def _pins(value: Any) -> str | None:
    if not isinstance(value, dict):
        return 'must be a table of ARCH = "sha256:<64 hex>"'
    for arch, digest in value.items():
        if arch not in arch_names():
            return f"names unknown architecture {arch!r}"
        if not isinstance(digest, str) or not _DIGEST.match(digest):
            return f'for {arch} must be "sha256:<64 hex digits>"'
    return None


def _date(value: Any) -> str | None:
    if value in ("", ROLLING):
        return None
    if isinstance(value, datetime.date):
        return 'must be a quoted date, e.g. "2029-05-31"'
    try:
        datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return 'must be a date YYYY-MM-DD, "rolling" for a rolling release, or "" when unknown'
    return None


def _version(value: Any) -> str | None:
    if isinstance(value, str) and (value == "none" or re.match(r"^\d+(\.\d+)*$", value)):
        return None
    return 'must be a quoted version such as "2.31" (or "none")'


def _env(value: Any) -> str | None:
    ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    return None if ok else 'must be a table of NAME = "value"'


# Fields per table: name -> (required, check). A row needs exactly one of `image` and
# `debian_suite` (checked separately).
BUILD_FIELDS: Mapping[str, tuple[bool, Check]] = {
    "profile": (True, _profile),
    "policy": (True, _policy),
    "recipe": (True, _recipe),
    "image": (False, _image),
    "debian_suite": (False, _string),
    "python_tag": (False, _string),
    "arches": (False, _arches),
    "pins": (False, _pins),
}
DISTRO_FIELDS: Mapping[str, tuple[bool, Check]] = {
    "profile": (True, _profile),
    "name": (True, _string),
    "recipe": (True, _recipe),
    "image": (False, _image),
    "debian_suite": (False, _string),
    "family": (False, _string),
    "arches": (False, _arches),
    "glibc": (False, _version),
    "python": (False, _version),
    "eol": (False, _date),
    "description": (False, _text),
    "skip_reason": (False, _text),
    "pins": (False, _pins),
}
RECIPE_FIELDS: Mapping[str, tuple[bool, Check]] = {
    "packages": (False, _strings),
    "steps": (False, _strings),
    "portable_steps": (False, _strings),
    "portable_paths": (False, _strings),
    "network": (False, _boolean),
    "env": (False, _env),
    "remove_sonames": (False, _strings),
}
SUITE_FIELDS: Mapping[str, tuple[bool, Check]] = {
    "version": (True, _string),
    "glibc": (True, _version),
    "python": (True, _version),
    "eol": (False, _date),
    "arches": (True, _arches),
}
TOP_LEVEL = ("debian_suites", "recipes", "build_image", "distro")


def _check_fields(
    source: str, where: str, row: Any, fields: Mapping[str, tuple[bool, Check]]
) -> None:
    if not isinstance(row, dict):
        raise UsageError(f"{source}: {where} must be a table")
    for name in row:
        if name not in fields:
            raise UsageError(
                f"{source}: {where} has unknown field {name!r}: use {', '.join(fields)}"
            )
    for name, (required, check) in fields.items():
        if name not in row:
            if required:
                raise UsageError(f"{source}: {where} lacks field {name!r}")
            continue
        problem = check(row[name])
        if problem:
            raise UsageError(f"{source}: {where} field {name!r} {problem}")


def _row_label(table: str, number: int, row: Mapping[str, Any]) -> str:
    ident = row.get("name") or row.get("policy") if isinstance(row, Mapping) else None
    return f"[[{table}]] #{number}" + (f" ({ident})" if isinstance(ident, str) else "")


def validate(
    data: Mapping[str, Any],
    source: str,
    known_recipes: Iterable[str] = (),
    known_suites: Iterable[str] = (),
) -> None:
    """Raise a one-line UsageError for the first mistake in one catalog file's data.
    `known_*`: what other files (the shipped catalogs) define, which rows may name."""
    for key in data:
        if key not in TOP_LEVEL:
            raise UsageError(f"{source}: unknown table {key!r}: use {', '.join(TOP_LEVEL)}")
    recipes = set(known_recipes) | set(data.get("recipes", {}))
    suites = set(known_suites) | set(data.get("debian_suites", {}))
    for name, recipe in data.get("recipes", {}).items():
        _check_fields(source, f"[recipes.{name}]", recipe, RECIPE_FIELDS)
    for name, suite in data.get("debian_suites", {}).items():
        _check_fields(source, f"[debian_suites.{name}]", suite, SUITE_FIELDS)
    tables: Sequence[tuple[str, Mapping[str, tuple[bool, Check]]]] = (
        ("build_image", BUILD_FIELDS),
        ("distro", DISTRO_FIELDS),
    )
    for table, fields in tables:
        rows = data.get(table, [])
        if not isinstance(rows, list):
            raise UsageError(f"{source}: {table} must be an array of tables ([[{table}]])")
        for number, row in enumerate(rows, 1):
            where = _row_label(table, number, row)
            _check_fields(source, where, row, fields)
            if ("image" in row) == ("debian_suite" in row):
                raise UsageError(
                    f"{source}: {where} needs exactly one of 'image' and 'debian_suite'"
                )
            if "image" in row and "arches" not in row:
                raise UsageError(f"{source}: {where} lacks field 'arches' (needed with 'image')")
            if "debian_suite" in row and row["debian_suite"] not in suites:
                raise UsageError(
                    f"{source}: {where} field 'debian_suite' names unknown suite "
                    f"{row['debian_suite']!r}: use {', '.join(sorted(suites))} or add it"
                )
            if table == "build_image" and "image" in row and "python_tag" not in row:
                raise UsageError(f"{source}: {where} lacks field 'python_tag' (e.g. cp39-cp39)")
            names = [row["recipe"]] if isinstance(row["recipe"], str) else row["recipe"]
            for name in names:
                if name not in recipes:
                    raise UsageError(
                        f"{source}: {where} field 'recipe' names unknown recipe {name!r}: "
                        f"add [recipes.{name}] or use one of {', '.join(sorted(recipes))}"
                    )


def _identity(table: str, row: Mapping[str, Any]) -> tuple[str, str]:
    if table == "build_image":
        return row["profile"], policy_names.canonical_name(row["policy"])
    return row["profile"], row["name"]


def merge(shipped: Mapping[str, Any], user: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The shipped data with a user file's rows added or overriding, in the shipped order
    (an override takes its row's place, new rows come last)."""
    merged: dict[str, Any] = {
        "debian_suites": dict(shipped.get("debian_suites", {})),
        "recipes": dict(shipped.get("recipes", {})),
    }
    for table in ("debian_suites", "recipes"):
        for name, value in user.get(table, {}).items():
            if name in merged[table]:
                raise UsageError(
                    f"{source}: [{table}.{name}] is already defined by the shipped catalog: "
                    "give yours another name"
                )
            merged[table][name] = value
    for table in ("build_image", "distro"):
        rows = list(shipped.get(table, []))
        where = {_identity(table, row): index for index, row in enumerate(rows)}
        for row in user.get(table, []):
            ident = _identity(table, row)
            if ident in where:
                rows[where[ident]] = row
            else:
                where[ident] = len(rows)
                rows.append(row)
        merged[table] = rows
    return merged


def _shipped_data() -> dict[str, Any]:
    """The shipped catalog files as one table (the same merge as Catalog.from_files)."""
    data: dict[str, Any] = {"debian_suites": {}, "recipes": {}, "build_image": [], "distro": []}
    for name in CATALOG_FILES:
        text = load_toml(name)
        for table in ("debian_suites", "recipes"):
            data[table].update(text.get(table, {}))
        for table in ("build_image", "distro"):
            data[table] += text.get(table, [])
    return data


def read_user_file(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"catalog {path} does not exist: check the --catalog path") from None
    except OSError as exc:
        raise UsageError(f"catalog {path} cannot be read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"catalog {path} is not valid TOML: {exc}") from None


@dataclass(frozen=True)
class CatalogSources:
    """What a run resolves images from: the shipped catalogs, user files, registry mirrors."""

    files: tuple[Path, ...] = ()
    mirrors: Mirrors = NO_MIRRORS

    def load(self) -> Catalog:
        data = _shipped_data()
        for path in self.files:
            user = read_user_file(path)
            validate(user, str(path), data["recipes"], data["debian_suites"])
            data = merge(data, user, str(path))
        return Catalog.from_data(data).with_mirrors(self.mirrors)
