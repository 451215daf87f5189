"""The official profile's catalog: PyPA's build images, the distro images and their recipes."""

from __future__ import annotations

import datetime
import re

import pytest

from harness.catalog.model import ROLLING, Catalog, default_catalog
from harness.catalog.samples import default_samples_dir, discover
from harness.matrix.plan import Selection, make_plan
from harness.vocab.arch import arch_names

SAMPLES = discover(default_samples_dir())

# Where PyPA publishes each image (pypa/manylinux README and build matrix).
BUILD_IMAGE_ARCHES = {
    "manylinux1": {"x86_64", "i686"},
    "manylinux2010": {"x86_64", "i686"},
    "manylinux2014": {"x86_64", "i686", "aarch64", "ppc64le", "s390x"},
    "manylinux_2_28": {"x86_64", "i686", "aarch64", "ppc64le", "s390x"},
    "manylinux_2_31": {"armv7l"},  # the only manylinux images for armv7l
    "manylinux_2_34": {"x86_64", "i686", "aarch64", "ppc64le", "s390x"},
    "manylinux_2_35": {"armv7l"},
    "manylinux_2_39": {"aarch64", "riscv64"},
    "musllinux_1_2": {"x86_64", "i686", "aarch64", "ppc64le", "s390x", "armv7l", "riscv64"},
}

FAMILIES = {"apt", "yum", "dnf", "zypper", "apk", "pacman"}
ROLLING_RELEASES = {"opensuse-tumbleweed", "archlinux"}

# Distros whose own python3 is older than 3.9: they get the portable interpreter.
PORTABLE = {
    "centos-7",
    "almalinux-8",
    "amazonlinux-2",
    "ubuntu-14.04",
    "ubuntu-16.04",
    "ubuntu-18.04",
    "ubuntu-20.04",
    "debian-8",
    "debian-9",
    "debian-10",
    "fedora-30",
    "opensuse-leap-15.6",
    "rockylinux-8",
    "ubi-8",
}

AARCH64_DISTROS = [
    "centos-7",
    "almalinux-8",
    "almalinux-9",
    "almalinux-10",
    "rockylinux-8",
    "rockylinux-9",
    "rockylinux-10",
    "ubi-8",
    "ubi-9",
    "ubi-10",
    "amazonlinux-2",
    "amazonlinux-2023",
    "ubuntu-14.04",
    "ubuntu-16.04",
    "ubuntu-18.04",
    "ubuntu-20.04",
    "ubuntu-22.04",
    "ubuntu-24.04",
    "ubuntu-26.04",
    "debian-9",
    "debian-10",
    "debian-11",
    "debian-12",
    "debian-13",
    "fedora-30",
    "fedora-43",
    "fedora-44",
    "opensuse-leap-15.6",
    "opensuse-leap-16.0",
    "opensuse-tumbleweed",
    "alpine-3.15",
    "alpine-3.23",
    "alpine-3.24",
]

APT = [
    "apt-get update",
    "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 ca-certificates curl",
    "if apt-cache show python3-venv >/dev/null 2>&1; then DEBIAN_FRONTEND=noninteractive "
    "apt-get install -y --no-install-recommends python3-venv; fi",
    "apt-get clean && rm -rf /var/lib/apt/lists/*",
    "python3 --version",
]
YUM = [
    "yum -y install python3 ca-certificates curl tar gzip",
    "yum clean all",
    "python3 --version",
]
DNF = [
    "dnf -y install python3 python3-pip tar gzip",
    "command -v curl >/dev/null || dnf -y install curl",
    "dnf clean all",
    "python3 --version",
]
ZYPPER = [
    "zypper --non-interactive --gpg-auto-import-keys refresh",
    "zypper --non-interactive install --no-recommends python3 python3-pip ca-certificates curl tar gzip",
    "zypper clean --all",
    "python3 --version",
]
APK = ["apk add --no-cache python3 py3-pip ca-certificates", "python3 --version"]
VENV_CHECK = [
    "python3 -m venv /tmp/venv-check && /tmp/venv-check/bin/python -m pip --version "
    "&& rm -rf /tmp/venv-check",
]
PACMAN = [
    "pacman -Syu --noconfirm --needed python ca-certificates curl",
    "pacman -Scc --noconfirm",
    "python3 --version",
]
CENTOS_VAULT = [
    "sed -i -e 's|^mirrorlist=|#mirrorlist=|' "
    "-e 's|^#baseurl=http://mirror.centos.org|baseurl=http://vault.centos.org|' /etc/yum.repos.d/*.repo",
]
PORTABLE_LINK = [
    "ln -sf /opt/portable-python/bin/python3 /usr/local/bin/python3",
    'test "$(command -v python3)" = /usr/local/bin/python3',
    "python3 -c 'import sys; assert sys.version_info >= (3, 9), sys.version'",
    "python3 -m venv /tmp/venv-check && /tmp/venv-check/bin/python -m pip --version "
    "&& rm -rf /tmp/venv-check",
]


