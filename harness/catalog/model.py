"""The catalog of build images and distros, as frozen data resolved per (profile, arch).

Loading is pure: nothing here talks to an engine. harness.images.provider turns an ImageSpec into a
real image, through one code path for both profiles.
"""

from __future__ import annotations

import dataclasses
import functools
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.catalog.image_spec import SOURCES_DIR, BaseSource, ImageSpec, PinnedSource, Role
from harness.catalog.profiles import PROFILES
from harness.catalog.registry_mirrors import NO_MIRRORS, Mirrors
from harness.errors import UsageError
from harness.resources import load_toml, read_text
from harness.vocab import policy_names
from harness.vocab.arch import Arch, get_arch

# The `eol` of a rolling release (Arch, Tumbleweed): supported, with no end date.
ROLLING = "rolling"


@dataclass(frozen=True)
class DebianSuite:
    name: str
    version: str
    glibc: str
    python: str
    eol: str
    arches: tuple[str, ...]

    @property
    def python_tag(self) -> str:
        digits = self.python.replace(".", "")
        return f"cp{digits}-cp{digits}"


@dataclass(frozen=True)
class BuildImage:
    profile: str
    policy: str  # canonical PEP 600 name, e.g. "manylinux_2_31"
    display_policy: str  # as the catalog names it, e.g. "manylinux2014"
    arch: Arch
    python_tag: str  # /opt/python/<python_tag> builds the wheels
    image: ImageSpec
    glibc: tuple[int, int] = field(default=(0, 0))

    @property
    def key(self) -> str:
        return f"{self.display_policy}-{self.arch.name}"

    @property
    def python_version(self) -> str:
        """The build interpreter's version, e.g. "3.11" for cp311-cp311."""
        digits = self.python_tag.split("-")[0].removeprefix("cp")
        return f"{digits[0]}.{digits[1:]}" if digits else ""

    @property
    def libc(self) -> str:
        """The platform family cibuildwheel builds for: "musllinux" or "manylinux"."""
        return "musllinux" if policy_names.is_musl(self.policy) else "manylinux"

    @property
    def build_identifier(self) -> str:
        """cibuildwheel's build identifier, e.g. cp311-manylinux_x86_64."""
        return f"{self.python_tag.split('-')[0]}-{self.libc}_{self.arch.name}"


@dataclass(frozen=True)
class Distro:
    profile: str
    name: str
    arch: Arch
    image: ImageSpec
    family: str
    eol: str = ""
    description: str = ""
    expected_glibc: str = ""
    expected_python: str = ""
    expected_musl: str = ""  # a musl distro's musl ("1.2"; expected_glibc is then "none")
    # Set when no interpreter the corpus can use exists there (e.g. CentOS 6: Python 2.6
    # only, too old a glibc for a portable CPython): its cells are reported as skipped.
    skip_reason: str = ""

    @property
    def key(self) -> str:
        return f"{self.name}-{self.arch.name}"


@functools.cache
def _image_constraints() -> str:
    """The pins a recipe's pip installs use, as one shell word for a step to write to a file.

    Expanded into the steps, so the recipe hash (and with it the image tag) changes whenever
    the pins do: a tag names what is inside."""
    return shlex.quote(read_text("constraints-image.txt"))


def _format(value: str, values: Mapping[str, str]) -> str:
    try:
        return value.format(**values)
    except KeyError as exc:
        raise UsageError(f"catalog recipe uses unknown placeholder {exc}: fix the catalog") from exc


