#!/usr/bin/env python3
"""Derive harness/resources/pypa-images.toml: what PyPA's manylinux/musllinux build images are
made of, per policy and arch, each value with the source it was read from.

    python3 bin/derive_pypa_images.py --manylinux DIR --inspector DIR [--read YYYY-MM-DD]

--manylinux: a copy of https://github.com/pypa/manylinux (a checkout, its git directory, or a
snapshot holding README.rst and build.sh such as ../shared/data/pypa-manylinux). Read from it:
README.rst (each image's base system, "Toolchain: GCC N", the arches it is published for, the
date its support ended) and build.sh (base image and gcc toolset of each policy still built);
from a git copy also docker/build_scripts/install-runtime-packages.sh (gcc, g++ and gfortran
come from one toolset).
--inspector: a copy of https://github.com/joerick/manylinux-inspector (BSD-2-Clause), whose
data/reports/*.json are commands run in each published image: the newest report per image
gives its OS release, C library, `gcc --version`, /opt/python interpreters, auditwheel and
patchelf. Older reports predate some commands (gcc): those values are written empty and listed
under `not_published` with the reason.

Facts only are kept (versions, names, dates); no text of either project is copied. Policies
auditwheel's installed policy file knows that PyPA never published an image for get a
`[[no_image]]` row (tests/unit/explain/test_pypa_images.py keeps the two consistent).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "harness" / "resources" / "pypa-images.toml"
MANYLINUX = "https://github.com/pypa/manylinux"
INSPECTOR = "https://github.com/joerick/manylinux-inspector"
PACKAGES = "docker/build_scripts/install-runtime-packages.sh"

_HEADING = re.compile(r"^(manylinux\w+|musllinux_\d+_\d+) \((.+)\)(.*)$")
_UNDERLINE = re.compile(r"^~{5,}$")
_TOOLCHAIN = re.compile(r"^Toolchain: GCC (\S+)")
_IMAGE_LINE = re.compile(
    r"image: ``quay\.io/pypa/(\w+?)_(x86_64|i686|aarch64|ppc64le|s390x|armv7l|riscv64|loongarch64)``"
)
_ENDED = re.compile(r"Support for ``(\w+)`` has `ended on (\w+ \d+)\w*, (\d{4})")
_BUILD_POLICY = re.compile(r'"\$\{POLICY\}" == "(\w+)" \]; then')
_BUILD_VAR = re.compile(r'^\s*(BASEIMAGE|DEVTOOLSET_ROOTPATH)="?([^"\n]*)"?$')
_REPORT = re.compile(
    r"^data/reports/quay\.io_pypa_(\w+?)_(x86_64|i686|aarch64|ppc64le|s390x|armv7l|riscv64|loongarch64)_(\d{4})[.-](\d{2})[.-](\d{2})[^/]*\.json$"
)
_TOOLSET_PATH = re.compile(r"/opt/rh/((?:devtoolset|gcc-toolset)-\d+)/root/usr/bin")
_GCC = re.compile(r"\)\s+(\d+\.\d+(?:\.\d+)?)")
_SNAPSHOT_COMMIT = re.compile(
    r"commit\s+([0-9a-f]{40})\s+of\s+(\d{4}-\d{2}-\d{2}),\s+read\s+(\d{4}-\d{2}-\d{2})"
)
_LEGACY = {
    "manylinux1": "manylinux_2_5",
    "manylinux2010": "manylinux_2_12",
    "manylinux2014": "manylinux_2_17",
}


class Copy:
    """A repository copy: a work tree, a git directory (read at HEAD), or a plain snapshot."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.git_dir = _git_dir(path)

    def read(self, name: str) -> str | None:
        if (self.path / name).is_file():
            return (self.path / name).read_text(encoding="utf-8")
        if self.git_dir is None:
            return None
        out = self._git("show", f"HEAD:{name}")
        return out

    def names(self, folder: str) -> list[str]:
        if (self.path / folder).is_dir():
            return sorted(str(p.relative_to(self.path)) for p in (self.path / folder).iterdir())
        if self.git_dir is None:
            return []
        out = self._git("ls-tree", "--name-only", "HEAD", f"{folder}/")
        return sorted((out or "").split())

    def commit(self) -> tuple[str, str]:
        """(commit, its date) of HEAD; ("", "") for a snapshot that is not a git copy."""
        if self.git_dir is None:
            return "", ""
        out = self._git("log", "-1", "--format=%H %cs") or ""
        commit, _, date = out.strip().partition(" ")
        return commit, date

    def _git(self, *args: str) -> str | None:
        proc = subprocess.run(
            ["git", f"--git-dir={self.git_dir}", *args], capture_output=True, text=True
        )
        return proc.stdout if proc.returncode == 0 else None


