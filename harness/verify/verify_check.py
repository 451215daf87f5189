"""manylinux-harness verify: one step of a wheel set's check, in the distro's venv.

Runs on the distro's Python (stdlib only, Python 3.9 grammar: tests/unit/probe/test_grammar.py
parses it), copied into the container as verify_check.py and run by the agent's runner.

    verify_check.py import MODULE   import MODULE in a fresh process
    verify_check.py run COMMAND     run COMMAND with /bin/sh, the venv's bin first on PATH
    verify_check.py test SPEC_JSON  the project's tests, as cibuildwheel runs them: the
                                    test-sources copied into a fresh temporary directory of
                                    the cell's user, the test environment evaluated by the
                                    shell there, before-test, then the test command in it

An import proves it returned: the fresh process writes a word on a pipe after the import, so
a module that ends its process while it is imported (os._exit(0), a bare exit status 0) is
an import that did not complete, not one that passed.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile


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


def venv_env():
    venv_bin = os.path.dirname(sys.executable)
    env = dict(os.environ)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    env["VIRTUAL_ENV"] = os.path.dirname(venv_bin)
    return env


def copy_sources(project, sources, directory):
    """Each test source (a file or a directory of the project) to the same relative place."""
    for source in sources:
        origin = os.path.join(project, source)
        target = os.path.join(directory, source)
        parent = os.path.dirname(target)
        if parent and not os.path.isdir(parent):
            os.makedirs(parent)
        if os.path.isdir(origin):
            shutil.copytree(origin, target, symlinks=True)
        else:
            shutil.copy2(origin, target)


def shell_script(spec):
    """The shell script of the test step: the test environment's assignments as written
    (the shell evaluates them here, `$(...)` included, as this user), then before-test, then
    the test command. The commands come in the environment, never spliced into the text."""
    lines = []
    for name, value in spec.get("environment", []):
        lines.append("%s=%s" % (name, value))
        lines.append("export %s" % name)
    lines.append(
        'if [ -n "$MH_BEFORE_TEST" ]; then /bin/sh -c "$MH_BEFORE_TEST" || '
        '{ status=$?; echo "before-test exited with status $status: $MH_BEFORE_TEST" >&2; '
        "exit $status; }; fi"
    )
    lines.append('exec /bin/sh -c "$MH_TEST_COMMAND"')
    return "\n".join(lines) + "\n"


def run_tests(spec, env):
    """The test step; returns the command's exit status (negative: its signal)."""
    scratch = os.environ.get("TMPDIR") or os.environ.get("HOME") or None
    directory = tempfile.mkdtemp(prefix="tests-", dir=scratch)
    copy_sources(spec.get("project") or "", spec.get("sources", []), directory)
    env = dict(env)
    env["MH_TEST_COMMAND"] = spec["command"]
    env["MH_BEFORE_TEST"] = spec.get("before_test") or ""
    # pytest's cache beside the copy, the one place this user may write (a test command
    # that names {project} would otherwise try the project's read-only copy).
    addopts = env.get("PYTEST_ADDOPTS", "")
    cache = "-o cache_dir=" + os.path.join(directory, ".pytest_cache")
    env["PYTEST_ADDOPTS"] = (addopts + " " + cache).strip()
    # pytest cuts its summary lines to the terminal's width: the first failure's message is
    # what the diagnosis quotes.
    env.setdefault("COLUMNS", "400")
    sys.stdout.flush()
    code = subprocess.call(["/bin/sh", "-c", shell_script(spec)], cwd=directory, env=env)
    if code > 0:
        sys.stdout.flush()
        sys.stderr.write("the test command exited with status %d: %s\n" % (code, spec["command"]))
    return code


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
    if step == "test":
        finish(run_tests(json.loads(argument), venv_env()))
        return
    code = subprocess.call(argument, shell=True, env=venv_env())
    if code > 0:
        sys.stdout.flush()
        sys.stderr.write("the --check command exited with status %d: %s\n" % (code, argument))
    finish(code)


if __name__ == "__main__":
    main(sys.argv[1:])
