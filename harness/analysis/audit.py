"""What a wheel needs from the system, what it bundles and where, and the policy it actually
satisfies, from the installed (pinned) auditwheel's own analysis: its wheel_abi (the one
`auditwheel show` runs) over its lddtree, which resolves DT_NEEDED through each ELF's RPATH and
RUNPATH ($ORIGIN included) as the loader does. Nothing of that analysis is re-implemented
here: this module turns auditwheel's answer into plain data for the record.

Resolution of what is not in the wheel uses the host's library paths, as `auditwheel show`
does on the same host; a library is "bundled" when lddtree resolved it to a file inside the
wheel, whatever directory it sits in (auditwheel's *.libs, pyarrow's own package dir).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from harness.util.wheel_zip import DEFAULT_LIMITS, WheelLimits, open_wheel
from harness.vocab.versions import version_tuple

if TYPE_CHECKING:
    from auditwheel.lddtree import DynamicExecutable
    from auditwheel.policy import Policy
    from auditwheel.wheel_abi import WheelAbIInfo

# The dynamic loader is every process's interpreter, never a dependency (auditwheel skips
# the same names in its whitelist filter): glibc's, and musl's.
LOADERS = ("ld-linux", "ld64.so", "ld-musl-")


@dataclass(frozen=True)
class ElfLayout:
    """One ELF file of the wheel as lddtree read it."""

    path: str  # inside the wheel
    needed: tuple[str, ...]
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]


@dataclass(frozen=True)
class WheelAudit:
    wheel: str
    pure: bool  # no ELF for a platform: nothing to audit
    policy: str | None  # auditwheel's overall policy, e.g. "manylinux_2_28_x86_64"
    sym_policy: str | None  # what the symbol versions alone allow
    # sonames outside the highest policy's whitelist, not in the wheel (`show`'s external_libs)
    external_libs: tuple[str, ...] = ()
    # sonames the wheel's ELFs need that are not in it (whitelisted or not)
    system: tuple[str, ...] = ()
    bundled: Mapping[str, str] = field(default_factory=dict)  # soname -> path in the wheel
    elves: tuple[ElfLayout, ...] = ()
    # soname -> version names, as `auditwheel show` reports them: the wheel's ELFs' and those
    # of the libraries it would have to graft (auditwheel judges a policy with them)
    versioned_symbols: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # soname -> version names the wheel's own ELFs require (what a loader checks)
    own_versions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # policy name -> what stands between the wheel and that policy
    gaps: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def system_versions(self) -> dict[str, tuple[str, ...]]:
        return {lib: v for lib, v in self.own_versions.items() if lib not in self.bundled}

    def to_json(self) -> dict[str, Any]:
        return {
            "wheel": self.wheel,
            "pure": self.pure,
            "policy": self.policy,
            "sym_policy": self.sym_policy,
            "external_libs": list(self.external_libs),
            # "external" and "grafted": the names sample conditions and reports read
            "external": list(self.system),
            "grafted": sorted(self.bundled),
            "bundled": dict(self.bundled),
            "elves": [
                {
                    "path": e.path,
                    "needed": list(e.needed),
                    "rpath": list(e.rpath),
                    "runpath": list(e.runpath),
                }
                for e in self.elves
            ],
            "versioned_symbols": {k: list(v) for k, v in self.versioned_symbols.items()},
            "max_versions": max_versions(v for vs in self.system_versions.values() for v in vs),
        }


def _family_and_version(name: str) -> tuple[str, str] | None:
    """ "GLIBCXX_3.4.29" -> ("GLIBCXX", "3.4.29"); "GLIBC_PRIVATE" -> None."""
    family, sep, version = name.rpartition("_")
    if not sep or not version[:1].isdigit():
        return None
    return family, version


def max_versions(requirements: Iterable[str]) -> dict[str, str]:
    """family -> newest version among the names, e.g. {"GLIBC": "2.34"}."""
    best: dict[str, str] = {}
    for name in requirements:
        parsed = _family_and_version(name)
        if parsed is None:
            continue
        family, version = parsed
        if family not in best or version_tuple(version) > version_tuple(best[family]):
            best[family] = version
    return best


def _root_of(executables: Mapping[Path, DynamicExecutable], members: set[str]) -> Path | None:
    """The directory auditwheel extracted the wheel into (gone by now; its paths remain in
    lddtree's answers): the prefix under which resolved libraries are wheel members. The
    trees' own keys are relative to it (auditwheel works from inside it), so the libraries'
    real paths tell it; the most frequent prefix wins over a host library that happens to
    share a member's name."""
    votes: Counter[Path] = Counter()
    for tree in executables.values():
        for library in tree.libraries.values():
            path = library.realpath
            if path is None or not path.is_absolute():
                continue
            parts = path.parts
            for start in range(1, len(parts)):
                if "/".join(parts[start:]) in members:
                    votes[Path(*parts[:start])] += 1
    return votes.most_common(1)[0][0] if votes else None


def _inside(path: Path | None, root: Path | None) -> str | None:
    if path is None or root is None or not path.is_absolute() or not path.is_relative_to(root):
        return None
    return PurePosixPath(*path.relative_to(root).parts).as_posix()


def _shown(paths: tuple[str, ...], root: Path | None) -> tuple[str, ...]:
    """lddtree's search paths ($ORIGIN expanded), those inside the wheel as "WHEEL/dir"."""
    shown = []
    for path in paths:
        inside = _inside(Path(path), root)
        shown.append(f"WHEEL/{inside}" if inside is not None else path)
    return tuple(shown)


def layout(
    executables: Mapping[Path, DynamicExecutable], members: set[str]
) -> tuple[dict[str, str], tuple[str, ...], tuple[ElfLayout, ...]]:
    """(bundled soname -> path in the wheel, sonames needed from the system, the ELFs) from
    lddtree's trees: a library is bundled when lddtree resolved it inside the wheel."""
    root = _root_of(executables, members)
    bundled: dict[str, str] = {}
    needs: set[str] = set()
    elves: list[ElfLayout] = []
    for path, tree in executables.items():
        where = _inside(path, root) or PurePosixPath(*path.parts).as_posix()
        elves.append(
            ElfLayout(where, tree.needed, _shown(tree.rpath, root), _shown(tree.runpath, root))
        )
        needs.update(tree.needed)
        for soname, library in tree.libraries.items():
            inside = _inside(library.realpath, root)
            if inside is not None:
                bundled[soname] = inside
    for tree in executables.values():
        for soname, library in tree.libraries.items():
            if soname in bundled:
                needs.update(library.needed)  # a bundled library's own needs are the wheel's
    system = sorted(n for n in needs if n not in bundled and not n.startswith(LOADERS))
    return dict(sorted(bundled.items())), tuple(system), tuple(sorted(elves, key=lambda e: e.path))


def _gaps(info: WheelAbIInfo, policy: Policy) -> tuple[str, ...]:
    """What keeps the wheel from `policy`, in auditwheel's terms."""
    name = policy.aliases[0] if policy.aliases else policy.name
    found = [
        f"needs {lib}, which is not on {name}'s whitelist and is not in the wheel"
        for lib in sorted(info.external_refs[policy.name].libs)
    ]
    for family, allowed in sorted(policy.symbol_versions.items()):
        beyond = sorted(
            {
                version
                for versions in info.versioned_symbols.values()
                for symbol in versions
                if (parsed := _family_and_version(symbol)) and parsed[0] == family
                for version in [parsed[1]]
                if version not in allowed
            },
            key=version_tuple,
        )
        if beyond:
            numbered = [v for v in allowed if v[:1].isdigit()]
            newest = max(numbered, key=version_tuple) if numbered else "none"
            found.append(f"needs {family}_{beyond[-1]}, beyond {name} ({family} <= {newest})")
    for lib, symbols in sorted(info.external_refs[policy.name].blacklist.items()):
        found.append(f"uses {', '.join(sorted(symbols))} of {lib}, blacklisted by {name}")
    if info.machine_policy < policy:
        found.append(f"needs instruction-set extensions beyond {name}'s architecture baseline")
    if info.ucs_policy < policy or info.pyfpe_policy < policy:
        found.append(f"uses UCS2 or PyFPE_jbuf symbols, which {name} forbids")
    return tuple(found)


def audit_wheel(wheel: Path, limits: WheelLimits = DEFAULT_LIMITS) -> WheelAudit:
    """auditwheel's analysis of one wheel, as `auditwheel show` makes it (no graft allowed,
    the ISA check on), as plain data. Pure-Python wheels give `pure`; what auditwheel cannot
    read raises its own error. auditwheel unpacks the whole wheel into a temporary directory:
    a wheel over the limits is refused (WheelOverLimit) before it does."""
    from auditwheel.error import NonPlatformWheelError, WheelToolsError
    from auditwheel.wheel_abi import analyze_wheel_abi, get_wheel_elfdata
    from auditwheel.wheeltools import get_wheel_architecture, get_wheel_libc

    with open_wheel(wheel, limits) as archive:
        members = set(archive.namelist())
    logging.getLogger("auditwheel").setLevel(logging.ERROR)  # its warnings are not ours
    try:
        arch = get_wheel_architecture(wheel.name)
    except (WheelToolsError, NonPlatformWheelError):
        arch = None
    try:
        libc = get_wheel_libc(wheel.name)
    except WheelToolsError:
        libc = None
    try:
        info = analyze_wheel_abi(
            libc, arch, wheel, frozenset(), disable_isa_ext_check=False, allow_graft=False
        )
    except NonPlatformWheelError:
        return WheelAudit(wheel.name, pure=True, policy=None, sym_policy=None)
    # The same call analyze_wheel_abi made, answered from auditwheel's own cache: the trees.
    data = get_wheel_elfdata(libc, arch, wheel, frozenset(), None)
    bundled, system, elves = layout(data.full_elftree, members)
    policies = info.policies
    return WheelAudit(
        wheel=wheel.name,
        pure=False,
        policy=info.overall_policy.name,
        sym_policy=info.sym_policy.name,
        external_libs=tuple(sorted(info.external_refs[policies.highest.name].libs)),
        system=system,
        bundled=bundled,
        elves=elves,
        versioned_symbols={k: tuple(sorted(v)) for k, v in sorted(info.versioned_symbols.items())},
        own_versions={k: tuple(sorted(v)) for k, v in sorted(data.versioned_symbols.items())},
        gaps={
            p.name: _gaps(info, p) for p in policies if p.priority > 0 and p > info.overall_policy
        },
    )


def policy_problems(audit: WheelAudit, claimed: str) -> tuple[str, ...]:
    """What stands between the wheel and the policy it claims (PEP 600 name with its arch,
    e.g. "manylinux_2_17_x86_64"); none when auditwheel finds the claim holds."""
    return audit.gaps.get(claimed, ())
