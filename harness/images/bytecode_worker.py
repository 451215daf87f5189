# Compiles, under a native interpreter, what the image's maintainer scripts asked
# py_compile for (harness.images.bytecode_stub queued it): each file of the image's root
# filesystem ROOT, as the image's own pythonX.Y of the same version would have, with its
# in-image path recorded in the code objects and the .pyc written beside it in ROOT. Runs
# under the native twin's Python (3.9 grammar, stdlib only).
#
#     pythonX.Y bytecode_worker.py ROOT OPTIMIZE < file names, one a line
import importlib.util
import os
import py_compile
import sys


def inside(root, path, hops=0):
    """`path` as the image sees it, resolved within `root`: an absolute symlink there
    (sitecustomize.py -> /etc/pythonX.Y/...) points into the image, not at this host."""
    if hops > 40:
        raise OSError(f"too many symlinks resolving {path}")
    current = ""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    for index, part in enumerate(parts):
        if part == "..":
            current = os.path.dirname(current)
            continue
        candidate = current + "/" + part
        if os.path.islink(root + candidate):
            target = os.readlink(root + candidate)
            base = "" if target.startswith("/") else current
            rest = "/".join(parts[index + 1 :])
            return inside(root, base + "/" + target + ("/" + rest if rest else ""), hops + 1)
        current = candidate
    return root + current


def main(root, optimize):
    os.umask(0o022)  # dpkg runs maintainer scripts with this umask
    # py_compile's own default (hash-based .pyc when SOURCE_DATE_EPOCH is set): the caller
    # passes the variable on as the maintainer script had it.
    mode = py_compile._get_default_invalidation_mode()
    level = "" if optimize == 0 else optimize
    for line in sys.stdin:
        name = line.rstrip("\n")
        source = inside(root, name) if name else ""
        if not os.path.exists(source):
            # gone since it was queued (a later package removed it): nothing to compile
            continue
        py_compile.compile(
            source,
            cfile=root + importlib.util.cache_from_source(name, optimization=level),
            dfile=name,
            doraise=True,
            optimize=optimize,
            invalidation_mode=mode,
        )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
