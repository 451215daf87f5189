"""Static checks of a built wheel, before anything runs.

policy_problems: what the wheel needs from the system beyond what its claimed policy allows
    (auditwheel's whitelist and symbol versions): a claim that is broken on paper.
cxx_runtime_findings: the pattern behind C++ dual-runtime crashes (pyarrow + tensorflow
    through std::call_once): extension modules that export C++ runtime internals, or carry a
    private copy of parts of libstdc++ (static libstdc++, devtoolset's libstdc++_nonshared),
    whose symbols can interpose on, or be interposed by, another module's runtime.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.analysis.elf import WheelAnalysis, analyze_wheel, requirements_of
from harness.judge import policy as policy_mod
from harness.judge.expectation import WheelClaim
from harness.judge.policy import PolicyInfo
from harness.probe.facts import version_tuple

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


def cxx_runtime_findings(analysis: WheelAnalysis) -> tuple[Finding, ...]:
    findings: list[Finding] = []
    for ext in analysis.extensions:
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
        if carries_runtime and "libstdc++.so.6" not in ext.needed:
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


def policy_problems(analysis: WheelAnalysis, policy: PolicyInfo) -> tuple[str, ...]:
    """Where the wheel needs more from the system than `policy` lets it assume."""
    problems = [
        f"needs {lib}, which is not on {policy.display_name}'s whitelist and was not grafted"
        for lib in analysis.external
        if lib not in policy.whitelist
    ]
    for family, versions in sorted(requirements_of(analysis).items()):
        allowed = policy.symbol_versions.get(family)
        if allowed is None:
            continue
        beyond = sorted((v for v in versions if v not in allowed), key=version_tuple)
        if beyond:
            # auditwheel also lists named versions (CXXABI_FLOAT128, CXXABI_TM_1): not ordered
            numbered = [v for v in allowed if v[:1].isdigit()]
            newest = max(numbered, key=version_tuple) if numbered else "none"
            problems.append(
                f"needs {family}_{beyond[-1]}, beyond {policy.display_name} ({family} <= {newest})"
            )
    return tuple(problems)


def inspect_wheel(wheel: Path, arch: str) -> dict[str, Any]:
    """Everything static about one built wheel, as JSON for the results: what it needs from
    the system, where that goes beyond its claimed policy, and the C++ runtime lint."""
    analysis = analyze_wheel(wheel)
    claim = WheelClaim.from_filename(wheel.name)
    floor = claim.glibc_floor
    claimed = None
    problems: tuple[str, ...] = ()
    if floor is not None:
        claimed = policy_mod.lowest_policy_for_glibc(floor, arch)
        if claimed is not None:
            problems = policy_problems(analysis, claimed)
    findings = cxx_runtime_findings(analysis)
    return {
        **analysis.to_json(),
        "claimed_policy": claimed.name if claimed else None,
        "policy_problems": list(problems),
        "lint": [f.to_json() for f in findings],
        "lint_warned": warned(findings),
    }