def _git_dir(path: Path) -> Path | None:
    for candidate in (path / ".git", path):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    return None


# -- README.rst --------------------------------------------------------------------------------


@dataclass
class ReadmeRow:
    name: str  # as PyPA names the image, e.g. manylinux2014
    base: str  # "CentOS 7", "AlmaLinux/RockyLinux 10", "Alpine Linux 3.22"
    heading: str
    gcc: str = ""
    arches: list[str] = field(default_factory=list)
    support_ended: str = ""


def readme_rows(text: str) -> list[ReadmeRow]:
    lines = text.splitlines()
    rows: list[ReadmeRow] = []
    for i, line in enumerate(lines):
        match = _HEADING.match(line.strip())
        if match and i + 1 < len(lines) and _UNDERLINE.match(lines[i + 1].strip()):
            base = re.split(r" based|,", match.group(2))[0].strip()
            rows.append(ReadmeRow(match.group(1), base, line.strip()))
            continue
        if not rows:
            continue
        row = rows[-1]
        if found := _TOOLCHAIN.match(line.strip()):
            row.gcc = found.group(1)
        elif found := _IMAGE_LINE.search(line):
            if found.group(1) == row.name and found.group(2) not in row.arches:
                row.arches.append(found.group(2))
        elif (found := _ENDED.search(line)) and found.group(1) == row.name:
            day = _dt.datetime.strptime(f"{found.group(2)} {found.group(3)}", "%B %d %Y").date()
            row.support_ended = day.isoformat()
    return [row for row in rows if row.arches]


def base_distro(base: str) -> str:
    """The distro knowledge base's identity of a README base: "AlmaLinux/RockyLinux 10" ->
    "almalinux-10", "Alpine Linux 3.22" -> "alpine-3.22", "CentOS 7" -> "centos-7"."""
    first = base.split("/")[0] if "/" in base.split()[0] else base
    words = first.replace("Alpine Linux", "Alpine").split()
    version = base.split()[-1]
    return f"{words[0].lower()}-{version}"


# -- build.sh and the packages script ------------------------------------------------------------


def build_rows(text: str) -> dict[str, dict[str, str]]:
    """policy -> {BASEIMAGE, DEVTOOLSET_ROOTPATH} as build.sh sets them for every platform."""
    found: dict[str, dict[str, str]] = {}
    current = ""
    depth = 0
    for line in text.splitlines():
        if match := _BUILD_POLICY.search(line):
            current, depth = match.group(1), 0
            found[current] = {}
            continue
        if not current:
            continue
        stripped = line.strip()
        if stripped.startswith("case "):
            depth += 1
        elif stripped == "esac":
            depth -= 1
        elif stripped == "else" or stripped.startswith("fi"):
            current = ""
        elif depth == 0 and (match := _BUILD_VAR.match(line)):
            found[current].setdefault(match.group(1), match.group(2))
    return found


def toolset_of(root: str) -> str:
    """ "/opt/rh/gcc-toolset-14/root" -> "gcc-toolset-14"; "" -> "" (the base's own gcc)."""
    match = re.search(r"/opt/rh/([\w-]+)/root", root)
    return match.group(1) if match else ""


def one_toolset(text: str | None) -> bool:
    """Whether the packages script installs gcc, g++ and gfortran as one toolset everywhere."""
    if not text:
        return False
    lists = re.findall(r"TOOLCHAIN_DEPS\+?=\(([^)]*)\)", text)
    compilers = [deps for deps in lists if re.search(r"\bgcc\b|-gcc\b", deps)]
    return bool(compilers) and all(
        "gfortran" in deps and ("c++" in deps or "g++" in deps) for deps in compilers
    )


# -- manylinux-inspector -----------------------------------------------------------------------


@dataclass
class ImageRow:
    name: str
    arch: str
    image: str
    inspected: str
    report: str
    values: dict[str, object]
    not_published: dict[str, str]


