"""Wheels built elsewhere as verify takes them: which modules importing proves something,
how they group into sets, how their rows are named."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.verify import given_wheels
from harness.verify import plan as verify_plan
from tests.helpers.factories import make_wheel

MANYLINUX = "manylinux_2_17_x86_64.manylinux2014_x86_64"


# -- module discovery ---------------------------------------------------------------------------


def modules(tmp_path: Path, files: Mapping[str, str], **kwargs) -> tuple[str, ...]:
    return given_wheels.wheel_modules(
        make_wheel(tmp_path, "pkg-1.0-py3-none-any.whl", files, **kwargs)
    )


def test_top_level_txt_names_the_modules(tmp_path: Path) -> None:
    files = {
        "markupsafe/__init__.py": "",
        "markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so": "",
        "stray.py": "",
    }
    assert modules(tmp_path, files, top_level=["markupsafe"]) == ("markupsafe",)


def test_without_top_level_txt_the_listing_decides(tmp_path: Path) -> None:
    files = {"foo/__init__.py": "", "foo/sub/__init__.py": "", "bar.py": "", "_private.py": ""}
    assert modules(tmp_path, files) == ("bar", "foo")


def test_a_top_level_txt_naming_nothing_present_is_ignored(tmp_path: Path) -> None:
    assert modules(tmp_path, {"real/__init__.py": ""}, top_level=["ghost"]) == ("real",)


def test_libs_and_dist_info_are_not_modules(tmp_path: Path) -> None:
    files = {
        "numpy.libs/libgfortran-040039e1.so.5.0.0": "",
        "numpy.libs/libscipy_openblas64_-ff651d7f.so": "",
        "numpy/__init__.py": "",
        "numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so": "",
    }
    assert modules(tmp_path, files) == ("numpy",)


def test_data_dir_only_purelib_and_platlib_are_importable(tmp_path: Path) -> None:
    files = {
        "pkg-1.0.data/scripts/tool": "#!/bin/sh\n",
        "pkg-1.0.data/headers/pkg.h": "",
        "pkg-1.0.data/data/share/doc.txt": "",
        "pkg-1.0.data/platlib/plat.cpython-311-x86_64-linux-gnu.so": "",
        "pkg/__init__.py": "",
    }
    assert modules(tmp_path, files) == ("pkg", "plat")


def test_single_module_wheels(tmp_path: Path) -> None:
    assert modules(tmp_path / "py", {"six.py": ""}) == ("six",)
    assert modules(tmp_path / "so", {"fast.cpython-311-x86_64-linux-gnu.so": ""}) == ("fast",)
    assert modules(tmp_path / "abi3", {"fast.abi3.so": ""}) == ("fast",)


def test_private_names_only_when_nothing_else(tmp_path: Path) -> None:
    files = {"_cffi_backend.cpython-311-x86_64-linux-gnu.so": ""}
    assert modules(tmp_path, files) == ("_cffi_backend",)
    both = {**files, "cffi/__init__.py": ""}
    assert modules(tmp_path / "both", both, top_level=["_cffi_backend", "cffi"]) == ("cffi",)


def test_namespace_packages_are_followed_to_regular_ones(tmp_path: Path) -> None:
    files = {
        "google/protobuf/__init__.py": "",
        "google/protobuf/message.py": "",
        "google/_upb/_message.abi3.so": "",
    }
    assert modules(tmp_path, files, top_level=["google"]) == ("google.protobuf",)


def test_setup_tests_and_docs_are_never_imported(tmp_path: Path) -> None:
    files = {"setup.py": "", "conftest.py": "", "tests/__init__.py": "", "foo/__init__.py": ""}
    assert modules(tmp_path, files) == ("foo",)


# -- wheels and sets ----------------------------------------------------------------------------


def given(*names: str) -> list[given_wheels.GivenWheel]:
    return [given_wheels.parse_wheel(Path("/w") / name) for name in names]


def test_each_wheel_is_a_set_of_its_own() -> None:
    """One broken wheel cannot hide the others' answers: a set (row) per wheel."""
    wheels = given(
        f"pandas-2.2.3-cp311-cp311-{MANYLINUX}.whl",
        f"numpy-2.1.3-cp311-cp311-{MANYLINUX}.whl",
        "six-1.17.0-py2.py3-none-any.whl",
    )
    sets = given_wheels.group(wheels)
    assert [s.label for s in sets] == ["numpy-2.1.3", "pandas-2.2.3", "six-1.17.0"]


