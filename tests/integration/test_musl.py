"""The local musl images, made for real: the distro holds musl's loader and libc and nothing
of glibc, the probe measures musl there, and a second make of the images fetches and builds
nothing. (Their verdicts are the local matrix's: tests/integration/test_local_matrix.py.)"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import PurePosixPath

import pytest
from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.segments import InterpSegment

from harness.catalog.image_spec import ImageSpec
from harness.catalog.model import default_catalog
from harness.errors import ImageUnavailable
from harness.images import sources
from harness.images.provider import ImageProvider, ResolvedImage
from harness.probe.distro_probe import DistroProbe
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.engine import Engine
from tests.helpers.commands import load_results, run_cli

pytestmark = pytest.mark.xdist_group("musl-images")

LOADER = "/lib/ld-musl-x86_64.so.1"


def _musl_distro():
    return default_catalog().distros("local", ["x86_64"], ["musl-1.2"])[0]


def _musl_build_image():
    return default_catalog().build_images("local", ["x86_64"], ["musllinux_1_2"])[0]


@pytest.fixture(scope="module")
def musl_images(engine: Engine, settings: Settings) -> dict[str, ResolvedImage]:
    """Both musl images through the one code path (the stage made once for both)."""
    provider = ImageProvider(engine, Cache(settings.cache_dir), settings)
    return {
        "distro": provider.ensure(_musl_distro().image),
        "build": provider.ensure(_musl_build_image().image),
    }


def _files(engine: Engine, reference: str) -> Iterator[tuple[str, tarfile.TarInfo, bytes]]:
    """Every entry of the image's filesystem, with the bytes of regular files."""
    container = engine.client.containers.create(reference, ["/bin/sh"])
    try:
        stream, _ = container.get_archive("/")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream)), mode="r:") as archive:
            for info in archive:
                handle = archive.extractfile(info) if info.isreg() else None
                yield info.name, info, handle.read() if handle else b""
    finally:
        container.remove(force=True)


def _interpreter_and_needed(data: bytes) -> tuple[str | None, list[str]] | None:
    """(PT_INTERP, DT_NEEDED) of an ELF file; None for anything else."""
    if not data.startswith(b"\x7fELF"):
        return None
    try:
        elf = ELFFile(io.BytesIO(data))
        interp = next(
            (s.get_interp_name() for s in elf.iter_segments() if isinstance(s, InterpSegment)),
            None,
        )
        dynamic = elf.get_section_by_name(".dynamic")
        needed = [
            str(tag.needed)  # type: ignore[attr-defined]
            for tag in (dynamic.iter_tags() if isinstance(dynamic, DynamicSection) else ())
            if tag.entry.d_tag == "DT_NEEDED"
        ]
    except ELFError:
        return None
    return interp, needed


def test_the_musl_distro_holds_no_glibc(engine: Engine, musl_images) -> None:
    """No glibc loader, no libc.so.6, and every ELF file's interpreter and C library musl's:
    what runs in the musl distro is musl-linked (no glibc binary stands in for musl)."""
    names: set[str] = set()
    elves = 0
    for name, info, data in _files(engine, musl_images["distro"].reference):
        base = PurePosixPath(name).name
        names.add(base)
        assert not base.startswith(("ld-linux", "ld64.so")), name
        assert base not in ("libc.so.6", "libm.so.6", "libpthread.so.0"), name
        found = _interpreter_and_needed(data) if info.isreg() else None
        if found is None:
            continue
        elves += 1
        interp, needed = found
        assert interp in (None, LOADER), f"{name} asks for {interp}"
        assert "libc.so.6" not in needed, name
        assert not any(n.startswith("ld-linux") for n in needed), name
    # the check read the system, not an empty image: the loader, python, busybox, modules
    assert {"ld-musl-x86_64.so.1", "libc.musl-x86_64.so.1", "python3.13", "busybox"} <= names
    assert elves > 50


def test_the_probe_measures_musl_there(
    engine: Engine, settings: Settings, musl_images, tmp_path
) -> None:
    distro = _musl_distro()
    with DistroProbe(engine, distro, musl_images["distro"].reference, tmp_path, settings) as probe:
        facts = probe.start()
    assert facts.glibc is None and facts.musl == "1.2.5" and facts.libc == "musl"
    assert {"libc.musl-x86_64.so.1", "libz.so.1", "libffi.so.8"} <= set(facts.sonames)
    assert facts.python_version == "3.13.5" and facts.pip_version == "25.1.1"
    # packaging's musllinux detection, through the musl loader of the interpreter
    assert facts.supported_tags[0] == "cp313-cp313-musllinux_1_2_x86_64"
    assert not any("manylinux" in tag for tag in facts.supported_tags)
    assert facts.os_name.startswith("musl 1.2.5")


