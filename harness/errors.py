"""Exception types. Each carries a one-line message that names the thing and the fix."""

from __future__ import annotations


class HarnessError(Exception):
    """Base class: the harness could not do something. Never a verdict about a wheel."""


class UsageError(HarnessError):
    """Bad input from the user (option, file, name)."""


class EngineUnavailable(HarnessError):
    """No usable container engine."""


class ImageUnavailable(HarnessError):
    """An image could not be pulled or built."""


class ContainerError(HarnessError):
    """A container operation failed (create, exec, copy)."""


class ExecTimeout(ContainerError):
    """A command in a container did not finish in time."""

    def __init__(self, message: str, step: str, seconds: float) -> None:
        super().__init__(message)
        self.step = step
        self.seconds = seconds


class BuildError(HarnessError):
    """cibuildwheel failed for one (sample, build image)."""
