"""The official profile's code path, for real, through a registry on loopback.

No public registry is reachable from these machines, so the test runs one (Debian's
`docker-registry`, the CNCF distribution) on 127.0.0.1 and pushes what the official images
are made of: Debian root filesystems bootstrapped from Debian's archive the way
docker-library's debuerreotype makes them (minbase, no Python, apt sources as the official
images carry them), under Docker Hub's repository names; and a build image of this project's
local kind under a user catalog row. `manylinux-harness run --profile official` then pulls
through `--registry-mirror`, runs the `apt` (and `debian-archive`) recipes with the network,
probes, and judges: everything is real except where the images came from.

What stays untested here: PyPA's build images, the yum/dnf/zypper/apk/pacman recipes and
the archive branches (no registry here has them, and archive.debian.org is out of reach). A
recipe that needs an unreachable host (the portable Python from GitHub) must make its cells
`error` naming that host: the test checks that too.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.catalog.registry_mirrors import parse_mirrors
from harness.catalog.user import CatalogSources
from harness.images import bootstrap
from harness.images.provider import ImageProvider
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.engine import Engine
from harness.vocab.arch import get_arch
from tests.helpers.commands import load_results, run_cli
from tests.helpers.registry import loopback_registry

# One worker holds the registry and the pushed images; `-m "not registry"` leaves the test
# out of a quick pass (about 5 min on 2 cores: three bootstraps side by side, four apt recipes).
pytestmark = [pytest.mark.xdist_group("official-registry"), pytest.mark.registry]

# suite -> (Docker Hub tag, the apt sources its official image carries: one-line sources.list
# up to bullseye, deb822 debian.sources from bookworm on)
_DEB822 = (
    "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: {0} {0}-updates\n"
    "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
    "Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: {0}-security\n"
    "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
)
SUITES = {
    "bullseye": (
        "11",
        "/etc/apt/sources.list",
        "deb http://deb.debian.org/debian bullseye main\n"
        "deb http://deb.debian.org/debian-security bullseye-security main\n"
        "deb http://deb.debian.org/debian bullseye-updates main\n",
    ),
    "bookworm": ("12", "/etc/apt/sources.list.d/debian.sources", _DEB822.format("bookworm")),
    "trixie": ("13", "/etc/apt/sources.list.d/debian.sources", _DEB822.format("trixie")),
}
# The catalog rows those images stand for (debian-11 runs the archive fix-up first).
DEBIAN_ROWS = [f"debian-{tag}" for tag, _, _ in SUITES.values()]

APT_INSTALL = "+ apt-get install -y --no-install-recommends python3 ca-certificates curl"
BUILD_ROW = """
[[build_image]]
profile = "official"
policy = "manylinux_2_36"
image = "quay.io/manylinux-harness-test/manylinux_2_36_{{arch}}:local"
python_tag = "{python_tag}"
arches = ["x86_64"]
recipe = "ready"

# A row whose recipe needs github.com (the portable Python): its cells must be `error`.
[[distro]]
profile = "official"
name = "debian-12-portable"
image = "debian:12"
family = "apt"
arches = ["x86_64"]
glibc = "2.36"
python = "3.11"
eol = "2028-06-30"
recipe = ["apt", "portable-python"]
"""


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with loopback_registry(tmp_path_factory.mktemp("registry")) as address:
        yield address


def _push(engine: Engine, image_id: str, reference: str) -> None:
    repository, _, tag = reference.rpartition(":")
    engine.tag_image(image_id, reference)
    try:
        for record in engine.client.images.push(repository, tag, stream=True, decode=True):
            assert "error" not in record, f"push of {reference}: {record['error']}"
    finally:
        engine.remove_image(reference)  # the registry holds it now; the run pulls it back


def _debian_image(engine: Engine, tmp: Path, suite: str, tag: str) -> str:
    """A minimal Debian image as the official ones are made (minbase, no Python)."""
    arch = get_arch("x86_64")
    _, sources_path, sources = SUITES[suite]
    context = tmp / f"context-{suite}"
    context.mkdir()
    bootstrap.bootstrap_rootfs(
        suite, arch, (), context / "rootfs.tar", tmp / f"{suite}.log", timeout=900
    )
    (context / "sources").write_text(sources, encoding="utf-8")
    (context / "empty").write_text("", encoding="utf-8")
    (context / "Dockerfile").write_text(
        "FROM scratch\nADD rootfs.tar /\nCOPY empty /etc/apt/sources.list\n"
        f'COPY sources {sources_path}\nCMD ["bash"]\n',
        encoding="utf-8",
    )
    image, _ = engine.client.images.build(
        path=str(context), tag=tag, platform=arch.oci_platform, rm=True, forcerm=True
    )
    (context / "rootfs.tar").unlink()
    return str(image.id)


@pytest.fixture(scope="module")
def served(registry: str, engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Push the images under their official names; returns the mirrors and the user catalog."""
    tmp = tmp_path_factory.mktemp("official")

    def push_debian(suite: str, hub_tag: str) -> str:
        local_tag = f"manylinux-harness-test/debian-{suite}:{registry.replace(':', '-')}"
        image_id = _debian_image(engine, tmp, suite, local_tag)
        _push(engine, image_id, f"{registry}/hub/library/debian:{hub_tag}")
        engine.remove_image(local_tag)
        return f"debian:{hub_tag}"

    # The three bootstraps mostly wait on the mirror: side by side they cost about one.
    with ThreadPoolExecutor(max_workers=len(SUITES)) as pool:
        jobs = [pool.submit(push_debian, suite, tag) for suite, (tag, _, _) in SUITES.items()]
        pushed = [job.result() for job in jobs]
    settings = Settings()
    build = default_catalog().build_images("local", ["x86_64"], ["manylinux_2_36"])[0]
    local = ImageProvider(engine, Cache(settings.cache_dir), settings).ensure(build.image)
    _push(engine, local.id, f"{registry}/quay/manylinux-harness-test/manylinux_2_36_x86_64:local")
    catalog = tmp / "team.toml"
    catalog.write_text(BUILD_ROW.format(python_tag=build.python_tag), encoding="utf-8")
    return {
        "mirrors": [f"docker.io={registry}/hub", f"quay.io={registry}/quay"],
        "catalog": catalog,
        "pushed": pushed,
    }


