"""The harness's own tests: nothing they run writes to the CI job's step summary. tox's
`tests` environment passes GITHUB_STEP_SUMMARY through to the matrix environments' runs;
the test session drops it before any test (or CLI subprocess a test starts) can see it."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    os.environ.pop("GITHUB_STEP_SUMMARY", None)
