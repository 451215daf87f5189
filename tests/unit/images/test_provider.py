"""results.json's entry for an image that could not be made: what its base was pulled as, and
never a second failure when the engine that failed the image cannot answer either."""

from __future__ import annotations

from harness.catalog.model import default_catalog
from harness.catalog.registry_mirrors import parse_mirrors
from harness.errors import ImageUnavailable
from harness.images.provider import emulation_hint, failure_record
from harness.util.engine import ImageInfo


class _Engine:
    """The two answers failure_record can get from an engine (pure logic under test)."""

    def __init__(self, info: ImageInfo | None = None, down: bool = False) -> None:
        self.info, self.down = info, down

    def image_info(self, reference: str) -> ImageInfo | None:
        if self.down:
            raise ImageUnavailable(f"cannot inspect {reference} on unix://: connection refused")
        return self.info


def _debian_12():
    catalog = default_catalog().with_mirrors(parse_mirrors(["docker.io=127.0.0.1:5000/hub"]))
    (distro,) = catalog.distros("official", ["x86_64"], ["debian-12"])
    return distro.image


def test_a_pulled_base_is_named_with_the_digest_served() -> None:
    spec = _debian_12()
    digest = "sha256:" + "ab" * 32
    info = ImageInfo(
        reference=spec.base.reference,
        id="sha256:" + "cd" * 32,
        os="linux",
        architecture="amd64",
        variant=None,
        repo_digests=(f"127.0.0.1:5000/hub/library/debian@{digest}",),
    )
    entry = failure_record(spec, "provisioning failed at step 7", _Engine(info))  # type: ignore[arg-type]
    assert entry == {
        "reference": spec.tag,
        "error": "provisioning failed at step 7",
        "pulled": "127.0.0.1:5000/hub/library/debian:12",
        "upstream": "debian:12",
        "digest": digest,
    }


def test_an_engine_that_cannot_answer_leaves_the_digest_empty() -> None:
    spec = _debian_12()
    entry = failure_record(spec, "engine down", _Engine(down=True))  # type: ignore[arg-type]
    assert entry["error"] == "engine down" and entry["digest"] == ""
    assert failure_record(spec, "no engine", None)["pulled"].endswith("/hub/library/debian:12")


def test_a_bootstrapped_base_has_no_pull_to_name() -> None:
    (distro,) = default_catalog().distros("local", ["x86_64"], ["debian-bookworm"])
    entry = failure_record(distro.image, "mmdebstrap failed", _Engine(down=True))  # type: ignore[arg-type]
    assert entry == {"reference": distro.image.tag, "error": "mmdebstrap failed"}


def test_sigill_under_emulation_names_the_emulator() -> None:
    """Ubuntu 26.04's riscv64 userland needs RVA23; under an older qemu-user even apt-get
    dies of SIGILL (exit 132): the image error must say why, not only "exit 132"."""
    hint = emulation_hint(132, emulated=True)
    assert "SIGILL" in hint and "qemu-user" in hint and "--engine" in hint
    assert emulation_hint(132, emulated=False) == ""  # native: a real crash, no excuse
    assert emulation_hint(100, emulated=True) == ""  # apt's own failure