def _official_rows() -> list[dict]:
    return [dict(row) for row in default_catalog().distro_rows if row["profile"] == "official"]


def _recipe_names(row: dict) -> list[str]:
    recipe = row["recipe"]
    return [recipe] if isinstance(recipe, str) else list(recipe)


def _distro(name: str, arch: str):
    (found,) = default_catalog().distros("official", [arch], [name])
    return found


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


# --- build images ----------------------------------------------------------------------------


def test_every_build_image_with_exactly_its_published_arches() -> None:
    images = default_catalog().build_images("official")
    by_policy: dict[str, set[str]] = {}
    for image in images:
        by_policy.setdefault(image.display_policy, set()).add(image.arch.name)
    assert by_policy == BUILD_IMAGE_ARCHES
    assert len(images) == sum(len(arches) for arches in BUILD_IMAGE_ARCHES.values())
    assert {image.python_tag for image in images} == {"cp39-cp39"}


def test_build_image_references_resolve_per_arch() -> None:
    for image in default_catalog().build_images("official"):
        expected = f"quay.io/pypa/{image.display_policy}_{image.arch.name}"
        assert image.image.base.kind == "pull"
        assert image.image.base.reference == expected
        assert image.image.steps == () and not image.image.network
        assert image.image.tag == expected  # pulled as published, nothing provisioned

    (aarch64,) = default_catalog().build_images("official", ["aarch64"], ["manylinux2014"])
    assert aarch64.image.tag == "quay.io/pypa/manylinux2014_aarch64"
    assert aarch64.policy == "manylinux_2_17"
    (armv7l,) = default_catalog().build_images("official", ["armv7l"], ["musllinux_1_2"])
    assert armv7l.image.tag == "quay.io/pypa/musllinux_1_2_armv7l"
    assert armv7l.policy == "musllinux_1_2"
    (legacy,) = default_catalog().build_images("official", ["i686"], ["manylinux1"])
    assert legacy.image.tag == "quay.io/pypa/manylinux1_i686"
    assert legacy.glibc == (2, 5)


def test_a_digest_pin_makes_the_reference_immutable() -> None:
    digest = "sha256:" + "ab" * 32
    catalog = Catalog.from_data(
        {
            "recipes": {"ready": {"network": False, "steps": []}},
            "build_image": [
                {
                    "profile": "official",
                    "policy": "manylinux2014",
                    "image": "quay.io/pypa/manylinux2014_{arch}",
                    "python_tag": "cp39-cp39",
                    "arches": ["x86_64", "aarch64"],
                    "recipe": "ready",
                    "pins": {"x86_64": digest},
                },
                {
                    "profile": "official",
                    "policy": "manylinux_2_28",
                    "image": "quay.io/pypa/manylinux_2_28_{arch}:2026-11-20-abc1234",
                    "python_tag": "cp39-cp39",
                    "arches": ["x86_64"],
                    "recipe": "ready",
                    "pins": {"x86_64": digest},
                },
            ],
        }
    )
    pinned, unpinned = catalog.build_images("official", policies=["manylinux2014"])
    assert pinned.arch.name == "x86_64"
    assert pinned.image.base.reference == f"quay.io/pypa/manylinux2014_x86_64@{digest}"
    assert pinned.image.tag == f"quay.io/pypa/manylinux2014_x86_64@{digest}"
    assert unpinned.image.tag == "quay.io/pypa/manylinux2014_aarch64"
    (tagged,) = catalog.build_images("official", policies=["manylinux_2_28"])
    assert tagged.image.tag == f"quay.io/pypa/manylinux_2_28_x86_64:2026-11-20-abc1234@{digest}"


def test_shipped_build_images_carry_no_pin_yet() -> None:
    rows = [row for row in default_catalog().build_rows if row["profile"] == "official"]
    assert [row.get("pins") for row in rows] == [{}] * len(BUILD_IMAGE_ARCHES)


# --- distros and recipes ---------------------------------------------------------------------


