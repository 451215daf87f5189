"""User catalogs (--catalog FILE): validated with one-line errors, merged over the shipped."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.catalog.registry_mirrors import parse_mirrors
from harness.catalog.user import CatalogSources, validate
from harness.errors import UsageError
from harness.resources import load_toml

TEAM = """
[recipes.team-apt]
network = true
steps = ["apt-get update", "apt-get install -y python3-venv"]

[[build_image]]
profile = "official"
policy = "manylinux_2_31"
image = "registry.example/team/build-2_31-{arch}:1"
python_tag = "cp39-cp39"
arches = ["x86_64"]
recipe = "ready"

[[distro]]
profile = "official"
name = "team-os-1"
image = "registry.example/team/os:1"
family = "apt"
arches = ["x86_64", "aarch64"]
glibc = "2.31"
python = "3.9"
eol = "2027-01-31"
recipe = "team-apt"

[[distro]]
profile = "official"
name = "debian-12"
image = "registry.example/team/debian:12"
family = "apt"
arches = ["x86_64"]
glibc = "2.36"
python = "3.11"
eol = "2028-06-30"
recipe = "apt"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "team.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_user_catalog_adds_and_overrides_rows(tmp_path):
    catalog = CatalogSources((write(tmp_path, TEAM),)).load()
    names = [d.name for d in catalog.distros("official", ["x86_64"])]
    assert names.count("debian-12") == 1 and names[-1] == "team-os-1"
    (debian,) = catalog.distros("official", ["x86_64"], ["debian-12"])
    assert debian.image.base.reference == "registry.example/team/debian:12"
    assert catalog.distros("official", ["aarch64"], ["debian-12"]) == []  # its arches now
    (build,) = catalog.build_images("official", ["x86_64"], ["manylinux_2_31"])
    assert build.image.base.reference == "registry.example/team/build-2_31-x86_64:1"
    # The shipped rows are still there.
    assert catalog.build_images("official", ["x86_64"], ["manylinux2014"])
    assert catalog.distros("local", ["x86_64"], ["debian-bullseye"])


def test_a_rolling_release_has_eol_rolling(tmp_path):
    rolling = TEAM.replace('eol = "2027-01-31"', 'eol = "rolling"')
    (team,) = (
        CatalogSources((write(tmp_path, rolling),))
        .load()
        .distros("official", ["x86_64"], ["team-os-1"])
    )
    assert team.eol == "rolling"


def test_mirrors_apply_to_user_rows_too(tmp_path):
    sources = CatalogSources(
        (write(tmp_path, TEAM),), parse_mirrors(["registry.example=m.example/r"])
    )
    (team,) = sources.load().distros("official", ["x86_64"], ["team-os-1"])
    assert team.image.base.reference == "m.example/r/team/os:1"


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (
            ('arches = ["x86_64", "aarch64"]', 'arches = ["x86_64", "arm64"]'),
            "[[distro]] #1 (team-os-1) field 'arches' has unknown architecture 'arm64'",
        ),
        (
            ('eol = "2027-01-31"', "eol = 2027-01-31"),
            "[[distro]] #1 (team-os-1) field 'eol' must be a quoted date",
        ),
        (
            ('eol = "2027-01-31"', 'eol = "2027-13-01"'),
            "[[distro]] #1 (team-os-1) field 'eol' must be a date YYYY-MM-DD",
        ),
        (
            ('recipe = "team-apt"', 'recipe = "team-yum"'),
            "[[distro]] #1 (team-os-1) field 'recipe' names unknown recipe 'team-yum'",
        ),
        (
            (
                'family = "apt"\narches = ["x86_64", "aarch64"]',
                'famly = "apt"\narches = ["x86_64", "aarch64"]',
            ),
            "[[distro]] #1 (team-os-1) has unknown field 'famly'",
        ),
        (
            ('policy = "manylinux_2_31"', 'policy = "manylinux_3"'),
            "[[build_image]] #1 (manylinux_3) field 'policy' unknown manylinux policy",
        ),
        (
            ('python_tag = "cp39-cp39"\n', ""),
            "[[build_image]] #1 (manylinux_2_31) lacks field 'python_tag'",
        ),
        (('name = "team-os-1"\n', ""), "[[distro]] #1 lacks field 'name'"),
        (
            ('image = "registry.example/team/os:1"', 'image = "Registry/Team/OS"'),
            "[[distro]] #1 (team-os-1) field 'image' image reference",
        ),
        (
            ("network = true", 'network = "yes"'),
            "[recipes.team-apt] field 'network' must be true or false",
        ),
    ],
)
def test_mistakes_are_one_line_naming_file_row_and_field(tmp_path, edit, says):
    old, new = edit
    assert old in TEAM
    path = write(tmp_path, TEAM.replace(old, new, 1))
    with pytest.raises(UsageError) as info:
        CatalogSources((path,)).load()
    message = str(info.value)
    assert message.startswith(str(path)) and says in message and "\n" not in message


