"""A project's test run read out of its captured output: which tests failed, each with its
message, in the order the runner reports them, and the output of one of them. pytest's short
summary (`FAILED nodeid - message`, `ERROR nodeid - message`: reported by default since pytest
6) and unittest's `FAIL: name (id)` headers are read; any other runner is a failure without
a test named. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The label of verify's test step (harness.verify.given_check), and the stage the agent's
# runner records while it runs.
TESTS_LABEL = "tests"
TESTS_STAGE = f"check {TESTS_LABEL}"

_PYTEST_SUMMARY = re.compile(r"^(?P<kind>FAILED|ERROR) (?P<id>\S+)(?: - (?P<message>.*))?$")
_UNITTEST = re.compile(r"^(?P<kind>FAIL|ERROR): (?P<name>\S+) \((?P<id>[^)]+)\)")
_PYTEST_SECTION = re.compile(r"^_{3,} (?P<head>.+?) _{3,}$")
_SECTION_LIMIT = 2000


@dataclass(frozen=True)
class FailedTest:
    test: str  # pytest's node id ("tests/test_x.py::test_y"), or unittest's id
    message: str  # the runner's one-line reason ("" when it gave none)
    kind: str = "failed"  # or "error" (setup, collection)


def failed_tests(output: str) -> tuple[FailedTest, ...]:
    """The failing tests the output names, in its order, each once."""
    found: dict[str, FailedTest] = {}
    for line in output.splitlines():
        line = line.rstrip()
        match = _PYTEST_SUMMARY.match(line)
        if match:
            kind = "failed" if match["kind"] == "FAILED" else "error"
            found.setdefault(match["id"], FailedTest(match["id"], match["message"] or "", kind))
            continue
        match = _UNITTEST.match(line)
        if match:
            kind = "failed" if match["kind"] == "FAIL" else "error"
            found.setdefault(match["id"], FailedTest(match["id"], "", kind))
    return tuple(found.values())


def section(output: str, test: str) -> str:
    """The block pytest printed for one failing test (its `___ name ___` header up to the
    next header or summary), cut to a readable size; "" when the output has none."""
    head = test.split("::")[-1]
    wanted = {head, test.split("::", 1)[-1].replace("::", ".")}
    lines = output.splitlines()
    start = None
    end = len(lines)
    for index, line in enumerate(lines):
        match = _PYTEST_SECTION.match(line.strip())
        if match and start is None and match["head"] in wanted:
            start = index
        elif start is not None and (match or line.startswith("=" * 5)):
            end = index
            break
    if start is None:
        return ""
    # the header as pytest prints it on a narrow terminal
    body = [f"___ {lines[start].strip(' _')} ___", *lines[start + 1 : end]]
    return "\n".join(body).strip()[-_SECTION_LIMIT:]
