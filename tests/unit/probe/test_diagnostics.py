from __future__ import annotations

import pytest

from harness.probe import diagnostics
from harness.probe import observation as obs


@pytest.mark.parametrize(
    ("text", "kind", "detail"),
    [
        (
            "ImportError: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found "
            "(required by /tmp/f/glibc_control.abi3.so)",
            "missing-symbol-version",
            "GLIBC_2.34",
        ),
        (
            "ImportError: /usr/lib/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by x.so)",
            "missing-symbol-version",
            "GLIBCXX_3.4.32",
        ),
        (
            "ImportError: libcrypt.so.1: cannot open shared object file: No such file or directory",
            "missing-library",
            "libcrypt.so.1",
        ),
        (
            "ImportError: /x/y.so: undefined symbol: _ZSt11__once_call",
            "undefined-symbol",
            "_ZSt11__once_call",
        ),
        ("ImportError: /x/y.so: wrong ELF class: ELFCLASS64", "wrong-arch", ""),
    ],
)
def test_loader_messages(text: str, kind: str, detail: str) -> None:
    diagnosis = diagnostics.diagnose_text(text)
    assert diagnosis is not None
    assert (diagnosis.kind, diagnosis.detail) == (kind, detail)


def test_nothing_to_diagnose() -> None:
    assert diagnostics.diagnose_text("all fine") is None


def test_crash_names_signal_and_stage() -> None:
    run = obs.RunObservation(obs.CRASHED, -11, "SIGSEGV", "import cpp_b", "Fatal Python error", 0.2)
    diagnosis = diagnostics.diagnose_run(run)
    assert diagnosis.kind == "crash"
    assert "SIGSEGV" in diagnosis.summary and "import cpp_b" in diagnosis.summary


def test_check_failure_reports_the_assertion() -> None:
    output = (
        'Traceback (most recent call last):\n  File "check.py", line 3\n'
        "AssertionError: fib(10) = 54, expected 55\n"
    )
    run = obs.RunObservation(obs.CHECK_FAILED, 1, None, "check c_plain", output, 0.1)
    assert (
        diagnostics.diagnose_run(run).summary
        == "check failed: AssertionError: fib(10) = 54, expected 55"
    )


NUMPY_CHAIN = """Traceback (most recent call last):
  File "/f/numpy/__config__.py", line 4, in <module>
    from numpy._core._multiarray_umath import (
ImportError: /f/numpy/_core/_multiarray_umath.so: undefined symbol: cblas_sgemm_v9

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "<string>", line 1, in <module>
ImportError: Error importing numpy: you should not try to import numpy from
        its source directory; please exit the numpy source tree, and relaunch
        your python interpreter from there.
"""


def test_a_chained_exception_is_diagnosed_by_its_cause() -> None:
    run = obs.RunObservation(obs.IMPORT_FAILED, 1, None, "import numpy", NUMPY_CHAIN, 0.1)
    diagnosis = diagnostics.diagnose_run(run)
    assert diagnosis.summary == "undefined symbol cblas_sgemm_v9"
    assert diagnosis.wrapper.startswith("ImportError: Error importing numpy: you should not")


def test_the_innermost_exception_of_a_chain_without_loader_words() -> None:
    output = (
        "Traceback (most recent call last):\n"
        "ImportError: numpy.core.multiarray failed to import\n\n"
        "During handling of the above exception, another exception occurred:\n\n"
        "Traceback (most recent call last):\n"
        "ImportError: Error importing numpy: you should not try to import numpy from\n"
        "        its source directory\n"
    )
    run = obs.RunObservation(obs.IMPORT_FAILED, 1, None, "import numpy", output, 0.1)
    diagnosis = diagnostics.diagnose_run(run)
    assert diagnosis.summary == (
        "import numpy failed: ImportError: numpy.core.multiarray failed to import"
    )
    assert diagnosis.wrapper.startswith("ImportError: Error importing numpy")
    assert diagnostics.exception_chain("ValueError: x\n") == [("ValueError", "x")]


def test_timeout_names_the_stage() -> None:
    run = obs.RunObservation(obs.TIMEOUT, None, None, "import cpp_a", "", 120.0)
    assert "hung at import cpp_a" in diagnostics.diagnose_run(run).summary