def newest_reports(names: Iterable[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """(image name, arch) -> (date, report path) of its newest report."""
    newest: dict[tuple[str, str], tuple[str, str]] = {}
    for name in names:
        match = _REPORT.match(name)
        if not match:
            continue  # multi-arch manifests and base images: no arch of their own
        key = (match.group(1), match.group(2))
        date = f"{match.group(3)}-{match.group(4)}-{match.group(5)}"
        if key not in newest or (date, name) > newest[key]:
            newest[key] = (date, name)
    return newest


def image_row(name: str, arch: str, date: str, path: str, report: dict[str, Any]) -> ImageRow:
    log = report.get("data", {}).get("log", [])
    commands = {" ".join(entry["command"]): entry for entry in log}

    def out(command: str) -> str:
        entry = commands.get(command) or {}
        if entry.get("return_code", 1) != 0:
            return ""
        # Python 2 prints its --version on stderr.
        return str(entry.get("stdout") or entry.get("stderr") or "")

    values: dict[str, object] = {}
    missing: dict[str, str] = {}
    pretty = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', out("cat /etc/os-release"), re.M)
    values["os"] = pretty.group(1) if pretty else out("cat /etc/redhat-release").strip()
    ldd = out("ldd --version").splitlines()
    if ldd and (match := re.search(r"(\d+\.\d+)\s*$", ldd[0])):
        values["glibc"] = match.group(1)
    else:
        musl = next((e for c, e in commands.items() if c.startswith("/lib/libc.musl-")), None)
        version = re.search(r"Version (\d+\.\d+\.\d+)", str((musl or {}).get("stderr", "")))
        if version:
            values["musl"] = version.group(1)
    gcc = out("gcc --version").splitlines()
    match = _GCC.search(gcc[0]) if gcc else None
    if match:
        values["gcc"] = match.group(1)
    else:
        values["gcc"] = ""
        missing["gcc"] = (
            "the report of this image has no `gcc --version` (it predates that command)"
        )
    env = out("env")
    toolset = _TOOLSET_PATH.search(env)
    values["toolset"] = toolset.group(1) if toolset else ""
    pythons = []
    for command in commands:
        match = re.match(r"^/opt/python/([^/]+)/bin/python --version$", command)
        version = re.search(r"Python (\S+)", out(command)) if match else None
        if match and version:
            pythons.append(f"{match.group(1)} {version.group(1)}")
    values["pythons"] = sorted(pythons, key=_python_key)
    for tool in ("auditwheel", "patchelf"):
        version = re.search(rf"{tool} (\d+(?:\.\d+)+)", out(f"{tool} --version"))
        values[tool] = version.group(1) if version else ""
        if not version:
            missing[tool] = f"the report of this image has no `{tool} --version`"
    image = str(report.get("metadata", {}).get("image", ""))
    return ImageRow(name, arch, image, date, path, values, missing)


def _python_key(text: str) -> tuple[int, int, int, str]:
    """CPython before PyPy, each by version: cp27, cp39, cp310, ..., pp311."""
    tag = text.split()[0]
    match = re.match(r"^(cp|pp)(\d)(\d+)", tag)
    if not match:
        return (9, 0, 0, tag)
    family = 0 if match.group(1) == "cp" else 1
    return (family, int(match.group(2)), int(match.group(3)), tag)


# -- auditwheel --------------------------------------------------------------------------------


def auditwheel_policies() -> list[str]:
    """Every manylinux/musllinux policy of the installed auditwheel's policy files."""
    from importlib import resources

    names = []
    for file in ("manylinux-policy.json", "musllinux-policy.json"):
        text = resources.files("auditwheel.policy").joinpath(file).read_text(encoding="utf-8")
        names += [p["name"] for p in json.loads(text) if p["name"] != "linux"]
    return names


def canonical(name: str) -> str:
    return _LEGACY.get(name, name)


# -- output ------------------------------------------------------------------------------------


def _q(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_q(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _inline(table: dict[str, str]) -> str:
    return "{ " + ", ".join(f"{k} = {_q(v)}" for k, v in table.items()) + " }"


def render(
    sources: dict[str, dict[str, str]],
    readme: Sequence[ReadmeRow],
    build: dict[str, dict[str, str]],
    same_toolset: bool,
    images: Sequence[ImageRow],
    no_image: dict[str, str],
) -> str:
    lines = [
        "# Generated by bin/derive_pypa_images.py; do not edit by hand (run it again).",
        "# PyPA's manylinux/musllinux build images: what each policy's image is built on and with,",
        "# and what its newest inspected image holds. Every row names its source ([sources.*]:",
        "# repository, commit, the date that commit was made and the date it was read); a value",
        "# the source does not publish is empty and `not_published` says why.",
        "",
    ]
    for key, source in sources.items():
        lines.append(f"[sources.{key}]")
        lines += [f"{k} = {_q(v)}" for k, v in source.items()]
        lines.append("")
    lines += [
        "# From README.rst: the image's base system (and its identity in distros.toml), the",
        "# major GCC its 'Toolchain:' line names, the arches it lists an image for, and the date",
        "# its support ended ('' while supported).",
    ]
    for row in readme:
        lines += [
            "[[policy]]",
            f"name = {_q(row.name)}",
            f"policy = {_q(canonical(row.name))}",
            'source = "readme"',
            f"section = {_q(row.heading)}",
            f"base = {_q(row.base)}",
            f"base_distro = {_q(base_distro(row.base))}",
            f"gcc = {_q(row.gcc)}",
            f"arches = {_q(row.arches)}",
            f"support_ended = {_q(row.support_ended)}",
            "",
        ]
    lines += [
        "# From build.sh: the base image and gcc toolset of each policy PyPA still builds ('' for",
        "# the toolset: the base system's own gcc). same_toolset: the packages script installs",
        "# gcc, g++ and gfortran from that one toolset.",
    ]
    for name, values in build.items():
        lines += [
            "[[build]]",
            f"policy = {_q(canonical(name))}",
            'source = "build"',
            f"base_image = {_q(values.get('BASEIMAGE', ''))}",
            f"toolset = {_q(toolset_of(values.get('DEVTOOLSET_ROOTPATH', '')))}",
            f"same_toolset = {'true' if same_toolset else 'false'}",
            "",
        ]
    lines.append("# From manylinux-inspector: the newest report of each published image.")
    for image in images:
        lines += [
            "[[image]]",
            f"policy = {_q(canonical(image.name))}",
            f"arch = {_q(image.arch)}",
            'source = "inspector"',
            f"report = {_q(image.report)}",
            f"image = {_q(image.image)}",
            f"inspected = {_q(image.inspected)}",
        ]
        lines += [f"{k} = {_q(v)}" for k, v in image.values.items()]
        if image.not_published:
            lines.append(f"not_published = {_inline(image.not_published)}")
        lines.append("")
    lines.append("# Policies auditwheel knows that PyPA never published a build image for.")
    for policy, why in no_image.items():
        lines += ["[[no_image]]", f"policy = {_q(policy)}", f"why = {_q(why)}", ""]
    return "\n".join(lines).rstrip() + "\n"


def derive(manylinux: Path, inspector: Path, read: str) -> str:
    ml = Copy(manylinux)
    readme_text = ml.read("README.rst")
    build_text = ml.read("build.sh")
    if readme_text is None or build_text is None:
        raise SystemExit(f"{manylinux}: no README.rst and build.sh (a copy of {MANYLINUX})")
    commit, committed = ml.commit()
    snapshot = _SNAPSHOT_COMMIT.search(ml.read("SNAPSHOT.md") or "")
    ml_read = read
    if not commit and snapshot:
        commit, committed, ml_read = snapshot.groups()
    readme = readme_rows(readme_text)
    build = build_rows(build_text)
    sources = {
        "readme": _source(MANYLINUX, "README.rst", commit, committed, ml_read),
        "build": _source(MANYLINUX, "build.sh", commit, committed, ml_read),
    }
    packages = ml.read(PACKAGES)
    if packages is not None:
        sources["packages"] = _source(MANYLINUX, PACKAGES, commit, committed, ml_read)
    insp = Copy(inspector)
    insp_commit, insp_date = insp.commit()
    sources["inspector"] = _source(INSPECTOR, "data/reports/", insp_commit, insp_date, read)
    images = []
    for (name, arch), (date, path) in sorted(newest_reports(insp.names("data/reports")).items()):
        text = insp.read(path)
        if text is None:
            raise SystemExit(f"{inspector}: cannot read {path}")
        images.append(image_row(name, arch, date, path, json.loads(text)))
    published = {canonical(row.name) for row in readme} | {canonical(i.name) for i in images}
    no_image = {}
    for policy in auditwheel_policies():
        if policy in published:
            continue
        if policy in {canonical(p) for p in build}:
            why = "build.sh has a recipe for it, but README.rst lists no published image"
        else:
            why = "README.rst lists no image of it and build.sh has no recipe for it"
        no_image[policy] = f"not published by PyPA: {why}"
    return render(sources, readme, build, one_toolset(packages), images, no_image)


def _source(repository: str, path: str, commit: str, committed: str, read: str) -> dict[str, str]:
    return {
        "repository": repository,
        "path": path,
        "commit": commit or "unknown",
        "committed": committed,
        "read": read,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manylinux", type=Path, required=True, help=f"a copy of {MANYLINUX}")
    parser.add_argument("--inspector", type=Path, required=True, help=f"a copy of {INSPECTOR}")
    parser.add_argument("--read", default=_dt.date.today().isoformat(), help="the date read")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = derive(args.manylinux, args.inspector, args.read)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
