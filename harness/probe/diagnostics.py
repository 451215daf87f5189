"""Read the loader's and Python's own words out of captured output, as one-line diagnoses."""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.probe import observation as obs

_MISSING_VERSION = re.compile(
    r"version [`'‘]?(?P<version>[A-Z][A-Z0-9_]*_[\d.]+)['’]? not found"
    r"(?: \(required by (?P<by>[^)]+)\))?"
)
_MISSING_LIBRARY = re.compile(r"(?P<lib>[\w.+-]+\.so[\w.]*): cannot open shared object file")
_UNDEFINED_SYMBOL = re.compile(r"undefined symbol: (?P<symbol>\S+)")
_WRONG_ELF = re.compile(
    r"wrong ELF class|cannot open shared object file: Exec format error|ELF load command"
)
_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit)):?\s*(?P<message>.*)$")


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # missing-symbol-version, missing-library, undefined-symbol, wrong-arch,
    # crash, exception, timeout, unknown
    detail: str  # the essential token: "GLIBC_2.34", "libcrypt.so.1", "SIGSEGV", ...
    summary: str  # one line for people


def diagnose_text(text: str) -> Diagnosis | None:
    """The loader's diagnosis in captured output, if it gave one."""
    match = _MISSING_VERSION.search(text)
    if match:
        by = match.group("by")
        where = f" (required by {by.rsplit('/', 1)[-1]})" if by else ""
        return Diagnosis(
            "missing-symbol-version",
            match.group("version"),
            f"needs {match.group('version')}, which this system lacks{where}",
        )
    match = _MISSING_LIBRARY.search(text)
    if match:
        return Diagnosis(
            "missing-library", match.group("lib"), f"library {match.group('lib')} is not installed"
        )
    match = _UNDEFINED_SYMBOL.search(text)
    if match:
        return Diagnosis(
            "undefined-symbol", match.group("symbol"), f"undefined symbol {match.group('symbol')}"
        )
    if _WRONG_ELF.search(text):
        return Diagnosis("wrong-arch", "", "the extension is built for another architecture")
    return None


def last_exception(text: str) -> tuple[str, str] | None:
    for line in reversed(text.strip().splitlines()):
        match = _EXCEPTION.match(line.strip())
        if match:
            return match.group("type"), match.group("message").strip()
    return None


_FATAL = re.compile(r"Fatal Python error: (?P<what>[A-Za-z -]+)")
# faulthandler's words for the signals it catches
_FAULTHANDLER_SIGNALS = {
    "Segmentation fault": "SIGSEGV",
    "Illegal instruction": "SIGILL",
    "Bus error": "SIGBUS",
    "Floating-point exception": "SIGFPE",
    "Floating point exception": "SIGFPE",
    "Aborted": "SIGABRT",
}


def _first_fatal_signal(text: str) -> str | None:
    match = _FATAL.search(text)
    return _FAULTHANDLER_SIGNALS.get(match.group("what").strip()) if match else None


def diagnose_run(run: obs.RunObservation) -> Diagnosis:
    """Why an import/check did not pass."""
    if run.status == obs.TIMEOUT:
        return Diagnosis(
            "timeout",
            run.stage,
            f"hung at {run.stage or 'start'} (killed after {run.seconds:.0f} s)",
        )
    if run.status == obs.CRASHED:
        signal = run.signal or f"exit {run.exit_code}"
        first = _first_fatal_signal(run.output)
        if first and first != run.signal:
            # Python 3.14's faulthandler walks the C stack after the first fatal signal, and
            # under qemu-user that walk itself segfaults: the first signal is the crash's.
            signal = f"{first} (then {signal} in Python's crash handler)"
        loader = diagnose_text(run.output)
        extra = f"; {loader.summary}" if loader else ""
        return Diagnosis(
            "crash", signal, f"crashed with {signal} during {run.stage or 'start'}{extra}"
        )
    loader = diagnose_text(run.output)
    if loader is not None:
        return loader
    exception = last_exception(run.output)
    if exception is not None:
        kind, message = exception
        label = "check failed" if run.status == obs.CHECK_FAILED else f"{run.stage} failed"
        text = f"{label}: {kind}: {message}" if message else f"{label}: {kind}"
        return Diagnosis("exception", kind, text[:300])
    tail = run.output.strip().splitlines()[-1:] or [f"exit {run.exit_code}"]
    return Diagnosis("unknown", "", f"{run.status} at {run.stage}: {tail[0][:200]}")


_PIP_REFUSAL = re.compile(
    r"is not a supported wheel on this platform|No matching distribution|requires a different Python"
    # uv's words (0.1 .. today) for a wheel whose tags do not fit the interpreter
    r"|incompatible with the current platform|is not compatible with the current Python"
    r"|has no wheels with a matching platform tag|only has wheels with the following"
    r"|none of the wheels? (?:is|are) compatible|no wheels? with a matching"
)


def pip_refused(output: str) -> bool:
    return bool(_PIP_REFUSAL.search(output))


def pip_reason(output: str) -> str:
    """pip's own one-line reason (its last ERROR line)."""
    for line in reversed(output.strip().splitlines()):
        if line.startswith("ERROR:"):
            return line.removeprefix("ERROR:").strip()[:300]
    # uv: "error: ..." then indented "Caused by:" (newer: "cause:") lines and a "hint:"; the
    # last of them is the most specific reason
    for line in reversed(output.strip().splitlines()):
        if line.strip().startswith(("Caused by:", "cause:", "error:", "hint:")):
            return line.strip().split(":", 1)[1].strip()[:300]
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""
