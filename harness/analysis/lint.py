"""Static checks of a wheel, before anything runs.

policy_problems: what stands between the wheel and the policy it claims, in auditwheel's own
    terms (harness.analysis.audit: its wheel_abi over its lddtree), so that a library the wheel
    finds through its RUNPATH ($ORIGIN) counts as bundled, as `auditwheel show` counts it.
loader_findings: what the dynamic loader will refuse or run out of when Python dlopens the
    wheel's files (harness.analysis.loading): an executable stack (refused from glibc 2.41),
    initial-exec TLS (static TLS surplus), and a grafted library needing symbol versions beyond
    the policy the wheel's tags claim, each naming the file.
cxx_runtime_findings: the pattern behind C++ dual-runtime crashes (pyarrow + tensorflow
    through std::call_once): extension modules that export C++ runtime internals, or carry a
    private copy of parts of libstdc++ (static libstdc++, devtoolset's libstdc++_nonshared),
    whose symbols can interpose on, or be interposed by, another module's runtime. Read from
    the symbol tables of the same ELF files, their DT_NEEDED as lddtree read it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.analysis.audit import WheelAudit, audit_wheel, policy_problems
from harness.analysis.elf import ElfSymbols, wheel_symbols
from harness.analysis.loading import EXECSTACK_REFUSED_FROM, LoadNeeds, wheel_load_needs
from harness.judge import policy as policy_mod
from harness.probe.facts import version_tuple
from harness.util.wheel_zip import DEFAULT_LIMITS, WheelLimits
from harness.vocab.platform_tags import Family
from harness.vocab.wheel_name import WheelName

# Mangled prefixes of the C++ runtime: std:: functions and data (_ZSt, _ZNSt, _ZNKSt),
# typeinfo, typeinfo names and vtables of std types, guard variables of std statics,
# __gnu_cxx and __cxxabiv1 internals, and the C-level ABI entry points.
_RUNTIME = re.compile(
    r"^(?:_ZSt|_ZNSt|_ZNKSt|_ZTISt|_ZTSSt|_ZTVSt|_ZTTSt|_ZGVZNSt|_ZGVNSt|_ZN9__gnu_cxx|_ZNK9__gnu_cxx"
    r"|_ZN10__cxxabiv1|_ZTIN10__cxxabiv1|_ZTVN10__cxxabiv1|__cxa_|__gxx_personality|__once_proxy"
    r"|_ZSt15__once_callable|_ZSt11__once_call)"
)
# The call_once machinery of the pyarrow/tensorflow crash, named on its own.
_ONCE = re.compile(r"__once_proxy|__once_call|__once_callable|_ZSt9call_once")

EXPORTS_RUNTIME = "exports-cxx-runtime"
PRIVATE_RUNTIME = "private-libstdcxx"
UNHIDDEN = "unhidden-symbols"
WARNING_KINDS = (EXPORTS_RUNTIME, PRIVATE_RUNTIME)
# What the loader will refuse or run out of (loader_findings).
EXECUTABLE_STACK = "executable-stack"
GRAFTED_BEYOND_CLAIM = "grafted-beyond-claim"
STATIC_TLS = "initial-exec-tls"
LOADER_KINDS = (EXECUTABLE_STACK, GRAFTED_BEYOND_CLAIM, STATIC_TLS)


@dataclass(frozen=True)
class Finding:
    kind: str
    file: str
    detail: str
    examples: tuple[str, ...] = ()
    # Where it breaks, as a condition on the system: "glibc >= 2.41", "glibc < 2.34";
    # "load order" when it depends on what the process loaded before; "" for the C++ lint.
    breaks: str = ""

    @property
    def warns(self) -> bool:
        return self.kind in WARNING_KINDS

    def to_json(self) -> dict[str, Any]:
        found = {
            "kind": self.kind,
            "file": self.file,
            "detail": self.detail,
            "examples": list(self.examples),
        }
        if self.breaks:
            found["breaks"] = self.breaks
        return found


def _examples(names: list[str], limit: int = 5) -> tuple[str, ...]:
    once = [n for n in names if _ONCE.search(n)]
    rest = [n for n in names if not _ONCE.search(n)]
    return tuple((once + rest)[:limit])


def loads_libstdcxx(needed: tuple[str, ...]) -> bool:
    """The system's libstdc++.so.6, or a copy auditwheel grafted under a hashed name
    (libstdc++-5d72f927.so.6.0.33: every musllinux wheel's, libstdc++ not being on the
    musllinux whitelist)."""
    return any(name == "libstdc++.so.6" or name.startswith("libstdc++-") for name in needed)


def cxx_runtime_findings(
    files: tuple[ElfSymbols, ...], needed: Mapping[str, tuple[str, ...]]
) -> tuple[Finding, ...]:
    """The lint of the wheel's extension modules; `needed`: path -> DT_NEEDED."""
    findings: list[Finding] = []
    for ext in (f for f in files if f.is_extension):
        # Weak definitions are template instantiations every C++ module carries; strong and
        # unique ones are the runtime's own code and state.
        weak = set(ext.weak)
        exported_runtime = [s for s in ext.exported if _RUNTIME.match(s) and s not in weak]
        if exported_runtime:
            once = sum(1 for s in exported_runtime if _ONCE.search(s))
            unique = [s for s in exported_runtime if s in ext.unique]
            detail = f"exports {len(exported_runtime)} C++ runtime symbols"
            if unique:
                detail += (
                    f", {len(unique)} of them STB_GNU_UNIQUE (bound process-wide even under "
                    "RTLD_LOCAL, e.g. locale facet ids)"
                )
            if once:
                detail += f", {once} of them std::call_once machinery"
            examples = _examples([s for s in unique if "2idE" in s] + exported_runtime)
            findings.append(Finding(EXPORTS_RUNTIME, ext.path, detail, examples))
        defined_runtime = [s for s in ext.defined if _RUNTIME.match(s)]
        carries_runtime = len(defined_runtime) >= 20 or any(
            _ONCE.search(s) for s in defined_runtime
        )
        if carries_runtime and not loads_libstdcxx(needed.get(ext.path, ())):
            findings.append(
                Finding(
                    PRIVATE_RUNTIME,
                    ext.path,
                    f"defines {len(defined_runtime)} C++ runtime symbols and does not load libstdc++.so.6: "
                    "a private copy of the runtime (static libstdc++)",
                    _examples(defined_runtime),
                )
            )
        extra = [s for s in ext.exported if not s.startswith("PyInit_")]
        if extra:
            findings.append(
                Finding(
                    UNHIDDEN,
                    ext.path,
                    f"exports {len(extra)} symbols besides PyInit_* (hide them: -fvisibility=hidden, a version script)",
                    tuple(extra[:5]),
                )
            )
    return tuple(findings)


