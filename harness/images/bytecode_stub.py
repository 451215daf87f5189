# Stands in for /usr/lib/pythonX.Y/py_compile.py while mmdebstrap installs packages for an
# emulated arch (harness.images.bytecode puts it there through a dpkg diversion and takes it
# away before the bootstrap ends). Every byte-compilation a maintainer script asks for goes
# through this module run as a script, `pythonX.Y py_compile.py FILE...` (pythonX.Y-minimal,
# pythonX.Y) or `pythonX.Y -m py_compile -` (py3compile): the request is queued instead, and
# a native interpreter of the same version compiles the same files afterwards. Runs under
# the image's own Python (3.9 grammar, stdlib only).
import json
import os
import sys

QUEUE = "/var/lib/manylinux-harness-bytecode/queue.jsonl"


def main(arguments, queue_path=QUEUE):
    names = arguments
    if names == ["-"]:
        names = [line.rstrip("\n") for line in sys.stdin]
    request = {
        "python": "{}.{}".format(*sys.version_info[:2]),
        "optimize": sys.flags.optimize,
        # py_compile's default invalidation mode follows SOURCE_DATE_EPOCH
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH"),
        "files": [name for name in names if name],
    }
    os.makedirs(os.path.dirname(queue_path), exist_ok=True)
    with open(queue_path, "a") as queue:
        queue.write(json.dumps(request) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
elif __name__ == "py_compile":
    # Anything that imports py_compile for real (compileall) during the bootstrap would get
    # no bytecode at all: fail loudly rather than leave it out.
    raise RuntimeError("py_compile is deferred by manylinux-harness while the image bootstraps")