def test_every_distro_row_documents_family_eol_glibc_and_python() -> None:
    rows = _official_rows()
    names = [row["name"] for row in rows]
    assert len(names) == len(set(names))
    for row in rows:
        name = row["name"]
        assert row["family"] in FAMILIES, name
        if name in ROLLING_RELEASES:
            assert row["eol"] == ROLLING, name
        else:
            eol = datetime.date.fromisoformat(row["eol"])  # YYYY-MM-DD, a real date
            assert datetime.date(2010, 1, 1) < eol < datetime.date(2040, 1, 1), name
        if row["family"] == "apk":
            assert row["glibc"] == "none", name  # musl
        else:
            assert re.fullmatch(r"2\.\d+", row["glibc"]), name
        assert re.fullmatch(r"[23]\.\d+", row["python"]), name
        assert row["description"], name
        assert row["image"] and "{" not in row["image"], name  # multi-arch, pulled per platform
        assert row["arches"], name


def test_the_required_distros_are_catalogued() -> None:
    rows = {row["name"]: row for row in _official_rows()}
    assert set(rows) == {
        "centos-6",
        "centos-7",
        "almalinux-8",
        "almalinux-9",
        "almalinux-10",
        "rockylinux-8",
        "rockylinux-9",
        "rockylinux-10",
        "ubi-8",
        "ubi-9",
        "ubi-10",
        "amazonlinux-2",
        "amazonlinux-2023",
        "ubuntu-14.04",
        "ubuntu-16.04",
        "ubuntu-18.04",
        "ubuntu-20.04",
        "ubuntu-22.04",
        "ubuntu-24.04",
        "ubuntu-26.04",
        "debian-8",
        "debian-9",
        "debian-10",
        "debian-11",
        "debian-12",
        "debian-13",
        "fedora-30",
        "fedora-43",
        "fedora-44",
        "opensuse-leap-15.6",
        "opensuse-leap-16.0",
        "opensuse-tumbleweed",
        "archlinux",
        "alpine-3.15",
        "alpine-3.23",
        "alpine-3.24",
    }
    # Fedora 30 is the distro whose glibc dropped libcrypt.so.1.
    assert rows["fedora-30"]["image"] == "fedora:30"
    assert rows["fedora-30"]["glibc"] == "2.29"
    assert "libcrypt.so.1" in rows["fedora-30"]["description"]
    # Each policy's floor is there: CentOS 6/7, AlmaLinux 8/9, Ubuntu 24.04 for 2.39.
    floors = {"2.12": "centos-6", "2.17": "centos-7", "2.28": "almalinux-8", "2.34": "almalinux-9"}
    for glibc, name in floors.items():
        assert rows[name]["glibc"] == glibc
    assert rows["ubuntu-24.04"]["glibc"] == "2.39"
    # The distros users hit now (pep600_compliance's caches): Ubuntu 26.04 is ubuntu:latest
    # with glibc 2.43; EL10 is manylinux_2_39's base; Fedora 43 the only glibc 2.42.
    assert rows["ubuntu-26.04"]["glibc"] == "2.43"
    assert {rows[n]["glibc"] for n in ("almalinux-10", "rockylinux-10", "ubi-10")} == {"2.39"}
    assert rows["fedora-43"]["glibc"] == "2.42"


def test_distro_arches_where_the_images_exist() -> None:
    rows = {row["name"]: set(row["arches"]) for row in _official_rows()}
    assert rows["centos-6"] == {"x86_64", "i686"}
    assert rows["centos-7"] == {"x86_64", "i686", "aarch64", "ppc64le"}
    assert rows["amazonlinux-2023"] == {"x86_64", "aarch64"}
    assert rows["debian-8"] == {"x86_64", "i686", "armv7l"}
    assert rows["ubuntu-14.04"] == {"x86_64", "i686", "aarch64", "ppc64le", "armv7l"}
    assert rows["ubuntu-24.04"] == {"x86_64", "aarch64", "ppc64le", "s390x", "armv7l", "riscv64"}
    assert "riscv64" in rows["debian-13"] and "riscv64" not in rows["debian-12"]
    # What the multi-arch debian tags still carry (docker-library/official-images).
    assert rows["debian-11"] == {"x86_64", "i686", "aarch64", "armv7l"}
    assert "s390x" not in rows["debian-12"] and "ppc64le" in rows["debian-12"]
    assert rows["opensuse-leap-15.6"] == {"x86_64", "aarch64"}
    assert "s390x" not in rows["opensuse-leap-16.0"]
    assert "i686" not in rows["ubuntu-20.04"]  # Ubuntu stopped i386 images after 18.04
    assert rows["archlinux"] == {"x86_64"}  # the official image is x86_64 only
    assert "riscv64" in rows["rockylinux-10"] and "riscv64" not in rows["almalinux-10"]
    assert rows["alpine-3.24"] == rows["opensuse-tumbleweed"] == set(arch_names())