def _beyond(
    versions: Mapping[str, tuple[str, ...]], allowed: Mapping[str, frozenset[str]]
) -> list[tuple[str, str, str]]:
    """(soname, family, version) a file requires beyond a policy's symbol versions, newest of
    each family first."""
    beyond: dict[str, tuple[str, str]] = {}
    for soname, names in versions.items():
        for name in names:
            family, sep, version = name.rpartition("_")
            if not sep or not version[:1].isdigit() or family not in allowed:
                continue
            if version in allowed[family]:
                continue
            if family not in beyond or version_tuple(version) > version_tuple(beyond[family][1]):
                beyond[family] = (soname, version)
    return [(soname, family, version) for family, (soname, version) in sorted(beyond.items())]


def loader_findings(
    files: tuple[LoadNeeds, ...],
    grafted: Mapping[str, str],
    claimed: policy_mod.PolicyInfo | None,
) -> tuple[Finding, ...]:
    """The loader findings of a wheel's ELF files; `grafted`: soname -> path in the wheel of
    the libraries auditwheel's lddtree resolved inside it; `claimed`: the policy its tags
    claim (None: no manylinux tag, no symbol-version finding)."""
    findings: list[Finding] = []
    grafted_paths = {path: soname for soname, path in grafted.items()}
    refused_from = ".".join(map(str, EXECSTACK_REFUSED_FROM))
    for needs in files:
        name = needs.path.rsplit("/", 1)[-1]
        role = f"grafted library {name}" if needs.path in grafted_paths else name
        if needs.executable_stack:
            how = (
                "GNU_STACK is RWE"
                if needs.stack == "executable"
                else "no GNU_STACK header (an object without .note.GNU-stack)"
            )
            findings.append(
                Finding(
                    EXECUTABLE_STACK,
                    needs.path,
                    f"{role} requires an executable stack ({how}): dlopen refuses it from "
                    f"glibc {refused_from} (cannot enable executable stack)",
                    breaks=f"glibc >= {refused_from}",
                )
            )
        if needs.static_tls and needs.tls_bytes:
            findings.append(
                Finding(
                    STATIC_TLS,
                    needs.path,
                    f"{role} has {needs.tls_bytes} bytes of initial-exec TLS (DF_STATIC_TLS): "
                    "dlopen'ed, it must fit glibc's static TLS surplus, shared with every module "
                    "loaded before it (1664 to 1712 bytes measured on x86_64's Debian glibcs)",
                    breaks="load order",
                )
            )
        if claimed is not None and needs.path in grafted_paths:
            for soname, family, version in _beyond(needs.versions, claimed.symbol_versions):
                numbered = [v for v in claimed.symbol_versions[family] if v[:1].isdigit()]
                newest = max(numbered, key=version_tuple) if numbered else "none"
                where = (
                    f"glibc < {version}"
                    if family == "GLIBC"
                    else f"{soname} without {family}_{version}"
                )
                findings.append(
                    Finding(
                        GRAFTED_BEYOND_CLAIM,
                        needs.path,
                        f"grafted library {name} needs "
                        f"{family}_{version} of {soname}, beyond the claimed "
                        f"{claimed.display_name} ({family} <= {newest})",
                        breaks=where,
                    )
                )
    return tuple(findings)