@dataclass(frozen=True)
class Catalog:
    suites: Mapping[str, DebianSuite]
    recipes: Mapping[str, Mapping[str, Any]]
    build_rows: tuple[Mapping[str, Any], ...]
    distro_rows: tuple[Mapping[str, Any], ...]
    # What rows can start from instead of a pull or a bootstrap (`stage = NAME`): an image
    # made first from its own Debian suite and recipe, once per arch.
    stages: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Applied where a row's image reference is resolved, so every consumer (run, verify,
    # explain, doctor) pulls the same thing.
    mirrors: Mirrors = NO_MIRRORS

    def with_mirrors(self, mirrors: Mirrors) -> Catalog:
        return dataclasses.replace(self, mirrors=mirrors)

    @classmethod
    def from_files(cls, texts: list[Mapping[str, Any]]) -> Catalog:
        """Several catalog files as one: tables merge, row lists concatenate."""
        merged: dict[str, Any] = {
            "debian_suites": {},
            "recipes": {},
            "stages": {},
            "build_image": [],
            "distro": [],
        }
        for data in texts:
            for table in ("debian_suites", "recipes", "stages"):
                duplicates = set(merged[table]) & set(data.get(table, {}))
                if duplicates:
                    raise UsageError(f"catalog defines [{table}.{sorted(duplicates)[0]}] twice")
                merged[table].update(data.get(table, {}))
            for rows in ("build_image", "distro"):
                merged[rows] += data.get(rows, [])
        return cls.from_data(merged)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Catalog:
        suites = {
            name: DebianSuite(
                name=name,
                version=str(row["version"]),
                glibc=str(row["glibc"]),
                python=str(row["python"]),
                eol=str(row.get("eol", "")),
                arches=tuple(row["arches"]),
            )
            for name, row in data.get("debian_suites", {}).items()
        }
        return cls(
            suites=suites,
            recipes=data.get("recipes", {}),
            build_rows=tuple(data.get("build_image", ())),
            distro_rows=tuple(data.get("distro", ())),
            stages=data.get("stages", {}),
        )

    # -- resolution --------------------------------------------------------------------------

    def _recipe(self, names: str | list[str]) -> dict[str, Any]:
        """One recipe, or several merged in order (e.g. a package manager's, then a
        portable interpreter's): packages, steps and sonames concatenate, env merges (later
        wins), and the network is needed if any of them needs it."""
        merged: dict[str, Any] = {
            "packages": [],
            "steps": [],
            "env": {},
            "remove_sonames": [],
            "sources": [],
        }
        merged |= {"portable_steps": [], "portable_paths": []}
        merged["network"] = False
        for name in [names] if isinstance(names, str) else names:
            try:
                recipe = self.recipes[name]
            except KeyError:
                raise UsageError(
                    f"catalog names unknown recipe {name!r}: add [recipes.{name}]"
                ) from None
            merged["packages"] += recipe.get("packages", [])
            merged["steps"] += recipe.get("steps", [])
            merged["portable_steps"] += recipe.get("portable_steps", [])
            merged["portable_paths"] += recipe.get("portable_paths", [])
            merged["env"].update(recipe.get("env", {}))
            merged["remove_sonames"] += recipe.get("remove_sonames", [])
            merged["sources"] += recipe.get("sources", [])
            merged["network"] = merged["network"] or bool(recipe.get("network"))
        return merged

    def _row_arches(self, row: Mapping[str, Any]) -> tuple[str, ...]:
        if "arches" in row:
            return tuple(row["arches"])
        suite = row.get("debian_suite")
        if suite:
            return self.suites[suite].arches
        if "stage" in row:
            return self._row_arches(self._stage_row(row["stage"]))
        return ()

    def _stage_row(self, name: str) -> Mapping[str, Any]:
        try:
            return self.stages[name]
        except KeyError:
            raise UsageError(
                f"catalog names unknown stage {name!r}: add [stages.{name!r}]"
            ) from None

    def _stage_spec(self, name: str, profile: str, arch: Arch) -> ImageSpec:
        row = self._stage_row(name)
        if arch.name not in self._row_arches(row):
            raise UsageError(f"stage {name!r} is not made for {arch.name}: add it to its arches")
        values = _values(arch, "", "", "")
        return self._image_spec("stage", name, profile, arch, row, values)

    def _image_spec(
        self,
        role: Role,
        name: str,
        profile: str,
        arch: Arch,
        row: Mapping[str, Any],
        values: Mapping[str, str],
    ) -> ImageSpec:
        recipe = self._recipe(row["recipe"])
        if "stage" in row:
            stage = self._stage_spec(row["stage"], profile, arch)
            rootfs = str(row.get("stage_rootfs", ""))
            base = BaseSource(
                kind="stage-rootfs" if rootfs else "stage", stage=stage, rootfs=rootfs
            )
        elif "debian_suite" in row:
            suite = self.suites.get(row["debian_suite"])
            base = BaseSource(
                kind="debian",
                suite=row["debian_suite"],
                packages=tuple(recipe.get("packages", ())),
                python=suite.python if suite else "",
            )
        elif "image" in row:
            reference = _format(row["image"], values)
            # A digest pin per arch makes the reference immutable: repo@sha256:...
            pin = row.get("pins", {}).get(arch.name)
            if pin:
                reference = f"{reference.split('@')[0]}@{pin}"
            mirrored = self.mirrors.rewrite(reference)
            base = BaseSource(
                kind="pull",
                reference=mirrored,
                upstream=reference if mirrored != reference else "",
            )
        else:
            raise UsageError(f"catalog entry {name!r} needs one of debian_suite, image and stage")
        return ImageSpec(
            role=role,
            name=name,
            profile=profile,
            arch=arch,
            base=base,
            steps=tuple(_format(step, values) for step in recipe.get("steps", ())),
            portable_steps=tuple(_format(step, values) for step in recipe["portable_steps"]),
            portable_paths=tuple(recipe["portable_paths"]),
            env=tuple((k, _format(v, values)) for k, v in sorted(recipe.get("env", {}).items())),
            network=bool(recipe.get("network", False)),
            remove_sonames=tuple(recipe.get("remove_sonames", ())),
            sources=tuple(_pinned_source(source, name) for source in recipe["sources"]),
        )

    def build_images(
        self,
        profile: str,
        arches: Iterable[str] | None = None,
        policies: Iterable[str] | None = None,
    ) -> list[BuildImage]:
        _check_profile(profile)
        wanted_arches = _arch_filter(arches)
        wanted_policies = {policy_names.canonical_name(p) for p in policies} if policies else None
        found: list[BuildImage] = []
        for row in self.build_rows:
            if row["profile"] != profile:
                continue
            canonical = policy_names.canonical_name(row["policy"])
            if wanted_policies is not None and canonical not in wanted_policies:
                continue
            for arch_name in self._row_arches(row):
                if wanted_arches is not None and arch_name not in wanted_arches:
                    continue
                arch = get_arch(arch_name)
                suite = self.suites.get(row.get("debian_suite", ""))
                python_tag = row.get("python_tag") or (suite.python_tag if suite else "")
                python_version = suite.python if suite else _python_version(python_tag)
                values = _values(arch, canonical, python_tag, python_version)
                found.append(
                    BuildImage(
                        profile=profile,
                        policy=canonical,
                        display_policy=row["policy"],
                        arch=arch,
                        python_tag=python_tag,
                        image=self._image_spec("build", row["policy"], profile, arch, row, values),
                        glibc=policy_names.glibc_of(canonical),
                    )
                )
        return found

    def check_policies(self, profile: str, policies: Iterable[str]) -> None:
        """Every policy a matrix selects has a build image in the profile: a valid name with
        none would be a run of 0 cells "as expected" (explain asks about any policy, so
        build_images itself does not refuse)."""
        _check_profile(profile)
        known = {
            policy_names.canonical_name(row["policy"])
            for row in self.build_rows
            if row["profile"] == profile
        }
        unknown = sorted({policy_names.canonical_name(p) for p in policies} - known)
        if unknown:
            raise UsageError(
                f"profile {profile} has no build image for policy {unknown[0]}: choose "
                f"from {', '.join(sorted(known))} (or add one with --catalog)"
            )

    def distros(
        self,
        profile: str,
        arches: Iterable[str] | None = None,
        names: Iterable[str] | None = None,
    ) -> list[Distro]:
        _check_profile(profile)
        wanted_arches = _arch_filter(arches)
        wanted_names = set(names) if names else None
        if wanted_names:
            known = {row["name"] for row in self.distro_rows if row["profile"] == profile}
            unknown = sorted(wanted_names - known)
            if unknown:
                raise UsageError(
                    f"unknown distro {unknown[0]!r} in profile {profile}: "
                    f"choose from {', '.join(sorted(known))}"
                )
        found: list[Distro] = []
        for row in self.distro_rows:
            if row["profile"] != profile:
                continue
            if wanted_names is not None and row["name"] not in wanted_names:
                continue
            suite = self.suites.get(row.get("debian_suite", ""))
            for arch_name in self._row_arches(row):
                if wanted_arches is not None and arch_name not in wanted_arches:
                    continue
                arch = get_arch(arch_name)
                values = _values(arch, "", "", "")
                found.append(
                    Distro(
                        profile=profile,
                        name=row["name"],
                        arch=arch,
                        image=self._image_spec("distro", row["name"], profile, arch, row, values),
                        family=row.get("family", "debian" if suite else ""),
                        eol=row.get("eol", suite.eol if suite else ""),
                        description=row.get("description", ""),
                        expected_glibc=row.get("glibc", suite.glibc if suite else ""),
                        expected_python=row.get("python", suite.python if suite else ""),
                        expected_musl=str(row.get("musl", "")),
                        skip_reason=row.get("skip_reason", ""),
                    )
                )
        return found


