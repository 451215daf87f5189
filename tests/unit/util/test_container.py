"""The container abstraction turns every failure of a call to the engine into a HarnessError,
transport failures included (seen for real: the docker SDK's ssh transport raised a bare
BrokenPipeError out of exec_start, and the run ended in a pytest INTERNALERROR instead of
one cell's `error`). The SDK is replaced by a stand-in that fails the way the real one did."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import docker.errors
import pytest
import requests.exceptions

from harness.errors import ContainerError, HarnessError, ImageUnavailable
from harness.util.container import Container
from harness.util.engine import Engine
from harness.vocab.arch import get_arch

FAILURES = [
    BrokenPipeError(32, "Broken pipe"),
    ConnectionResetError(104, "Connection reset by peer"),
    requests.exceptions.ConnectionError("ssh tunnel closed"),
    docker.errors.APIError("500 Server Error: boom"),
]


class FailingApi:
    def __init__(self, failure: BaseException) -> None:
        self.failure = failure

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            raise self.failure

        return call


def engine_failing_with(failure: BaseException) -> Engine:
    client = SimpleNamespace(api=FailingApi(failure))
    return Engine(client, "ssh://builder@arm-box")  # type: ignore[arg-type]


@pytest.mark.parametrize("failure", FAILURES, ids=lambda f: type(f).__name__)
def test_exec_and_copies_fail_as_container_errors(failure: BaseException, tmp_path: Path) -> None:
    container = Container(
        engine_failing_with(failure),
        SimpleNamespace(id="abc"),
        image="img",
        arch=get_arch("aarch64"),
        name="mh-probe",
    )
    with pytest.raises(ContainerError) as caught:
        container.exec(["true"], timeout=10, step="true")
    assert "in mh-probe" in str(caught.value)
    if not isinstance(failure, docker.errors.DockerException):
        assert type(failure).__name__ in str(caught.value)  # the transport error is named
    with pytest.raises(ContainerError):
        container.copy_out("/out", tmp_path)


@pytest.mark.parametrize("failure", FAILURES, ids=lambda f: type(f).__name__)
def test_image_calls_fail_as_image_errors(failure: BaseException) -> None:
    engine = engine_failing_with(failure)
    with pytest.raises(ImageUnavailable, match="cannot inspect img:1 on ssh://builder@arm-box"):
        engine.image_info("img:1")
    with pytest.raises(ImageUnavailable, match="cannot tag"):
        engine.tag_image("img:1", "repo:tag")
    engine.remove_image("img:1")  # cleanup never raises


def test_a_missing_image_is_none_not_an_error() -> None:
    missing = docker.errors.ImageNotFound("no such image")
    assert engine_failing_with(missing).image_info("img:1") is None
    assert issubclass(ImageUnavailable, HarnessError) and issubclass(ContainerError, HarnessError)