def warned(findings: tuple[Finding, ...]) -> bool:
    return any(f.warns for f in findings)


def claimed_manylinux(wheel: Path, arch: str) -> policy_mod.PolicyInfo | None:
    """The manylinux policy the wheel's tags claim: the newest policy whose glibc floor is at
    most the oldest its manylinux tags name; None for a wheel without a manylinux tag."""
    floor = WheelName.parse(wheel.name).platform.glibc_floor
    return policy_mod.lowest_policy_for_glibc(floor, arch) if floor is not None else None


def claimed_policy(wheel: Path, arch: str) -> str | None:
    """The auditwheel policy the wheel's tags claim, with its arch ("manylinux_2_17_x86_64"),
    or its oldest musllinux tag; None for a wheel that claims neither."""
    claim = WheelName.parse(wheel.name).platform
    if claim.glibc_floor is not None:
        policy = claimed_manylinux(wheel, arch)
        return policy.tag(arch) if policy else None
    musl = sorted(t.text for t in claim.tags if t.family is Family.MUSLLINUX)
    return musl[0] if musl else None


def inspection(
    audit: WheelAudit,
    files: tuple[ElfSymbols, ...],
    claimed: str | None,
    loader: tuple[Finding, ...] = (),
) -> dict[str, Any]:
    """The record's entry for one wheel: auditwheel's analysis, the claim and what stands
    between the two, the C++ runtime lint and the loader findings."""
    needed = {e.path: e.needed for e in audit.elves}
    findings = cxx_runtime_findings(files, needed)
    return {
        **audit.to_json(),
        "claimed_policy": claimed,
        "policy_problems": list(policy_problems(audit, claimed) if claimed else ()),
        "lint": [f.to_json() for f in (*findings, *loader)],
        "lint_warned": warned(findings),
    }


def grafted_by_layout(files: tuple[LoadNeeds, ...]) -> dict[str, str]:
    """The libraries auditwheel grafted, by where it puts them (<package>.libs/, older
    releases <package>/.libs/), keyed by file name: what inspect_loader uses in place of
    lddtree's resolution, which takes auditwheel's whole analysis."""
    return {
        f.path.rsplit("/", 1)[-1]: f.path
        for f in files
        if any(part.endswith(".libs") for part in f.path.split("/")[:-1])
    }


def inspect_loader(wheel: Path, arch: str, limits: WheelLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """The loader findings alone, in seconds for any wheel (for scans over many projects):
    grafted libraries told by auditwheel's layout instead of its analysis."""
    files = wheel_load_needs(wheel, limits)
    findings = loader_findings(files, grafted_by_layout(files), claimed_manylinux(wheel, arch))
    return {
        "wheel": wheel.name,
        "claimed_policy": claimed_policy(wheel, arch),
        "lint": [f.to_json() for f in findings],
    }


def inspect_wheel(wheel: Path, arch: str, limits: WheelLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Everything static about one wheel, as JSON for the results; a wheel over the limits
    raises WheelOverLimit before any of it is unpacked."""
    audit = audit_wheel(wheel, limits)
    loader = loader_findings(
        wheel_load_needs(wheel, limits), audit.bundled, claimed_manylinux(wheel, arch)
    )
    return inspection(audit, wheel_symbols(wheel, limits), claimed_policy(wheel, arch), loader)
