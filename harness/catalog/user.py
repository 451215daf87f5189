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
from harness.resources import load_toml
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


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _sources(value: Any) -> str | None:
    """A recipe's pinned files: each a table of file, sha256 and where it comes from."""
    if not isinstance(value, list):
        return 'must be a list of { file = "...", sha256 = "...", debian = "main/x/pkg" | pypi = "name==version" }'
    for row in value:
        if not isinstance(row, dict) or not isinstance(row.get("file"), str) or not row["file"]:
            return "has a source without its file name"
        unknown = sorted(set(row) - {"file", "sha256", "debian", "pypi"})
        if unknown:
            return f"source {row['file']!r} has unknown key {unknown[0]!r}: use file, sha256, debian, pypi"
        if not isinstance(row.get("sha256"), str) or not _SHA256.match(row["sha256"]):
            return f"source {row['file']!r} needs sha256 = 64 lowercase hex digits"
        origins = [key for key in ("debian", "pypi") if isinstance(row.get(key), str) and row[key]]
        if len(origins) != 1:
            return f"source {row['file']!r} needs exactly one of debian (a pool directory) and pypi (name==version)"
        if "pypi" in origins and "==" not in row["pypi"]:
            return f"source {row['file']!r}: pypi must pin one version (name==version)"
        if "/" in row["file"] or row["file"].startswith("."):
            return f"source {row['file']!r} must be a plain file name"
    return None


def _env(value: Any) -> str | None:
    ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    return None if ok else 'must be a table of NAME = "value"'


# Fields per table: name -> (required, check). A row needs exactly one of `image`,
# `debian_suite` and `stage` (checked separately).
BUILD_FIELDS: Mapping[str, tuple[bool, Check]] = {
    "profile": (True, _profile),
    "policy": (True, _policy),
    "recipe": (True, _recipe),
    "image": (False, _image),
    "debian_suite": (False, _string),
    "stage": (False, _string),
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
    "stage": (False, _string),
    # the stage's directory that is the distro's whole root filesystem (none of the
    # stage's own userland): a system made from parts, e.g. musl's
    "stage_rootfs": (False, _string),
    "family": (False, _string),
    "arches": (False, _arches),
    "glibc": (False, _version),
    "musl": (False, _version),
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
    "sources": (False, _sources),
}
STAGE_FIELDS: Mapping[str, tuple[bool, Check]] = {
    "debian_suite": (True, _string),
    "recipe": (True, _recipe),
    "arches": (False, _arches),
    "description": (False, _text),
}
SUITE_FIELDS: Mapping[str, tuple[bool, Check]] = {
    "version": (True, _string),
    "glibc": (True, _version),
    "python": (True, _version),
    "eol": (False, _date),
    "arches": (True, _arches),
}
TOP_LEVEL = ("debian_suites", "recipes", "stages", "build_image", "distro")


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


def _kind(value: Any) -> str:
    kinds = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
    return kinds.get(type(value), type(value).__name__)


def _row_label(table: str, number: int, row: Mapping[str, Any]) -> str:
    ident = row.get("name") or row.get("policy") if isinstance(row, Mapping) else None
    return f"[[{table}]] #{number}" + (f" ({ident})" if isinstance(ident, str) else "")


