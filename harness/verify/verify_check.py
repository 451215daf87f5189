"""manylinux-harness verify: one step of a wheel set's check, in the distro's venv.

Runs on the distro's Python (stdlib only, Python 3.9 grammar: tests/unit/probe/test_grammar.py
parses it), copied into the container as verify_check.py and run by the agent's runner.

    verify_check.py import MODULE   import MODULE in a fresh process
    verify_check.py run COMMAND     run COMMAND with /bin/sh, the venv's bin first on PATH
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
        code = subprocess.call(
            [
                sys.executable,
                "-c",
                "import importlib, sys; importlib.import_module(sys.argv[1])",
                argument,
            ]
        )
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
