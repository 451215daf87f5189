"""Static checks of a wheel, before anything runs.

policy_problems: what stands between the wheel and the policy it claims, in auditwheel's own
    terms (harness.analysis.audit: its wheel_abi over its lddtree), so that a library the wheel
    finds through its RUNPATH ($ORIGIN) counts as bundled, as `auditwheel show` counts it.
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
from harness.judge import policy as policy_mod
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


@dataclass(frozen=True)
class Finding:
    kind: str
    file: str
    detail: str
    examples: tuple[str, ...] = ()

    @property
    def warns(self) -> bool:
        return self.kind in WARNING_KINDS

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "detail": self.detail,
            "examples": list(self.examples),
        }


def _examples(names: list[str], limit: int = 5) -> tuple[str, ...]:
    once = [n for n in names if _ONCE.search(n)]
    rest = [n for n in names if not _ONCE.search(n)]
    return tuple((once + rest)[:limit])


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
        if carries_runtime and "libstdc++.so.6" not in needed.get(ext.path, ()):
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


def warned(findings: tuple[Finding, ...]) -> bool:
    return any(f.warns for f in findings)


def claimed_policy(wheel: Path, arch: str) -> str | None:
    """The auditwheel policy the wheel's tags claim, with its arch: the newest policy whose
    glibc floor is at most the oldest its manylinux tags name ("manylinux_2_17_x86_64"), or
    its oldest musllinux tag; None for a wheel that claims neither."""
    claim = WheelName.parse(wheel.name).platform
    floor = claim.glibc_floor
    if floor is not None:
        policy = policy_mod.lowest_policy_for_glibc(floor, arch)
        return policy.tag(arch) if policy else None
    musl = sorted(t.text for t in claim.tags if t.family is Family.MUSLLINUX)
    return musl[0] if musl else None


def inspection(
    audit: WheelAudit, files: tuple[ElfSymbols, ...], claimed: str | None
) -> dict[str, Any]:
    """The record's entry for one wheel: auditwheel's analysis, the claim and what stands
    between the two, the C++ runtime lint."""
    needed = {e.path: e.needed for e in audit.elves}
    findings = cxx_runtime_findings(files, needed)
    return {
        **audit.to_json(),
        "claimed_policy": claimed,
        "policy_problems": list(policy_problems(audit, claimed) if claimed else ()),
        "lint": [f.to_json() for f in findings],
        "lint_warned": warned(findings),
    }


def inspect_wheel(wheel: Path, arch: str) -> dict[str, Any]:
    """Everything static about one wheel, as JSON for the results."""
    return inspection(audit_wheel(wheel), wheel_symbols(wheel), claimed_policy(wheel, arch))