def validate(
    data: Mapping[str, Any],
    source: str,
    known_recipes: Iterable[str] = (),
    known_suites: Iterable[str] = (),
    known_stages: Iterable[str] = (),
) -> None:
    """Raise a one-line UsageError for the first mistake in one catalog file's data.
    `known_*`: what other files (the shipped catalogs) define, which rows may name."""
    for key in data:
        if key not in TOP_LEVEL:
            raise UsageError(f"{source}: unknown table {key!r}: use {', '.join(TOP_LEVEL)}")
    for table in ("recipes", "debian_suites"):
        if table in data and not isinstance(data[table], dict):
            raise UsageError(
                f"{source}: {table} must be a table of named entries ([{table}.NAME]), "
                f"not {_kind(data[table])}"
            )
    recipes = set(known_recipes) | set(data.get("recipes", {}))
    suites = set(known_suites) | set(data.get("debian_suites", {}))
    stages = set(known_stages) | set(data.get("stages", {}))
    for name, recipe in data.get("recipes", {}).items():
        _check_fields(source, f"[recipes.{name}]", recipe, RECIPE_FIELDS)
    for name, suite in data.get("debian_suites", {}).items():
        _check_fields(source, f"[debian_suites.{name}]", suite, SUITE_FIELDS)
    for name, stage in data.get("stages", {}).items():
        where = f"[stages.{name}]"
        _check_fields(source, where, stage, STAGE_FIELDS)
        _check_names(source, where, stage, recipes, suites)
    tables: Sequence[tuple[str, Mapping[str, tuple[bool, Check]]]] = (
        ("build_image", BUILD_FIELDS),
        ("distro", DISTRO_FIELDS),
    )
    for table, fields in tables:
        rows = data.get(table, [])
        if not isinstance(rows, list):
            raise UsageError(f"{source}: {table} must be an array of tables ([[{table}]])")
        seen: dict[tuple[str, str], str] = {}
        for number, row in enumerate(rows, 1):
            where = _row_label(table, number, row)
            _check_fields(source, where, row, fields)
            ident = _identity(table, row)
            if ident in seen:
                raise UsageError(
                    f"{source}: {where} is the {ident[0]} profile's "
                    f"{'build image' if table == 'build_image' else 'distro'} {ident[1]!r} "
                    f"again ({seen[ident]} is): keep one row per name, or give it another name"
                )
            seen[ident] = where
            bases = [key for key in ("image", "debian_suite", "stage") if key in row]
            if len(bases) != 1:
                raise UsageError(
                    f"{source}: {where} needs exactly one of 'image', 'debian_suite' and 'stage'"
                )
            if "image" in row and "arches" not in row:
                raise UsageError(f"{source}: {where} lacks field 'arches' (needed with 'image')")
            if "stage" in row and row["stage"] not in stages:
                known = ", ".join(sorted(stages)) or "none"
                raise UsageError(
                    f"{source}: {where} field 'stage' names unknown stage {row['stage']!r}: "
                    f"add [stages.{row['stage']}] or use one of {known}"
                )
            if "stage_rootfs" in row and (
                "stage" not in row or not row["stage_rootfs"].startswith("/")
            ):
                raise UsageError(
                    f"{source}: {where} field 'stage_rootfs' needs 'stage' and an absolute path"
                )
            if table == "build_image" and "python_tag" not in row and "debian_suite" not in row:
                raise UsageError(f"{source}: {where} lacks field 'python_tag' (e.g. cp39-cp39)")
            _check_names(source, where, row, recipes, suites)


def _check_names(
    source: str, where: str, row: Mapping[str, Any], recipes: set[str], suites: set[str]
) -> None:
    """The suite and recipes a row or stage names exist."""
    if "debian_suite" in row and row["debian_suite"] not in suites:
        raise UsageError(
            f"{source}: {where} field 'debian_suite' names unknown suite "
            f"{row['debian_suite']!r}: use {', '.join(sorted(suites))} or add it"
        )
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
        "stages": dict(shipped.get("stages", {})),
    }
    for table in ("debian_suites", "recipes", "stages"):
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
    data: dict[str, Any] = {
        "debian_suites": {},
        "recipes": {},
        "stages": {},
        "build_image": [],
        "distro": [],
    }
    for name in CATALOG_FILES:
        text = load_toml(name)
        for table in ("debian_suites", "recipes", "stages"):
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
            validate(user, str(path), data["recipes"], data["debian_suites"], data["stages"])
            data = merge(data, user, str(path))
        return Catalog.from_data(data).with_mirrors(self.mirrors)
