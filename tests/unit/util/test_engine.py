"""Issue 24, item 3: engine calls are bounded. An engine that accepts the connection and never
answers stops the run with one line naming it; the calls that answer only when their work is
done (an exec's output, a build, a commit) keep their long bound."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.errors import EngineUnavailable
from harness.util import engine as engine_module
from harness.util.engine import Engine, bound_calls
from tests.helpers.wedged import wedged_engine


@pytest.fixture
def wedged(tmp_path: Path) -> Iterator[str]:
    """A unix socket that accepts every connection and never says a word."""
    with wedged_engine(tmp_path / "wedged.sock") as host:
        yield host


@pytest.mark.timeout(60)  # a hang guard: without the bound, the client waits for hours
def test_a_wedged_engine_is_named_within_the_control_bound(
    wedged: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "CONTROL_TIMEOUT", 1.5)
    with pytest.raises(EngineUnavailable) as stopped:
        Engine.connect(wedged)
    message = str(stopped.value)
    assert message.startswith(f"the Docker engine at {wedged} accepted the connection but ")
    assert "did not answer within 2 s (wedged?)" in message and "\n" not in message


class Recorder:
    """What bound_calls wraps: a client's request method, recording each call's timeout."""

    def __init__(self) -> None:
        self.timeout: Any = 6 * 3600
        self.seen: dict[str, Any] = {}

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        self.seen[f"{method} {url.split('/v1.41', 1)[-1]}"] = kwargs.get("timeout")


@pytest.mark.parametrize(
    ("method", "path", "long"),
    [
        ("GET", "/version", False),
        ("GET", "/containers/abc/json", False),
        ("POST", "/containers/create", False),
        ("POST", "/containers/abc/start", False),
        ("DELETE", "/containers/abc", False),
        ("POST", "/containers/abc/exec", False),  # exec create
        ("GET", "/exec/123/json", False),  # exec inspect
        ("GET", "/images/x/json", False),
        ("POST", "/exec/123/start", True),  # the exec's output: as long as the command runs
        ("POST", "/build", True),
        ("POST", "/commit", True),
        ("POST", "/images/create", True),  # a pull
        ("PUT", "/containers/abc/archive", True),
        ("GET", "/containers/abc/archive", True),
        ("POST", "/containers/abc/wait", True),
    ],
)
def test_control_calls_get_the_short_bound(method: str, path: str, long: bool) -> None:
    api = Recorder()
    bound_calls(api, 30.0)
    api.request(method, f"http+docker://localhost/v1.41{path}", timeout=api.timeout)
    assert api.seen[f"{method} {path}"] == (6 * 3600 if long else 30.0)
