"""The probe agent's measurements of a distro: its C library, the libraries ldconfig knows
and the newest symbol versions they define, and the tags packaging computes for the
interpreter. Runs inside distro containers beside agent.py (stdlib only, Python 3.9 grammar:
tests/unit/probe/test_grammar.py parses it)."""

import os
import re
import subprocess
import sys

# The symbol-version families manylinux policies bound besides GLIBC (the C library's own
# version), and the whitelisted library that defines each: the newest version each library
# here defines is measured, so the host can say where a distro falls short of a policy.
# harness.judge.distro_offer reads this table too (one list, where it is measured).
VERSIONED_LIBRARIES = (
    ("GLIBCXX", "libstdc++.so.6"),
    ("CXXABI", "libstdc++.so.6"),
    ("GCC", "libgcc_s.so.1"),
    ("LIBATOMIC", "libatomic.so.1"),
    ("ZLIB", "libz.so.1"),
)


def ldconfig_entries():
    for ldconfig in ("/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"):
        try:
            out = subprocess.check_output([ldconfig, "-p"], stderr=subprocess.DEVNULL)
        except (OSError, subprocess.CalledProcessError):
            continue
        entries = {}
        for line in out.decode("utf-8", "replace").splitlines()[1:]:
            match = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
            if match:
                entries.setdefault(match.group(1), match.group(3))
        return entries
    return {}


def newest_version(path, family):
    """The newest FAMILY_x.y[.z] version string a library defines (e.g. GLIBCXX, CXXABI)."""
    if not path:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    pattern = family.encode() + rb"_(\d+\.\d+(?:\.\d+)*)\b"
    versions = set(re.findall(pattern, data))
    if not versions:
        return None
    best = max(versions, key=lambda v: tuple(int(x) for x in v.split(b".")))
    return best.decode()


def os_name():
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            with open(path) as handle:
                for line in handle:
                    if line.startswith("PRETTY_NAME="):
                        return line.split("=", 1)[1].strip().strip('"')
        except OSError:
            continue
    return ""


def system_facts(libdir):
    """What the distro is, measured; LIBDIR holds the pinned packaging the probe ships."""
    import platform
    import sysconfig

    result = {
        "os_name": os_name(),
        "machine": platform.machine(),
        "python_version": platform.python_version(),
        "python_platform": sysconfig.get_platform(),
        "glibc": None,
        "glibcxx_max": None,
        "cxxabi_max": None,
        "pip_version": "",
        "packaging_version": "",
        "supported_tags": [],
        "sonames": [],
        "problems": [],
    }
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
        if libc.startswith("glibc "):
            result["glibc"] = libc.split()[1]
    except (ValueError, OSError):
        pass
    entries = ldconfig_entries()
    result["sonames"] = sorted(entries)
    result["glibcxx_max"] = newest_version(entries.get("libstdc++.so.6"), "GLIBCXX")
    result["cxxabi_max"] = newest_version(entries.get("libstdc++.so.6"), "CXXABI")
    maxima = {}
    for family, soname in VERSIONED_LIBRARIES:
        newest = newest_version(entries.get(soname), family)
        if newest:
            maxima[family] = newest
    result["symbol_maxima"] = maxima

    sys.path.insert(0, libdir)
    try:
        import packaging
        from packaging import tags

        result["packaging_version"] = getattr(packaging, "__version__", "")
        result["supported_tags"] = [str(tag) for tag in tags.sys_tags()]
    except Exception as exc:  # an interpreter too old for the mounted packaging
        result["problems"].append("packaging: %s: %s" % (type(exc).__name__, exc))
    return result
