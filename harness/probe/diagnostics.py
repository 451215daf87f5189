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
_EXECSTACK = re.compile(
    r"(?P<file>[^\s:]+): cannot enable executable stack as shared object requires"
)
_STATIC_TLS = re.compile(r"(?P<file>[^\s:]+): cannot allocate memory in static TLS block")
# Where auditwheel puts the libraries it grafts: <package>.libs/ (older releases:
# <package>/.libs/) beside the package, each renamed <name>-<8 hex digits of its hash>.so...
_GRAFTED = re.compile(r"(?:^|/)(?P<dir>[^/]*\.libs)/(?P<name>[^/]+-[0-9a-f]{8}\.so[^/]*)$")
_UNDEFINED_SYMBOL = re.compile(r"undefined symbol: (?P<symbol>\S+)")
_WRONG_ELF = re.compile(
    r"wrong ELF class|cannot open shared object file: Exec format error|ELF load command"
)
_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit)):?\s*(?P<message>.*)$")
# How Python prints a chain: the cause (or context) first, then this line, then the wrapper.
_CHAIN = re.compile(
    r"^(?:The above exception was the direct cause of the following exception:"
    r"|During handling of the above exception, another exception occurred:)$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # missing-symbol-version, executable-stack, static-tls, missing-library,
    # undefined-symbol, wrong-arch, crash, exception, timeout, unknown
    detail: str  # the essential token: "GLIBC_2.34", "libcrypt.so.1", "SIGSEGV", ...
    summary: str  # one line for people
    # the outermost exception, when the summary quotes an inner one of its chain (numpy's
    # "Error importing numpy: you should not try to import numpy from its source directory"
    # around the loader's ImportError)
    wrapper: str = ""


def file_named(path: str) -> str:
    """A file the loader names, as a diagnosis shows it: its base name, marked as a library
    auditwheel grafted into the wheel when it sits where auditwheel puts those."""
    grafted = _GRAFTED.search(path)
    if grafted:
        return f"{grafted.group('name')}, grafted into {grafted.group('dir')}"
    return path.rsplit("/", 1)[-1]


def diagnose_text(text: str) -> Diagnosis | None:
    """The loader's diagnosis in captured output, if it gave one."""
    match = _MISSING_VERSION.search(text)
    if match:
        by = match.group("by")
        where = f" (required by {file_named(by)})" if by else ""
        return Diagnosis(
            "missing-symbol-version",
            match.group("version"),
            f"needs {match.group('version')}, which this system lacks{where}",
        )
    match = _EXECSTACK.search(text)
    if match:
        return Diagnosis(
            "executable-stack",
            match.group("file").rsplit("/", 1)[-1],
            f"{file_named(match.group('file'))}: cannot enable executable stack as shared "
            "object requires (dlopen refuses it from glibc 2.41)",
        )
    match = _STATIC_TLS.search(text)
    if match:
        return Diagnosis(
            "static-tls",
            match.group("file").rsplit("/", 1)[-1],
            f"{file_named(match.group('file'))}: cannot allocate memory in static TLS block",
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


def exception_chain(text: str) -> list[tuple[str, str]]:
    """The exceptions of a printed traceback's chain (__cause__ / __context__), innermost
    first, as Python prints them; one for an unchained exception, none without one."""
    found = []
    for segment in _CHAIN.split(text):
        exception = last_exception(segment)
        if exception is not None:
            found.append(exception)
    return found


def _shown(exception: tuple[str, str]) -> str:
    kind, message = exception
    return f"{kind}: {message}" if message else kind


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
    chain = exception_chain(run.output)
    wrapper = _shown(chain[-1])[:300] if len(chain) > 1 else ""
    loader = diagnose_text(run.output)
    if loader is not None:
        return Diagnosis(loader.kind, loader.detail, loader.summary, wrapper)
    if chain:
        # The innermost exception holds the loader's or Python's own words; a package's
        # wrapper around it (numpy's "Error importing numpy") is kept beside, not shown.
        label = "check failed" if run.status == obs.CHECK_FAILED else f"{run.stage} failed"
        return Diagnosis("exception", chain[0][0], f"{label}: {_shown(chain[0])}"[:300], wrapper)
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
