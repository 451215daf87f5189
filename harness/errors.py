"""Exception types, and the exit codes of the command line.

Each error carries a one-line message that names the thing and the fix, and the exit code a
command ends with when it stops on that error (`exit_code`, from the one table below). The
command line never relies on a library's own codes (pytest's, for one) meaning the same.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a CI job branches on; the README's table lists the same codes."""

    HELD = 0  # every cell as expected (or the command did what it was asked)
    BROKEN = 1  # a claim broke where it should hold, a control was not caught, a gate failed
    USAGE = 2  # bad input: an option, a file, a name
    NOT_TOLD = 3  # no broken claim, but some cells (or the whole run) could not be told
    INTERRUPTED = 130  # Ctrl-C or SIGTERM; the cells measured so far are kept


class HarnessError(Exception):
    """Base class: the harness could not do something. Never a verdict about a wheel."""

    exit_code = ExitCode.NOT_TOLD


class UsageError(HarnessError):
    """Bad input from the user (option, file, name)."""

    exit_code = ExitCode.USAGE


class EngineUnavailable(HarnessError):
    """No usable container engine."""

    exit_code = ExitCode.NOT_TOLD


class ImageUnavailable(HarnessError):
    """An image could not be pulled or built."""

    exit_code = ExitCode.NOT_TOLD


class ContainerError(HarnessError):
    """A container operation failed (create, exec, copy)."""

    exit_code = ExitCode.NOT_TOLD


class EmulationRefused(ContainerError):
    """qemu-user refused the CPU model the harness asked it for (QEMU_CPU)."""

    def __init__(self, message: str, *, model: str) -> None:
        super().__init__(message)
        self.model = model


class ExecTimeout(ContainerError):
    """A command in a container did not finish in time."""

    def __init__(self, message: str, step: str, seconds: float) -> None:
        super().__init__(message)
        self.step = step
        self.seconds = seconds


class NothingToRun(HarnessError):
    """Every build image, or every distro image, of the selection is unavailable: the run
    stops after preparing images instead of reporting a matrix of errors."""

    exit_code = ExitCode.NOT_TOLD