def test_file_problems(tmp_path):
    with pytest.raises(UsageError, match="does not exist: check the --catalog path"):
        CatalogSources((tmp_path / "missing.toml",)).load()
    with pytest.raises(UsageError, match="is not valid TOML"):
        CatalogSources((write(tmp_path, "[[distro]\n"),)).load()
    with pytest.raises(UsageError, match=r"\[recipes.apt\] is already defined .* another name"):
        CatalogSources((write(tmp_path, "[recipes.apt]\nsteps = []\n"),)).load()
    with pytest.raises(UsageError, match="unknown table 'distros'"):
        CatalogSources((write(tmp_path, "[[distros]]\nname = 'x'\n"),)).load()


@pytest.mark.parametrize("name", ["catalog-local.toml", "catalog-official.toml"])
def test_the_shipped_catalogs_pass_the_same_checks(name):
    shipped = [load_toml(n) for n in ("catalog-local.toml", "catalog-official.toml")]
    recipes = {r for data in shipped for r in data.get("recipes", {})}
    suites = {s for data in shipped for s in data.get("debian_suites", {})}
    validate(load_toml(name), name, recipes, suites)


MUSL_TEAM = """
[recipes.team-stage]
sources = [{ file = "zlib_1.3.orig.tar.gz", debian = "main/z/zlib", sha256 = "%s" }]
steps = ["true"]

[stages.team-musl]
debian_suite = "bookworm"
recipe = "team-stage"
arches = ["x86_64"]

[[distro]]
profile = "local"
name = "team-musl"
stage = "team-musl"
stage_rootfs = "/opt/rootfs"
recipe = "team-stage"
glibc = "none"
musl = "1.2"
""" % ("ab" * 32)


def test_a_user_catalog_can_start_a_row_from_its_own_stage(tmp_path):
    catalog = CatalogSources((write(tmp_path, MUSL_TEAM),)).load()
    (distro,) = catalog.distros("local", ["x86_64"], ["team-musl"])
    assert distro.image.base.kind == "stage-rootfs" and distro.expected_musl == "1.2"
    assert distro.image.base.stage is not None
    assert distro.image.base.stage.sources[0].debian == "main/z/zlib"


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (('sha256 = "' + "ab" * 32, 'sha256 = "abc'), "needs sha256 = 64 lowercase hex digits"),
        (('debian = "main/z/zlib", ', ""), "needs exactly one of debian"),
        (('debian = "main/z/zlib"', 'pypi = "zlib"'), "pypi must pin one version"),
        (('file = "zlib_1.3.orig.tar.gz"', 'file = "../zlib.tar.gz"'), "must be a plain file name"),
        (('stage = "team-musl"', 'stage = "team-glibc"'), "names unknown stage 'team-glibc'"),
        (('stage_rootfs = "/opt/rootfs"', 'stage_rootfs = "opt/rootfs"'), "an absolute path"),
        (('debian_suite = "bookworm"', 'debian_suite = "sid"'), "names unknown suite 'sid'"),
        (('stage = "team-musl"\n', 'debian_suite = "bookworm"\n'), "needs 'stage' and"),
        (('musl = "1.2"', 'musl = "new"'), "field 'musl' must be a quoted version"),
    ],
)
def test_stage_and_source_mistakes_are_one_line(tmp_path, edit, says):
    old, new = edit
    assert old in MUSL_TEAM
    path = write(tmp_path, MUSL_TEAM.replace(old, new, 1))
    with pytest.raises(UsageError) as info:
        CatalogSources((path,)).load()
    message = str(info.value)
    assert message.startswith(str(path)) and says in message and "\n" not in message
