"""bin/derive_pypa_images.py: what it reads from pypa/manylinux's README.rst and build.sh and
from manylinux-inspector's reports, on excerpts written here, and (where the snapshot is beside
the checkout) that the shipped file's README rows are what the snapshot says."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from harness.resources import read_text

REPO = Path(__file__).resolve().parents[3]
SNAPSHOT = REPO.parent / "shared" / "data" / "pypa-manylinux"

README = """
manylinux_2_28 (AlmaLinux 8 based)
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~

Toolchain: GCC 14

- x86_64 image: ``quay.io/pypa/manylinux_2_28_x86_64``
- aarch64 image: ``quay.io/pypa/manylinux_2_28_aarch64``


manylinux2010 (CentOS 6 based, glibc 2.12 - EOL)
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~

Support for ``manylinux2010`` has `ended on August 1st, 2022 <https://example>`_.

Toolchain: GCC 8

- x86-64 image: ``quay.io/pypa/manylinux2010_x86_64``
"""

BUILD = """
if [ "${POLICY}" == "manylinux2014" ]; then
	BASEIMAGE="quay.io/pypa/manylinux2014_base:2025.11.10-3"
	DEVTOOLSET_ROOTPATH="/opt/rh/devtoolset-10/root"
elif [ "${POLICY}" == "manylinux_2_39" ]; then
	BASEIMAGE="quay.io/almalinuxorg/almalinux:10"
	case "${PLATFORM}" in
		riscv64) BASEIMAGE="rockylinux/rockylinux:10";;
	esac
	DEVTOOLSET_ROOTPATH=
else
	exit 1
fi
"""


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "derive_pypa_images", REPO / "bin" / "derive_pypa_images.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while defined
    spec.loader.exec_module(module)
    return module


def test_readme_sections_give_base_toolchain_arches_and_end_of_support() -> None:
    rows = {row.name: row for row in _script().readme_rows(README)}
    assert set(rows) == {"manylinux_2_28", "manylinux2010"}
    assert (rows["manylinux_2_28"].base, rows["manylinux_2_28"].gcc) == ("AlmaLinux 8", "14")
    assert rows["manylinux_2_28"].arches == ["x86_64", "aarch64"]
    assert rows["manylinux_2_28"].support_ended == ""
    assert rows["manylinux2010"].support_ended == "2022-08-01"
    assert rows["manylinux2010"].arches == ["x86_64"]


def test_build_sh_gives_the_base_image_and_toolset_every_platform_shares() -> None:
    script = _script()
    rows = script.build_rows(BUILD)
    assert rows["manylinux2014"]["BASEIMAGE"] == "quay.io/pypa/manylinux2014_base:2025.11.10-3"
    assert script.toolset_of(rows["manylinux2014"]["DEVTOOLSET_ROOTPATH"]) == "devtoolset-10"
    # a per-platform override inside `case` is not the policy's base image
    assert rows["manylinux_2_39"]["BASEIMAGE"] == "quay.io/almalinuxorg/almalinux:10"
    assert script.toolset_of(rows["manylinux_2_39"]["DEVTOOLSET_ROOTPATH"]) == ""


@pytest.mark.parametrize(
    ("base", "identity"),
    [
        ("AlmaLinux/RockyLinux 10", "almalinux-10"),
        ("Alpine Linux 3.22", "alpine-3.22"),
        ("CentOS 7", "centos-7"),
        ("Ubuntu 22.04", "ubuntu-22.04"),
    ],
)
def test_base_systems_are_named_as_the_distro_knowledge_base_names_them(
    base: str, identity: str
) -> None:
    assert _script().base_distro(base) == identity


def test_an_inspector_report_gives_os_libc_gcc_pythons_and_tools() -> None:
    def ran(command: list[str], stdout: str = "", stderr: str = "", code: int = 0) -> dict:
        return {"command": command, "return_code": code, "stdout": stdout, "stderr": stderr}

    report = {
        "metadata": {"image": "quay.io/pypa/manylinux_2_28_x86_64:2026.07.19-1"},
        "data": {
            "log": [
                ran(["cat", "/etc/os-release"], 'NAME="AlmaLinux"\nPRETTY_NAME="AlmaLinux 8.10"\n'),
                ran(["env"], "PATH=/opt/rh/gcc-toolset-14/root/usr/bin:/usr/bin\n"),
                ran(["ldd", "--version"], "ldd (GNU libc) 2.28\nCopyright\n"),
                ran(["gcc", "--version"], "gcc (GCC) 14.2.1 20250110 (Red Hat 14.2.1-11)\n"),
                ran(["auditwheel", "--version"], "auditwheel 6.7.0 installed at /x\n"),
                ran(["/opt/python/cp27-cp27mu/bin/python", "--version"], stderr="Python 2.7.18\n"),
                ran(["/opt/python/cp310-cp310/bin/python", "--version"], "Python 3.10.20\n"),
                ran(["/opt/python/cp39-cp39/bin/python", "--version"], "Python 3.9.25\n"),
            ]
        },
    }
    row = _script().image_row("manylinux_2_28", "x86_64", "2026-07-19", "r.json", report)
    assert row.values["os"] == "AlmaLinux 8.10" and row.values["glibc"] == "2.28"
    assert row.values["gcc"] == "14.2.1" and row.values["toolset"] == "gcc-toolset-14"
    assert row.values["pythons"] == [
        "cp27-cp27mu 2.7.18",
        "cp39-cp39 3.9.25",
        "cp310-cp310 3.10.20",
    ]
    assert row.values["auditwheel"] == "6.7.0"
    # patchelf was not asked: empty, and the reason kept
    assert row.values["patchelf"] == "" and "patchelf --version" in row.not_published["patchelf"]


@pytest.mark.skipif(not SNAPSHOT.is_dir(), reason="the pypa/manylinux snapshot is not here")
def test_the_shipped_readme_rows_are_what_the_snapshot_says() -> None:
    script = _script()
    derived = script.readme_rows((SNAPSHOT / "README.rst").read_text(encoding="utf-8"))
    shipped = tomllib.loads(read_text("pypa-images.toml"))["policy"]
    assert [(r.name, r.gcc, r.arches, r.support_ended, r.base) for r in derived] == [
        (p["name"], p["gcc"], p["arches"], p["support_ended"], p["base"]) for p in shipped
    ]
