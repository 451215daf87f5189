"""`verify`'s pure logic: which wheels, how they group, what to import, how rows are named,
what an outcome means, and the check script run by the agent's runner (host Python, no
Docker)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from packaging import tags as ptags

from harness import cli
from harness.analysis.metadata import requires_python
from harness.catalog.model import default_catalog
from harness.cli import verify as verify_command
from harness.errors import UsageError
from harness.probe import agent as probe_agent
from harness.probe.facts import DistroFacts
from harness.util.names import safe_name
from harness.verify import given_check, given_wheels
from harness.verify import plan as verify_plan
from harness.vocab.installer import Installer
from tests.helpers.factories import make_wheel

MANYLINUX = "manylinux_2_17_x86_64.manylinux2014_x86_64"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="manylinux-harness")
    verify_command.register(root.add_subparsers(dest="command"))
    return root


def facts(python: tuple[int, int], arch: str = "x86_64", pip: str = "23.0.1") -> DistroFacts:
    """What the agent measures, for an interpreter of this version on glibc 2.31."""
    platforms = [f"manylinux_2_{minor}_{arch}" for minor in range(31, 16, -1)]
    platforms += [f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}"]
    platforms.append(f"linux_{arch}")
    supported = [
        *ptags.cpython_tags(python_version=python, platforms=platforms),
        *ptags.compatible_tags(
            python_version=python, interpreter=f"cp{python[0]}{python[1]}", platforms=platforms
        ),
    ]
    return DistroFacts(
        os_name="Debian",
        machine=arch,
        python_version=f"{python[0]}.{python[1]}.2",
        python_platform=f"linux-{arch}",
        glibc="2.31",
        glibcxx_max="3.4.28",
        pip_version=pip,
        packaging_version="24",
        supported_tags=tuple(str(t) for t in supported),
    )


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


def test_requires_python_is_read_from_metadata(tmp_path: Path) -> None:
    with_spec = make_wheel(
        tmp_path, "a-1.0-py3-none-any.whl", {"a.py": ""}, requires_python=">=3.10"
    )
    without = make_wheel(tmp_path, "b-1.0-py3-none-any.whl", {"b.py": ""})
    assert requires_python(with_spec) == ">=3.10"
    assert requires_python(without) is None


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


def test_rows_keys_and_ids() -> None:
    *_, wheel_set = given_wheels.group(
        given(f"numpy-2.1.3-cp311-cp311-{MANYLINUX}.whl", "six-1.17.0-py2.py3-none-any.whl"),
        together=True,
    )
    assert wheel_set.row("x86_64") == "numpy-2.1.3 + six-1.17.0"
    assert wheel_set.foreign("x86_64") == ()
    # On another arch the platform wheel is marked, as the matrix marks cross-arch wheels.
    assert wheel_set.row("aarch64") == "numpy-2.1.3 (x86_64 wheel) + six-1.17.0"
    assert wheel_set.foreign("aarch64") == ("x86_64",)
    catalog = default_catalog()
    bookworm = catalog.distros("local", ["x86_64"], ["debian-bookworm"])[0]
    arm = catalog.distros("local", ["aarch64"], ["debian-bookworm"])[0]
    here = verify_plan.VerifyCell(wheel_set, bookworm)
    assert here.place.key == "numpy-2.1.3 + six-1.17.0 | x86_64 | debian-bookworm | pip=distro"
    assert verify_plan.VerifyCell(wheel_set, arm).test_id == (
        "numpy-2.1.3+six-1.17.0-aarch64-debian-bookworm-from-x86_64"
    )
    # The axes as the matrix names them.
    on_uv = verify_plan.VerifyCell(wheel_set, bookworm, Installer.uv("latest"))
    assert on_uv.place.key.endswith("| installer=uv-latest")
    assert on_uv.test_id.endswith("-uv-latest")
    on_v2 = verify_plan.VerifyCell(wheel_set, bookworm, cpu="x86-64-v2")
    assert on_v2.row == "numpy-2.1.3 + six-1.17.0 [cpu x86-64-v2]"
    assert on_v2.test_id.endswith("-cpu-x86-64-v2")
    cell_id = safe_name(here.place.key)
    assert all(ch.isalnum() or ch in "-_." for ch in cell_id)


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


# -- argument errors ----------------------------------------------------------------------------


def run_verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(["verify", *argv])  # as a user runs it: the CLI reports the error
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: d / "missing.whl", "does not exist: pass wheel files"),
        (lambda d: _file(d / "notes.txt", b"x"), "is not a wheel (*.whl)"),
        (lambda d: _dir(d / "empty"), "holds no *.whl file"),
        (lambda d: _file(d / "foo.whl", b"x"), "not a valid wheel file name"),
        (lambda d: _file(d / "foo-1.0-py3-none-any.whl", b"not a zip"), "not a zip archive"),
        (
            lambda d: make_wheel(d, "fast-1.0-cp311-cp311-win_amd64.whl", {"fast.py": ""}),
            "wheel for win_amd64, not Linux",
        ),
        (
            lambda d: make_wheel(d / "mac", "f-1.0-cp311-cp311-macosx_11_0_arm64.whl", {}).parent,
            "holds no Linux wheel",
        ),
    ],
)
def test_bad_input_is_one_usage_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup, message: str
) -> None:
    code, err = run_verify(capsys, str(setup(tmp_path)))
    assert code == 2
    assert message in err
    assert err.startswith("manylinux-harness: ") and err.count("\n") == 1


def test_bad_options_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wheel = make_wheel(tmp_path, "six-1.17.0-py2.py3-none-any.whl", {"six.py": ""})
    code, err = run_verify(capsys, str(wheel), "--distro", "debian-potato")
    assert code == 2 and "unknown distro 'debian-potato'" in err
    code, err = run_verify(capsys, str(wheel), "--check", " ")
    assert code == 2 and "--check needs a command" in err
    code, err = run_verify(capsys, str(wheel), "--arch", "sparc")
    assert code == 2 and "unknown architecture 'sparc'" in err


def test_same_name_different_content_is_refused(tmp_path: Path) -> None:
    one = make_wheel(tmp_path / "a", "six-1.17.0-py2.py3-none-any.whl", {"six.py": "A = 1\n"})
    two = make_wheel(tmp_path / "b", "six-1.17.0-py2.py3-none-any.whl", {"six.py": "A = 2\n"})
    with pytest.raises(UsageError, match="different files with the same name"):
        given_wheels.collect([one, two])
    assert len(given_wheels.collect([one, one.parent]).wheels) == 1  # the same file twice is fine


def _file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _dir(path: Path) -> Path:
    path.mkdir()
    return path


# -- the check script, run by the agent's runner ------------------------------------------------


def run_steps(
    tmp_path: Path, steps: tuple[tuple[str, tuple[str, ...]], ...], site: Mapping[str, str]
) -> dict:
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    for name, body in site.items():
        (site_dir / f"{name}.py").write_text(body)
    directory, name = given_check.check_script_name()
    script = tmp_path / directory / name
    script.parent.mkdir()
    script.write_text(given_check.CHECK_SCRIPT)
    workdir = tmp_path / "work"
    workdir.mkdir()
    spec = {
        "imports": [],
        "checks": [[label, str(script), list(argv)] for label, argv in steps],
        "timeouts": {"run": 30},
    }
    return probe_agent.run_checks(
        sys.executable, str(workdir), spec, "load", {"PYTHONPATH": str(site_dir)}
    )


def test_each_module_imports_in_a_fresh_process(tmp_path: Path) -> None:
    # `second` fails if `first` was imported in the same process.
    site = {
        "first": "import os\nos.environ['MH_FIRST'] = '1'\n",
        "second": "import os\nassert 'MH_FIRST' not in os.environ\n",
    }
    result = run_steps(tmp_path, given_check.check_steps(["first", "second"], None), site)
    assert (result["status"], result["stage"]) == ("passed", "done"), result["output"]


def test_a_failing_import_names_its_module(tmp_path: Path) -> None:
    site = {
        "good": "",
        "bad": "raise ImportError('libcrypt.so.1: cannot open shared object file')\n",
    }
    result = run_steps(tmp_path, given_check.check_steps(["good", "bad"], None), site)
    assert (result["status"], result["stage"]) == ("check-failed", "check import bad")
    assert "libcrypt.so.1" in result["output"]


def test_a_crashing_import_keeps_its_signal(tmp_path: Path) -> None:
    site = {"boom": "import ctypes\nctypes.string_at(0)\n"}
    result = run_steps(tmp_path, given_check.check_steps(["boom"], None), site)
    assert (result["status"], result["signal"]) == ("crashed", "SIGSEGV")
    assert result["stage"] == "check import boom"


def test_the_command_runs_with_the_venv_python_first(tmp_path: Path) -> None:
    command = 'test "$(command -v python)" = "$VIRTUAL_ENV/bin/python" && python -c "import six"'
    assert os.path.basename(sys.executable).startswith("python")
    result = run_steps(tmp_path, given_check.check_steps(["six"], command), {"six": ""})
    assert (result["status"], result["stage"]) == ("passed", "done"), result["output"]


def test_a_failing_command_is_a_failed_check(tmp_path: Path) -> None:
    result = run_steps(tmp_path, given_check.check_steps([], "echo nope; exit 3"), {})
    assert (result["status"], result["stage"]) == ("check-failed", "check command")
    assert "exited with status 3" in result["output"]


def test_an_import_that_ends_its_process_is_not_a_pass(tmp_path: Path) -> None:
    """os._exit(0) while being imported: exit status 0, yet the import never returned."""
    site = {"quitter": "import os\nos._exit(0)\n", "fine": "VALUE = 1\n"}
    result = run_steps(tmp_path, given_check.check_steps(["fine", "quitter"], None), site)
    assert result["status"] == "check-failed", result
    assert result["stage"] == "check import quitter"
    assert (
        "importing quitter ended its process (exit status 0) before the import returned"
        in (result["output"])
    )
