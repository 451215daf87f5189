"""The probe agent's measurements of a distro: its C library (glibc's version, or musl's), the
libraries its loader finds by name and the newest symbol versions they define, and the tags
packaging computes for the interpreter. Runs inside distro containers beside agent.py (stdlib
only, Python 3.9 grammar: tests/unit/probe/test_grammar.py parses it)."""

import glob
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


# musl's loader searches these when no /etc/ld-musl-ARCH.path names others (ldso/dynlink.c)
MUSL_DEFAULT_PATH = ("/lib", "/usr/local/lib", "/usr/lib")


def musl_loader(root="/"):
    """The musl dynamic loader (/lib/ld-musl-ARCH.so.1), or None on a system without one."""
    found = sorted(glob.glob(os.path.join(root, "lib", "ld-musl-*.so.1")))
    return found[0] if found else None


def musl_version(loader):
    """musl's version, as its loader prints it when run by name ("Version 1.2.3"), the way
    packaging's musllinux detection reads it."""
    try:
        proc = subprocess.run(
            [loader], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = proc.stderr.decode("utf-8", "replace")
    match = re.search(r"^Version (\d+\.\d+(?:\.\d+)?)", text, re.M)
    return match.group(1) if match else None


def musl_search_path(loader, root="/"):
    """The directories musl's loader searches for a library by name: its path file
    (/etc/ld-musl-ARCH.path: entries separated by newlines or colons), else the defaults."""
    arch = os.path.basename(loader)[len("ld-musl-") : -len(".so.1")]
    try:
        with open(os.path.join(root, "etc", "ld-musl-%s.path" % arch)) as handle:
            text = handle.read()
    except OSError:
        return list(MUSL_DEFAULT_PATH)
    return [entry for entry in re.split(r"[:\n]", text) if entry.strip()]


_SHARED_OBJECT = re.compile(r"^(lib.*|ld-musl-.*)\.so(\.\d+)*$")


def musl_entries(loader, root="/"):
    """What musl's loader finds by name, as ldconfig -p lists it for glibc: soname -> path,
    the first directory of the search path that has it winning. musl has no cache and no
    ldconfig; a file is found if its name is the name asked for."""
    entries = {}
    for directory in musl_search_path(loader, root):
        try:
            names = sorted(os.listdir(os.path.join(root, directory.strip().lstrip("/"))))
        except OSError:
            continue
        for name in names:
            if _SHARED_OBJECT.match(name):
                entries.setdefault(name, os.path.join(directory.strip(), name))
    return entries


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
        "musl": None,
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
    loader = None if result["glibc"] else musl_loader()
    if loader:
        result["musl"] = musl_version(loader)
        entries = musl_entries(loader)
    else:
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
