"""manylinux-harness verify: one step of a wheel set's check, in the distro's venv.

Runs on the distro's Python (stdlib only, Python 3.9 grammar: tests/unit/probe/test_grammar.py
parses it), copied into the container as verify_check.py and run by the agent's runner.

    verify_check.py import MODULE   import MODULE in a fresh process
    verify_check.py run COMMAND     run COMMAND with /bin/sh, the venv's bin first on PATH

An import proves it returned: the fresh process writes a word on a pipe after the import, so
a module that ends its process while it is imported (os._exit(0), a bare exit status 0) is
an import that did not complete, not one that passed.
"""

import os
import signal
import subprocess
import sys


def finish(code):
    if code < 0:
        # Killed by a signal: die by the same one, so that the agent records the signal.
        import faulthandler

        faulthandler.disable()
        sys.stdout.flush()
        sys.stderr.flush()
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    if code != 0:
        sys.exit(code)


def main(argv):
    step, argument = argv[0], argv[1]
    if step == "import":
        read_end, write_end = os.pipe()
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import importlib, os, sys; importlib.import_module(sys.argv[1]); "
                "os.write(int(sys.argv[2]), b'returned')",
                argument,
                str(write_end),
            ],
            pass_fds=(write_end,),
        )
        os.close(write_end)
        # The word is written before the process ends: it is in the pipe once it has (a
        # process the import left running may hold the pipe open; it is not waited for).
        code = child.wait()
        os.set_blocking(read_end, False)
        try:
            said = os.read(read_end, 64)
        except BlockingIOError:
            said = b""
        os.close(read_end)
        if code == 0 and said != b"returned":
            sys.stdout.flush()
            sys.stderr.write(
                "RuntimeError: importing %s ended its process (exit status 0) before the "
                "import returned\n" % argument
            )
            sys.exit(3)
        finish(code)
        return
    venv_bin = os.path.dirname(sys.executable)
    env = dict(os.environ)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    env["VIRTUAL_ENV"] = os.path.dirname(venv_bin)
    code = subprocess.call(argument, shell=True, env=env)
    if code > 0:
        sys.stdout.flush()
        sys.stderr.write("the --check command exited with status %d: %s\n" % (code, argument))
    finish(code)


if __name__ == "__main__":
    main(sys.argv[1:])