def test_every_recipe_used_exists_and_the_family_recipe_is_used() -> None:
    catalog = default_catalog()
    for row in _official_rows():
        names = _recipe_names(row)
        assert set(names) <= set(catalog.recipes), row["name"]
        assert row["family"] in names, row["name"]
        # fix-ups first, the package manager next, the portable interpreter last
        family_at = names.index(row["family"])
        assert all(n not in FAMILIES and n != "portable-python" for n in names[:family_at])
    for build_row in catalog.build_rows:
        if build_row["profile"] == "official":
            assert build_row["recipe"] == "ready"


@pytest.mark.parametrize(
    ("name", "arch", "steps"),
    [
        ("debian-12", "x86_64", APT),
        ("almalinux-9", "ppc64le", DNF),
        ("opensuse-leap-16.0", "ppc64le", ZYPPER + VENV_CHECK),
        ("alpine-3.23", "riscv64", APK),
        ("archlinux", "x86_64", PACMAN + VENV_CHECK),
        ("opensuse-tumbleweed", "s390x", ZYPPER + VENV_CHECK),
    ],
)
def test_provisioning_steps_of_each_family(name: str, arch: str, steps: list[str]) -> None:
    distro = _distro(name, arch)
    assert list(distro.image.steps) == steps
    assert distro.image.network
    assert distro.image.base.kind == "pull"
    assert distro.image.tag.startswith(f"manylinux-harness/distro-{name}:{arch}-")


def test_yum_family_on_centos_7_repoints_to_the_vault_then_goes_portable() -> None:
    distro = _distro("centos-7", "aarch64")
    steps = list(distro.image.steps)
    assert steps[: len(CENTOS_VAULT) + len(YUM)] == CENTOS_VAULT + YUM
    assert steps[-len(PORTABLE_LINK) :] == PORTABLE_LINK
    assert distro.family == "yum" and distro.expected_python == "3.6"


def test_archived_apt_releases_are_repointed_before_apt_runs() -> None:
    debian = list(_distro("debian-9", "armv7l").image.steps)
    assert "archive.debian.org" in " ".join(debian[:4])
    assert "Acquire::Check-Valid-Until" in debian[2]
    assert debian[4 : 4 + len(APT)] == APT
    ubuntu = list(_distro("ubuntu-16.04", "s390x").image.steps)
    assert "old-releases.ubuntu.com" in ubuntu[0]
    assert "//ports.ubuntu.com/ubuntu-ports|//old-releases.ubuntu.com/ubuntu" in ubuntu[0]
    assert ubuntu[1 : 1 + len(APT)] == APT
    # current releases are left alone
    assert list(_distro("ubuntu-24.04", "x86_64").image.steps) == APT


def test_venv_is_checked_on_the_python_the_probe_will_use() -> None:
    """Leap 15.6's own Python 3.6 is replaced by the portable one: only that one, after the
    link, is checked (a failing ensurepip of 3.6 must not stop the row)."""
    steps = list(_distro("opensuse-leap-15.6", "x86_64").image.steps)
    assert steps[: len(ZYPPER)] == ZYPPER
    assert [i for i, step in enumerate(steps) if "venv-check" in step] == [len(steps) - 1]
    assert steps[-len(PORTABLE_LINK) :] == PORTABLE_LINK


def test_portable_interpreter_comes_after_the_family_recipe() -> None:
    rows = {row["name"]: row for row in _official_rows()}
    portable = {name for name, row in rows.items() if "portable-python" in _recipe_names(row)}
    assert portable == PORTABLE
    for name in portable:
        names = _recipe_names(rows[name])
        assert names[-1] == "portable-python"
        assert names[-2] == rows[name]["family"]
    # Exactly the distros whose own Python is too old for cp39-abi3 need it (or are skipped).
    for name, row in rows.items():
        too_old = _version(row["python"]) < (3, 9)
        assert too_old == (name in portable or bool(row.get("skip_reason"))), name


@pytest.mark.parametrize(
    ("name", "arch", "selector", "build"),
    [
        (
            "ubuntu-18.04",
            "i686",
            "case i686 in",
            "rel=20230826; ver=3.11.5; triple=i686-unknown-linux-gnu",
        ),
        ("debian-9", "armv7l", "case armv7l in", "triple=armv7-unknown-linux-gnueabihf"),
        ("fedora-30", "s390x", "case s390x in", "triple=s390x-unknown-linux-gnu"),
        ("ubuntu-20.04", "riscv64", "case riscv64 in", "triple=riscv64-unknown-linux-gnu"),
    ],
)
def test_portable_interpreter_is_chosen_by_catalogue_arch(
    name: str, arch: str, selector: str, build: str
) -> None:
    steps = list(_distro(name, arch).image.steps)
    (download,) = [s for s in steps if "python-build-standalone/releases/download" in s]
    assert download.startswith(selector)
    assert build in download
    assert "x86_64|aarch64|ppc64le|s390x|riscv64) rel=20260807; ver=3.12.13;" in download
    assert "-install_only.tar.gz" in download
    assert "tar -xzf /tmp/portable-python.tar.gz -C /opt/portable-python --strip-components=1" in (
        " ".join(steps)
    )
    assert steps[-len(PORTABLE_LINK) :] == PORTABLE_LINK


