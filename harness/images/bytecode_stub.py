# Stands in for /usr/lib/pythonX.Y/py_compile.py while mmdebstrap installs packages for an
# emulated arch (harness.images.bytecode puts it there through a dpkg diversion and takes it
# away before the bootstrap ends). Every byte-compilation a maintainer script asks for goes
# through this module run as a script, `pythonX.Y py_compile.py FILE...` (pythonX.Y-minimal,
# pythonX.Y) or `pythonX.Y -m py_compile -` (py3compile): the request is queued instead, and
# a native interpreter of the same version compiles the same files afterwards. Runs under
# the image's own Python (3.9 grammar) before its full standard library is configured: only
# builtins, os and sys (bullseye's python3.9-minimal has no json).
import os
import sys

QUEUE = "/var/lib/manylinux-harness-bytecode/queue.tsv"


def main(arguments, queue_path=QUEUE):
    names = arguments
    if names == ["-"]:
        names = [line.rstrip("\n") for line in sys.stdin]
    # One line per file: python, optimization level, SOURCE_DATE_EPOCH (py_compile's default
    # invalidation mode follows it; "-" when unset) and the file, tab-separated.
    python = "{}.{}".format(*sys.version_info[:2])
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "-")
    os.makedirs(os.path.dirname(queue_path), exist_ok=True)
    with open(queue_path, "a") as queue:
        for name in names:
            if name:
                queue.write("\t".join((python, str(sys.flags.optimize), epoch, name)) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
elif __name__ == "py_compile":
    # Anything that imports py_compile for real (compileall) during the bootstrap would get
    # no bytecode at all: fail loudly rather than leave it out.
    raise RuntimeError("py_compile is deferred by manylinux-harness while the image bootstraps")
