"""Plain data for unit tests: distro facts with the tags packaging computes for them, and
cells and run records as results.json holds them."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging import tags

from harness.judge.cell import Expected
from harness.probe.facts import DistroFacts
from harness.probe.observation import Observation
from harness.results import record as results
from harness.vocab.installer import Installer
from harness.vocab.legacy_policies import legacy_platform
from harness.vocab.verdict import Verdict


def manylinux_platforms(glibc: tuple[int, int], arch: str) -> list[str]:
    """What packaging's _manylinux.platform_tags yields on a glibc `glibc` system."""
    platforms = []
    for minor in range(glibc[1], -1, -1):
        platforms.append(f"manylinux_2_{minor}_{arch}")
        legacy = legacy_platform((2, minor), arch)
        if legacy is not None:
            platforms.append(legacy)
    return [*platforms, f"linux_{arch}"]


def facts(
    python: tuple[int, int] = (3, 11),
    glibc: tuple[int, int] | None = (2, 36),
    arch: str = "x86_64",
    pip: str = "23.0.1",
    sonames: tuple[str, ...] = ("libc.so.6", "libm.so.6", "libcrypt.so.1", "libstdc++.so.6"),
    musl: tuple[int, int] | None = None,  # a musl system (glibc is then ignored)
) -> DistroFacts:
    if musl is not None:
        glibc = None
        platforms = [f"musllinux_{musl[0]}_{m}_{arch}" for m in range(musl[1], -1, -1)]
        platforms.append(f"linux_{arch}")
    else:
        platforms = manylinux_platforms(glibc, arch) if glibc else [f"linux_{arch}"]
    supported = list(tags.cpython_tags(python_version=python, platforms=platforms))
    supported += list(tags.compatible_tags(python_version=python, platforms=platforms))
    return DistroFacts(
        os_name="Test Linux",
        machine=arch,
        python_version=f"{python[0]}.{python[1]}.0",
        python_platform=f"linux-{arch}",
        glibc=f"{glibc[0]}.{glibc[1]}" if glibc else None,
        glibcxx_max="3.4.30",
        pip_version=pip,
        packaging_version="26.0",
        sonames=sonames,
        supported_tags=tuple(str(t) for t in supported),
        musl=f"{musl[0]}.{musl[1]}" if musl is not None else None,
    )


