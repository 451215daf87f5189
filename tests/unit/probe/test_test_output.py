"""A project's test run read out of its captured output (harness.probe.test_output)."""

from __future__ import annotations

from harness.probe.test_output import failed_tests, section
from tests.helpers.pytest_output import PYTEST_OUTPUT


def test_pytest_s_summary_names_the_failing_tests_in_order() -> None:
    found = failed_tests(PYTEST_OUTPUT)
    assert [(f.test, f.kind) for f in found] == [
        ("tests/test_lazy.py::test_sha512_crypt", "failed"),
        ("tests/test_lazy.py::test_fixture", "error"),
    ]
    assert found[0].message.startswith("OSError: libcrypt.so.1: cannot open")
    unittest = "FAIL: test_x (pkg.tests.TestX.test_x)\nERROR: test_y (pkg.tests.TestX.test_y)\n"
    assert [f.test for f in failed_tests(unittest)] == [
        "pkg.tests.TestX.test_x",
        "pkg.tests.TestX.test_y",
    ]
    assert failed_tests("Traceback ...\nexit 1\n") == ()


def test_the_failing_test_s_own_output_is_cut_from_the_rest() -> None:
    block = section(PYTEST_OUTPUT, "tests/test_lazy.py::test_sha512_crypt")
    assert block.startswith("___ test_sha512_crypt ___")
    assert "E       OSError: libcrypt.so.1" in block and "short test summary" not in block
    assert section(PYTEST_OUTPUT, "tests/test_lazy.py::test_other") == ""
