"""What a wheel's own metadata says."""

from __future__ import annotations

from pathlib import Path

from harness.analysis.metadata import requires_python
from tests.helpers.factories import make_wheel


def test_requires_python_is_read_from_metadata(tmp_path: Path) -> None:
    with_spec = make_wheel(
        tmp_path, "a-1.0-py3-none-any.whl", {"a.py": ""}, requires_python=">=3.10"
    )
    without = make_wheel(tmp_path, "b-1.0-py3-none-any.whl", {"b.py": ""})
    assert requires_python(with_spec) == ">=3.10"
    assert requires_python(without) is None