def test_together_adds_the_co_installed_set() -> None:
    wheels = given(
        f"pandas-2.2.3-cp311-cp311-{MANYLINUX}.whl",
        f"numpy-2.1.3-cp311-cp311-{MANYLINUX}.whl",
        f"MarkupSafe-2.1.5-cp39-cp39-{MANYLINUX}.whl",
        f"MarkupSafe-2.1.5-cp311-cp311-{MANYLINUX}.whl",
        "six-1.17.0-py2.py3-none-any.whl",
    )
    sets = given_wheels.group(wheels, together=True)
    assert len(sets) == 6
    # pip cannot install two MarkupSafe wheels at once: that project stays out of the set.
    assert sets[-1].label == "numpy-2.1.3 + pandas-2.2.3 + six-1.17.0"
    # One wheel alone has nothing to be installed together with.
    (only,) = given_wheels.group(given("six-1.17.0-py2.py3-none-any.whl"), together=True)
    assert only.label == "six-1.17.0"


def test_several_wheels_of_one_project_are_alternatives() -> None:
    wheels = given(
        f"MarkupSafe-2.1.5-cp39-cp39-{MANYLINUX}.whl",
        f"MarkupSafe-2.1.5-cp311-cp311-{MANYLINUX}.whl",
        f"MarkupSafe-3.0.2-cp313-cp313-{MANYLINUX}.whl",
        "six-1.17.0-py2.py3-none-any.whl",
    )
    sets = given_wheels.group(wheels)
    assert [s.label for s in sets] == [
        "MarkupSafe-2.1.5 (cp311, manylinux_2_17_x86_64)",  # one release, two wheels
        "MarkupSafe-2.1.5 (cp39, manylinux_2_17_x86_64)",
        "MarkupSafe-3.0.2",
        "six-1.17.0",
    ]
    assert all(len(s.wheels) == 1 for s in sets)


def test_labels_fall_back_to_file_names_when_variants_collide() -> None:
    wheels = given(
        "m-1.0-cp311-abi3-manylinux_2_17_x86_64.whl",
        "m-1.0-cp311-abi3-manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl",
        "m-1.0-cp311-abi3-musllinux_1_2_aarch64.whl",
    )
    assert given_wheels.wheel_labels(wheels, wheels) == (
        "m-1.0-cp311-abi3-manylinux_2_17_x86_64",
        "m-1.0-cp311-abi3-manylinux_2_17_x86_64.manylinux_2_28_x86_64",
        "m-1.0-cp311-abi3-musllinux_1_2_aarch64",
    )
    assert given_wheels.variant(wheels[2]) == "cp311-abi3, musllinux_1_2_aarch64"


def test_arches_and_policies_from_tags() -> None:
    numpy, six, musl, plain = given(
        f"numpy-2.1.3-cp311-cp311-{MANYLINUX}.whl",
        "six-1.17.0-py2.py3-none-any.whl",
        "m-1.0-cp311-cp311-musllinux_1_2_aarch64.musllinux_1_1_aarch64.whl",
        "p-1.0-cp311-cp311-linux_x86_64.whl",
    )
    assert (numpy.arches, six.arches, musl.arches, plain.arches) == (
        ("x86_64",),
        (),
        ("aarch64",),
        ("x86_64",),
    )
    assert numpy.claimed_policy == "manylinux_2_17"
    assert musl.claimed_policy == "musllinux_1_1"
    assert plain.claimed_policy == "linux"
    assert six.claimed_policy == "any"
    assert verify_plan.default_arches([numpy, six, musl], "x86_64") == ("aarch64", "x86_64")
    assert verify_plan.default_arches([six], "x86_64") == ("x86_64",)
    with pytest.raises(UsageError, match="ppc64, which has no distros"):
        verify_plan.default_arches(given("q-1.0-cp311-cp311-manylinux2014_ppc64.whl"), "x86_64")


def test_pool_key_is_content_addressed() -> None:
    assert given_wheels.pool_key({"a.whl": "1", "b.whl": "2"}) == given_wheels.pool_key(
        {"b.whl": "2", "a.whl": "1"}
    )
    assert given_wheels.pool_key({"a.whl": "1"}) != given_wheels.pool_key({"a.whl": "2"})
    assert given_wheels.pool_key({"a.whl": "1"}).startswith("verify-")


def test_directories_skip_wheels_of_other_platforms(tmp_path: Path) -> None:
    make_wheel(tmp_path, "six-1.17.0-py2.py3-none-any.whl", {"six.py": ""})
    make_wheel(tmp_path, "fast-1.0-cp311-cp311-macosx_11_0_arm64.whl", {"fast.py": ""})
    collected = given_wheels.collect([tmp_path, tmp_path / "six-1.17.0-py2.py3-none-any.whl"])
    assert [w.filename for w in collected.wheels] == ["six-1.17.0-py2.py3-none-any.whl"]
    assert "macosx_11_0_arm64, not Linux" in collected.skipped[0]