def make_wheel(
    directory: Path,
    filename: str,
    files: Mapping[str, str | bytes],
    *,
    top_level: list[str] | None = None,
    requires_python: str | None = None,
    requires: tuple[str, ...] = (),
) -> Path:
    """A wheel pip installs: the files, plus a dist-info with METADATA, WHEEL and RECORD."""
    parts = filename.removesuffix(".whl").split("-")
    name, version = parts[:2]
    tag = "-".join(parts[-3:])
    build = f"Build: {parts[2]}\n" if len(parts) == 6 else ""
    dist_info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    if requires_python:
        metadata += f"Requires-Python: {requires_python}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    contents: dict[str, bytes] = {
        path: data.encode() if isinstance(data, str) else data for path, data in files.items()
    }
    contents[f"{dist_info}/METADATA"] = metadata.encode()
    contents[f"{dist_info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n{build}"
    ).encode()
    if top_level is not None:
        contents[f"{dist_info}/top_level.txt"] = "".join(f"{n}\n" for n in top_level).encode()
    record = []
    for member, data in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    contents[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in contents.items():
            archive.writestr(member, data)
    return path


def bomb_wheel(directory: Path, filename: str, mib: int, member: str = "data/zeros.bin") -> Path:
    """A wheel (pip would install it: METADATA, WHEEL, RECORD) with one deflated member of
    `mib` MiB of zeros: about a thousand times its compressed size, as a zip bomb is. Small
    sizes keep the tests quick; what is refused is the declaration, whatever its size."""
    path = make_wheel(directory, filename, {"bomb.py": "X = 1\n"})
    with (
        zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open(member, "w", force_zip64=True) as handle,
    ):
        for _ in range(mib):
            handle.write(bytes(1 << 20))
    return path


def damage_wheel(path: Path, how: str) -> Path:
    """Damage a wheel inside, as a bad download or disk does, keeping what is_zipfile reads
    (the end record): "crc" changes a byte of the first member's stored data (its CRC fails);
    "central" breaks the central directory's first entry signature."""
    data = bytearray(path.read_bytes())
    if how == "crc":
        with zipfile.ZipFile(path) as archive:
            offset = archive.infolist()[0].header_offset
        # Local header: 30 bytes, the name and the extra field, then the (stored) data.
        name_length = int.from_bytes(data[offset + 26 : offset + 28], "little")
        extra_length = int.from_bytes(data[offset + 28 : offset + 30], "little")
        data[offset + 30 + name_length + extra_length] ^= 0xFF
    elif how == "central":
        index = data.find(b"PK\x01\x02")  # the first entry's
        data[index : index + 4] = b"XX\x01\x02"
    else:
        raise ValueError(how)
    path.write_bytes(bytes(data))
    return path


def member(policy: str = "manylinux_2_31", sample: str = "c_plain") -> results.MemberRecord:
    return results.MemberRecord(
        sample,
        "default",
        "sample",
        f"{policy}-x86_64",
        policy,
        (f"{sample}-1.0-cp39-abi3-{policy}_x86_64.whl",),
        "built",
    )


def cell(
    row: str = "c_plain@manylinux_2_31",
    distro: str = "debian-bookworm",
    verdict: Verdict = Verdict.OK,
    as_expected: bool = True,
    declared: str | None = None,
    diagnosis: str = "",
    **changes: Any,
) -> results.CellRecord:
    """A cell record as results.json holds one; `changes` replace any other field (an
    installer may be given in the record's spelling, "19.3")."""
    if isinstance(changes.get("installer"), str):
        changes["installer"] = Installer.parse(changes["installer"])
    # expected and observed may be given as results.json spells them
    if isinstance(changes.get("expected"), Mapping):
        changes["expected"] = Expected.from_json(changes["expected"])
    if isinstance(changes.get("observed"), Mapping):
        changes["observed"] = Observation.from_json(changes["observed"])
    expected = {"installable": verdict is not Verdict.REFUSED_AS_CLAIMED, "reason": "r"}
    if declared:
        expected["declared"] = declared
    base = results.CellRecord(
        key=f"{row} | x86_64 | {distro} | pip={changes.get('installer', 'distro')}",
        test_id=f"{row}-{distro}",
        row=row,
        arch="x86_64",
        distro=distro,
        installer=Installer.parse("distro"),
        dlopen="default",
        members=(member(),),
        pip_version="23.0.1",
        emulated=False,
        expected=Expected.from_json(expected),
        observed=Observation(install=None),
        verdict=verdict,
        explanation="because",
        diagnosis=diagnosis,
        as_expected=as_expected,
    )
    return dataclasses.replace(base, **changes)


def record(cells, interrupted: bool = False) -> results.RunRecord:
    return results.RunRecord(
        schema=results.SCHEMA_VERSION,
        harness_version="0",
        created="now",
        profile="local",
        selection={},
        host={},
        images={"build:x:x86_64": {"reference": "r", "error": "cannot pull r"}},
        builds={"b": {"status": "failed", "error": "cibuildwheel exited with 1"}},
        distros={
            "debian-bullseye-x86_64": {
                "facts": {"glibc": "2.31", "python_version": "3.9.2", "pip_version": "20.3.4"}
            },
            "debian-forky-x86_64": {
                "facts": {"glibc": "2.43", "python_version": "3.14.0", "pip_version": "26.2"}
            },
        },
        cells=tuple(cells),
        interrupted=interrupted,
    )


# The nightly's legs, (arch, policy) as .github/workflows/nightly.yml runs them.
NIGHTLY_LEGS = (
    *(("x86_64", p) for p in ("1", "2010", "2014", "2_28", "2_34", "musllinux_1_2")),
    *(("i686", p) for p in ("1", "2010", "2014", "2_28", "2_34", "musllinux_1_2")),
    *(("aarch64", p) for p in ("2014", "2_28", "2_34", "2_39", "musllinux_1_2")),
    *(("armv7l", p) for p in ("2_31", "2_35", "musllinux_1_2")),
    *(("ppc64le", p) for p in ("2014", "2_28", "2_34", "musllinux_1_2")),
    *(("s390x", p) for p in ("2014", "2_28", "2_34", "musllinux_1_2")),
    *(("riscv64", p) for p in ("2_39", "musllinux_1_2")),
)
LEG_SAMPLES = ("c_plain", "cpp_static_locals", "fortran", "libcrypt", "glibc_control", "x11", "ffi")
LEG_INSTALLERS = ("distro", "19.0", "20.3", "latest")


def leg_record(
    arch: str, policy: str, *, distros: int = 20, broken: bool = True, start: int = 0
) -> results.RunRecord:
    """One nightly leg's record: every sample x distro x installer, with a deterministic mix
    of verdicts (with `broken`: declared violations, real breaks with varied causes, errors
    the harness could not tell, refusals; else every cell as declared)."""
    names = [f"distro{n:02d}" for n in range(distros)]
    cells = []
    index = start
    for sample in LEG_SAMPLES:
        row = f"{sample}@{policy}"
        for distro in names:
            for installer in LEG_INSTALLERS:
                index += 1
                verdict, as_expected, declared, why = Verdict.OK, True, "ok", ""
                if broken and index % 53 == 0:
                    verdict, as_expected = Verdict.ERROR, False
                    why = f"timed out after {index % 300} s in step install on {distro}"
                elif broken and index % 37 == 0:
                    verdict, as_expected, declared = Verdict.VIOLATION, False, ""
                    why = f"needs GLIBC_2.{30 + index % 9}, which this system lacks ({sample}.so)"
                elif index % 11 == 0:
                    verdict, declared = Verdict.VIOLATION, "violation"
                    why = "library libffi.so.7 is not installed"
                elif index % 5 == 0:
                    verdict, declared = Verdict.REFUSED_AS_CLAIMED, "refused-as-claimed"
                    why = "pip: not a supported wheel on this platform"
                cells.append(
                    cell(
                        row,
                        distro,
                        verdict,
                        as_expected=as_expected,
                        declared=declared or None,
                        diagnosis=why,
                        key=f"{row} | {arch} | {distro} | pip={installer}",
                        test_id=f"{row}-{arch}-{distro}-{installer}",
                        arch=arch,
                        installer=installer,
                        members=(member(policy, sample),),
                    )
                )
    facts = {
        f"{name}-{arch}": {
            "facts": {
                "glibc": f"2.{17 + n}",
                "python_version": f"3.{9 + n % 6}.1",
                "pip_version": f"{20 + n % 6}.0",
            }
        }
        for n, name in enumerate(names)
    }
    return dataclasses.replace(
        record(cells), profile="official", distros=facts, selection={"arch": [arch]}
    )


def nightly_legs(**options: Any) -> list[results.RunRecord]:
    """Every leg of a nightly (about 16,800 cells with the default 20 distros)."""
    legs = []
    start = 0
    for arch, policy in NIGHTLY_LEGS:
        legs.append(leg_record(arch, policy, start=start, **options))
        start += len(legs[-1].cells)
    return legs