def test_skipped_distros_carry_their_reason_and_are_not_provisioned_by_default() -> None:
    rows = {row["name"]: row for row in _official_rows()}
    skipped = {name: row["skip_reason"] for name, row in rows.items() if row.get("skip_reason")}
    assert set(skipped) == {"centos-6"}
    assert "2.17" in skipped["centos-6"] and "2.6" in skipped["centos-6"]
    centos6 = _distro("centos-6", "i686")
    assert centos6.skip_reason == skipped["centos-6"]
    assert _distro("centos-7", "i686").skip_reason == ""


def test_official_and_local_names_do_not_collide() -> None:
    catalog = default_catalog()
    official = {row["name"] for row in catalog.distro_rows if row["profile"] == "official"}
    local = {row["name"] for row in catalog.distro_rows if row["profile"] == "local"}
    assert official and local and not official & local


# --- matrix expansion (what the {arch}-{policy} tox environments run) ------------------------


def test_aarch64_2014_expands_to_pypa_image_and_every_aarch64_distro() -> None:
    selection = Selection(profile="official", arches=("aarch64",), policies=("manylinux2014",))
    plan = make_plan(selection, default_catalog(), SAMPLES)
    assert [b.image.tag for b in plan.build_images] == ["quay.io/pypa/manylinux2014_aarch64"]
    assert [d.name for d in plan.distros] == AARCH64_DISTROS
    assert {d.arch.name for d in plan.distros} == {"aarch64"}
    assert {b.build_image.image.tag for b in plan.builds} == {"quay.io/pypa/manylinux2014_aarch64"}
    single = [c for c in plan.cells if len(c.members) == 1]
    # a flavour built only to be offered beside others has no cells of its own
    alone = [b for b in plan.builds if b.flavour.alone]
    assert len(single) == len(alone) * len(AARCH64_DISTROS) and len(alone) < len(plan.builds)
    assert {c.distro.name for c in plan.cells} == set(AARCH64_DISTROS)
    assert {c.distro.arch.name for c in plan.cells} == {"aarch64"}


def test_x86_64_1_expands_to_the_manylinux1_image() -> None:
    selection = Selection(profile="official", arches=("x86_64",), policies=("manylinux1",))
    plan = make_plan(selection, default_catalog(), SAMPLES)
    assert [b.image.tag for b in plan.build_images] == ["quay.io/pypa/manylinux1_x86_64"]
    assert plan.build_images[0].policy == "manylinux_2_5"
    assert "centos-6" in {d.name for d in plan.distros}
    assert all(c.distro.arch.name == "x86_64" for c in plan.cells)
    assert plan.cells


@pytest.mark.parametrize(
    ("arch", "policy"),
    [
        ("aarch64", "manylinux1"),
        ("ppc64le", "manylinux2010"),
        ("x86_64", "manylinux_2_39"),
        ("armv7l", "manylinux2014"),
        ("riscv64", "manylinux_2_34"),
    ],
)
def test_policies_without_an_image_for_the_arch_give_no_build(arch: str, policy: str) -> None:
    plan = make_plan(Selection("official", (arch,), (policy,)), default_catalog(), SAMPLES)
    assert plan.build_images == ()
    assert plan.builds == () and plan.cells == ()
    assert plan.distros  # the arch has distros; only the image is missing


def test_riscv64_has_exactly_the_2_39_and_musllinux_images() -> None:
    plan = make_plan(Selection("official", ("riscv64",)), default_catalog(), SAMPLES)
    assert [b.image.tag for b in plan.build_images] == [
        "quay.io/pypa/manylinux_2_39_riscv64",
        "quay.io/pypa/musllinux_1_2_riscv64",
    ]
    assert [d.name for d in plan.distros] == [
        "rockylinux-10",
        "ubuntu-20.04",
        "ubuntu-22.04",
        "ubuntu-24.04",
        "ubuntu-26.04",
        "debian-13",
        "opensuse-tumbleweed",
        "alpine-3.23",
        "alpine-3.24",
    ]