def test_the_build_image_compiles_and_repairs_for_musl(engine: Engine, musl_images) -> None:
    """musl-gcc (also as cc) links libc under Alpine's soname, the interpreter names its
    extensions -linux-musl, and auditwheel takes the image for musl 1.2."""
    script = (
        "printf 'int main(void) { return 0; }\\n' > /tmp/t.c && cc /tmp/t.c -o /tmp/t && /tmp/t"
        " && readelf -d /tmp/t | grep NEEDED && readelf -l /tmp/t | grep interpreter"
        " && /opt/python/cp313-cp313/bin/python -c "
        "'import sysconfig; print(sysconfig.get_config_var(\"EXT_SUFFIX\"))'"
        " && auditwheel --version && echo $AUDITWHEEL_PLAT"
        " && /opt/_internal/tools/bin/python -c "
        "'from auditwheel.libc import Libc; print(Libc.detect(), Libc.MUSL.get_current_version())'"
    )
    with engine.container(
        musl_images["build"].reference, arch=_musl_distro().arch, role="test", name_hint="musl-cc"
    ) as container:
        result = container.shell(script, timeout=300, step="compile for musl")
    assert result.ok, result.tail()
    out = result.stdout
    assert "[libc.musl-x86_64.so.1]" in out and "libc.so.6" not in out
    assert LOADER in out
    assert ".cpython-313-x86_64-linux-musl.so" in out
    assert "musllinux_1_2_x86_64" in out
    assert "musl LibcVersion(major=1, minor=2)" in out


def _stage(spec: ImageSpec) -> ImageSpec:
    assert spec.base.stage is not None
    return spec.base.stage


def test_a_second_make_fetches_and_builds_nothing(
    engine: Engine, settings: Settings, musl_images
) -> None:
    cache = Cache(settings.cache_dir)
    provider = ImageProvider(engine, cache, settings)
    again = [provider.ensure(_musl_distro().image), provider.ensure(_musl_build_image().image)]
    assert not any(image.built for image in again)

    def offline(source, dest):
        raise ImageUnavailable(f"{source.file} fetched again")

    pinned = [*_stage(_musl_distro().image).sources, *_musl_distro().image.sources]
    assert len(pinned) == 5
    for source in pinned:
        path = sources.ensure_source(cache, source, offline)  # from the cache, or it raises
        assert path.name == source.file


def test_verify_downloads_musllinux_wheels_for_the_musl_distro(tmp_path, musl_images) -> None:
    """`verify --download` for the musl distro and a Debian one: numpy and regex (a pure C
    extension, no fallback) get their musllinux wheels for musl and manylinux ones for Debian;
    each works at home and is refused by the other libc, both named."""
    results_dir = tmp_path / "results"
    proc = run_cli(
        "verify",
        *("--download", "numpy==2.4.6", "regex==2026.12.2"),
        *("--distro", "musl-1.2", "--distro", "debian-bookworm"),
        *("--arch", "x86_64", "--pip", "none", "--uv", "none"),
        *("--results-dir", str(results_dir)),
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    cells = {(c["row"], c["distro"]): c for c in load_results(results_dir)["cells"]}
    for project in ("numpy-2.4.6", "regex-2026.12.2"):
        musl = next(r for r, d in cells if r.startswith(project) and "musllinux_1_2" in r)
        glibc = next(r for r, d in cells if r.startswith(project) and "manylinux" in r)
        home = cells[(musl, "musl-1.2")]
        assert home["verdict"] == "ok" and home["observed"]["load"]["status"] == "passed"
        assert cells[(glibc, "debian-bookworm")]["verdict"] == "ok"
        for row, distro in ((musl, "debian-bookworm"), (glibc, "musl-1.2")):
            away = cells[(row, distro)]
            assert away["verdict"] == "refused-as-claimed" and away["as_expected"], away
            reason = away["expected"]["reason"]
            assert "musl" in reason and "glibc" in reason, reason