def _values(arch: Arch, policy: str, python_tag: str, python_version: str) -> dict[str, str]:
    """The placeholders a recipe's steps and env may use."""
    return {
        "arch": arch.name,
        "policy": policy,
        "python_tag": python_tag,
        "python_version": python_version,
        "image_constraints": _image_constraints(),
        "sources": SOURCES_DIR,
    }


def _python_version(python_tag: str) -> str:
    """ "3.11" for cp311-cp311 ("" when the tag says no CPython version)."""
    digits = python_tag.split("-")[0].removeprefix("cp")
    return f"{digits[0]}.{digits[1:]}" if len(digits) > 1 and digits.isdigit() else ""


def _pinned_source(row: Mapping[str, Any], recipe: str) -> PinnedSource:
    try:
        return PinnedSource(
            file=str(row["file"]),
            sha256=str(row["sha256"]),
            debian=str(row.get("debian", "")),
            pypi=str(row.get("pypi", "")),
        )
    except (KeyError, TypeError):
        raise UsageError(
            f"catalog recipe of {recipe!r} has a source without file and sha256: fix the catalog"
        ) from None


def _check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise UsageError(f"unknown profile {profile!r}: use one of {', '.join(PROFILES)}")


def _arch_filter(arches: Iterable[str] | None) -> set[str] | None:
    if not arches:
        return None
    return {get_arch(a).name for a in arches}


CATALOG_FILES = ("catalog-local.toml", "catalog-official.toml")


@functools.cache
def default_catalog() -> Catalog:
    return Catalog.from_files([load_toml(name) for name in CATALOG_FILES])