@pytest.mark.parametrize(
    ("output", "refused"),
    [
        (
            "ERROR: x-1.0-cp39-abi3-manylinux_2_34_x86_64.whl is not a supported wheel on this platform.",
            True,
        ),
        (
            "ERROR: Could not find a version that satisfies the requirement y\n"
            "ERROR: No matching distribution found for y",
            True,
        ),
        ("ERROR: Package 'x' requires a different Python: 3.9.2 not in '>=3.10'", True),
        ("/usr/bin/python3: No module named pip", False),
        (
            "ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device",
            False,
        ),
    ],
)
def test_pip_refusal_is_told_apart_from_pip_failure(output: str, refused: bool) -> None:
    assert diagnostics.pip_refused(output) is refused


def test_pip_reason_is_its_last_error_line() -> None:
    out = "Processing x\nERROR: x.whl is not a supported wheel on this platform.\n"
    assert diagnostics.pip_reason(out) == "x.whl is not a supported wheel on this platform."


def test_uv_refusals_are_refusals_with_uv_words() -> None:
    from harness.probe.diagnostics import pip_reason, pip_refused

    old = (
        "Resolved 1 package in 1ms\nerror: Failed to determine installation plan\n"
        "  Caused by: A path dependency is incompatible with the current platform: /w/x.whl\n"
    )
    new = (
        "error: Failed to determine installation plan\n"
        "  cause: A path (/w/x.whl) dependency is incompatible with the current platform\n\n"
        "hint: The wheel is compatible with Linux (`manylinux_2_34_x86_64`), but you're on "
        "Linux (`manylinux_2_31_x86_64`)\n"
    )
    assert pip_refused(old) and pip_refused(new)
    assert pip_reason(old).startswith("A path dependency is incompatible")
    assert pip_reason(new).startswith("The wheel is compatible with Linux")


def test_the_first_fatal_signal_names_a_crash() -> None:
    from harness.probe import observation as obs
    from harness.probe.diagnostics import diagnose_run

    run = obs.RunObservation(
        obs.CRASHED,
        -11,
        "SIGSEGV",
        "check x",
        "Fatal Python error: Illegal instruction\n\nFatal Python error: Segmentation fault\n",
        1.0,
    )
    assert diagnose_run(run).summary.startswith(
        "crashed with SIGILL (then SIGSEGV in Python's crash handler)"
    )


def test_an_executable_stack_refusal_names_the_file() -> None:
    text = (
        "ImportError: /tmp/v/lib/python3.13/site-packages/execstack_control.abi3.so: cannot "
        "enable executable stack as shared object requires: Invalid argument"
    )
    diagnosis = diagnostics.diagnose_text(text)
    assert diagnosis is not None
    assert (diagnosis.kind, diagnosis.detail) == ("executable-stack", "execstack_control.abi3.so")
    assert diagnosis.summary.startswith("execstack_control.abi3.so: cannot enable executable stack")


def test_a_static_tls_failure_names_the_file() -> None:
    text = "ImportError: /v/site-packages/m.abi3.so: cannot allocate memory in static TLS block"
    diagnosis = diagnostics.diagnose_text(text)
    assert diagnosis is not None and (diagnosis.kind, diagnosis.detail) == (
        "static-tls",
        "m.abi3.so",
    )


def test_a_grafted_library_is_marked_as_grafted() -> None:
    """auditwheel's layout (<package>.libs/<name>-<8 hex>.so) marks the file the loader names."""
    text = (
        "ImportError: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required "
        "by /v/site-packages/mh_grafted_glibc_control.libs/libmh_threadsum-1f822ffc.so)"
    )
    diagnosis = diagnostics.diagnose_text(text)
    assert diagnosis is not None and diagnosis.detail == "GLIBC_2.34"
    assert diagnosis.summary == (
        "needs GLIBC_2.34, which this system lacks (required by libmh_threadsum-1f822ffc.so, "
        "grafted into mh_grafted_glibc_control.libs)"
    )
    # a file elsewhere is named as before
    assert (
        diagnostics.file_named("/v/site-packages/glibc_control.abi3.so") == "glibc_control.abi3.so"
    )