def _remove_run_images(engine: Engine, served: dict, distros: list[str]) -> None:
    """The run's pulled and provisioned images: their names carry this registry's port, so
    no later run reuses them; only what this test made is removed."""
    catalog = CatalogSources((served["catalog"],), parse_mirrors(served["mirrors"])).load()
    specs = [b.image for b in catalog.build_images("official", ["x86_64"], ["manylinux_2_36"])]
    specs += [d.image for d in catalog.distros("official", ["x86_64"], distros)]
    for spec in specs:
        for reference in {spec.tag, spec.base.reference}:
            engine.remove_image(reference)


def test_official_profile_through_a_registry_mirror(
    served: dict, engine: Engine, tmp_path: Path
) -> None:
    distros = [*DEBIAN_ROWS, "debian-12-portable"]
    results_dir = tmp_path / "results"
    args = ["run", "--profile", "official", "--arch", "x86_64", "--policy", "manylinux_2_36"]
    for name in distros:
        args += ["--distro", name]
    for mirror in served["mirrors"]:
        args += ["--registry-mirror", mirror]
    args += ["--catalog", str(served["catalog"]), "--sample", "c_plain", "--pip", "none"]
    args += ["--offer", "none"]
    args += ["--results-dir", str(results_dir)]
    try:
        done = run_cli(*args, timeout=1200)
    finally:
        _remove_run_images(engine, served, distros)
    record = load_results(results_dir)
    # The error cells of the portable row make the exit status 3, never 1.
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-3000:]
    images = record["images"]
    assert images["build:manylinux_2_36:x86_64"]["digest"].startswith("sha256:")
    assert record["host"]["registry_mirrors"]["docker.io"].endswith("/hub")
    logs = Path(Settings().cache_dir, "logs", "images")
    verdicts = {(c["distro"], c["verdict"]) for c in record["cells"]}
    for name in DEBIAN_ROWS:
        tag = name.removeprefix("debian-")
        pulled = images[f"distro:{name}:x86_64"]
        assert pulled["upstream"] == f"debian:{tag}"
        assert pulled["pulled"].endswith(f"/hub/library/debian:{tag}")
        assert pulled["digest"].startswith("sha256:"), pulled
        # The apt recipe ran with the network and left its log (bash -x traces each command).
        recipe_logs = [p.read_text() for p in logs.glob(f"*distro-{name}_x86_64*.log")]
        assert any(APT_INSTALL in text.splitlines() for text in recipe_logs), name
        assert (name, "ok") in verdicts, verdicts
    # Debian 11 runs the archive fix-up first; bullseye is still on the mirrors, so the
    # fix-up must have looked (apt-get update) and left the sources alone.
    bullseye_log = "\n".join(p.read_text() for p in logs.glob("*distro-debian-11_x86_64*.log"))
    traced = [line for line in bullseye_log.splitlines() if line.startswith("+")]
    fix_up = traced[: traced.index("+ rm -f /tmp/debian-archived")]
    assert "+ apt-get update" in fix_up, bullseye_log[:2000]  # it asked the mirror
    assert "+ touch /tmp/debian-archived" not in fix_up, bullseye_log[:2000]  # found no 404
    assert not any("archive.debian.org" in line for line in traced), bullseye_log[:2000]
    # The image that could not be provisioned still says what it was made from.
    failed = images["distro:debian-12-portable:x86_64"]
    assert "github.com" in failed["error"]
    assert (failed["upstream"], failed["digest"]) == (
        "debian:12",
        images["distro:debian-12:x86_64"]["digest"],
    )
    portable = [c for c in record["cells"] if c["distro"] == "debian-12-portable"]
    assert portable and all(c["verdict"] == "error" for c in portable)
    assert all("github.com" in c["diagnosis"] for c in portable), portable[0]["diagnosis"]


def test_a_mirror_that_lacks_the_image_stops_the_run_in_one_line(
    registry: str, tmp_path: Path
) -> None:
    done = run_cli(
        "run", "--profile", "official", "--arch", "x86_64", "--policy", "manylinux2014",
        "--registry-mirror", f"quay.io={registry}/quay",
        "--results-dir", str(tmp_path / "results"),
        timeout=120,  # a hang guard: the missing image stops the run before any work
    )  # fmt: skip
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 3, done.stderr[-2000:]
    assert f"{registry}/quay/pypa/manylinux2014_x86_64" in last, last
    assert "mirror of quay.io/pypa/manylinux2014_x86_64" in last, last
    assert "manifest unknown" in last or "not found" in last, last
