"""The probe agent: runs *inside* distro containers, with the distro's own Python.

Standard library only (plus the pinned libraries the probe ships into LIBDIR), and written for
the oldest interpreter a catalog row can present, OLDEST_PYTHON below (harness/probe/deps.py
says why; tests/unit/probe/test_grammar.py parses this file with that grammar): no walrus,
no match, no `X | Y` annotations, no str.removeprefix, no zip(strict=).
It measures facts and carries out cells; it does not judge. Every result is one JSON line
after a marker, so stray output from pip or the loader cannot corrupt it.

    python3 agent.py facts TEMPLATE_VENV LIBDIR
    python3 agent.py cell SPEC_JSON
"""

import fcntl
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import sys
import time
import zipfile

try:  # in the container: agent_facts.py, cell_users.py and pip_server.py sit beside this file
    import agent_facts
    import cell_users
    import pip_server
except ImportError:  # on the host (the harness's own tests): modules of harness.probe
    from harness.probe import agent_facts, cell_users, pip_server

MARKER = "@@MANYLINUX-HARNESS@@"
# Kept equal to harness.probe.deps.OLDEST_PYTHON (a unit test checks): this file cannot import
# the harness.
OLDEST_PYTHON = (3, 9)
TAIL = 8000
RUNNER = r"""
import importlib, json, os, runpy, sys
stage_file, spec_file = sys.argv[1], sys.argv[2]
with open(spec_file) as handle:
    spec = json.load(handle)
def stage(text):
    with open(stage_file, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
if spec.get("dlopen") == "global":
    sys.setdlopenflags(sys.getdlopenflags() | os.RTLD_GLOBAL)
for module in spec["imports"]:
    stage("import " + module)
    importlib.import_module(module)
for name, path, args in spec["checks"]:
    stage("check " + name)
    sys.argv = [path] + list(args)  # the check learns which modules to check
    runpy.run_path(path, run_name="__main__")
stage("done")
"""


# The loader's refusal of an object that requires an executable stack (glibc >= 2.41), and the
# tunable that allows it again (2: also for dlopen'ed objects); a retry with it set shows
# whether the stack, and nothing else, broke the import.
EXECSTACK_REFUSAL = "cannot enable executable stack as shared object requires"
EXECSTACK_TUNABLE = "glibc.rtld.execstack=2"

# qemu-user reports a guest's fatal signal as an exit status
FATAL_EXIT_STATUSES = tuple(
    128 + s for s in (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGILL, signal.SIGFPE)
)


def emit(data):
    sys.stdout.write(MARKER + json.dumps(data) + "\n")
    sys.stdout.flush()


def run(command, timeout, env=None, cwd=None, uid=None):
    """Run a command (as `uid`, every process of which is gone when it returns); see
    cell_users.run."""
    return cell_users.run(command, timeout, env=env, cwd=cwd, uid=uid, tail=TAIL)


def facts(template, libdir, isolate=False):
    """The distro's facts (agent_facts), then its pip: the template venv, pip's version, and
    the distro pip's server started (set-up, not a cell's cost). `isolate`: this is a probe
    container whose cells run as users of their own (cell_users): lock its scratch down."""
    if isolate:
        cell_users.lock_down()
    result = agent_facts.system_facts(libdir)

    if not os.path.exists(os.path.join(template, "bin", "python")):
        made = run([sys.executable, "-m", "venv", template], timeout=600)
        if made["exit_code"] != 0:
            result["problems"].append(
                "venv: " + made["output"].strip().splitlines()[-1:][0]
                if made["output"].strip()
                else "venv: failed"
            )
    pip = run([os.path.join(template, "bin", "python"), "-m", "pip", "--version"], timeout=300)
    match = re.match(r"pip (\S+)", pip["output"])
    if match:
        result["pip_version"] = match.group(1)
        # Set-up, not a cell's cost: the distro pip's server imports pip now, once.
        started = time.time()
        conn = pip_server.connect(template)
        if conn is not None:
            conn.close()
        result["pip_server"] = {
            "started": conn is not None,
            "seconds": round(time.time() - started, 3),
        }
    else:
        result["problems"].append("pip: " + pip["output"].strip()[-300:])
    emit(result)


# -- cells ----------------------------------------------------------------------------------


def run_checks(python, workdir, spec, label, extra_env):
    """Import and check in a fresh process; report how far it got and how it ended."""
    runner = os.path.join(workdir, "runner.py")
    with open(runner, "w") as handle:
        handle.write(RUNNER)
    stage_file = os.path.join(workdir, "stage-" + label)
    spec_file = os.path.join(workdir, "spec-" + label + ".json")
    with open(spec_file, "w") as handle:
        json.dump(
            {
                "imports": spec["imports"],
                "checks": spec["checks"],
                "dlopen": spec.get("dlopen", "default"),
            },
            handle,
        )
    # Run from an empty directory so nothing but the installed wheel can be imported.
    rundir = os.path.join(workdir, "cwd-" + label)
    env = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONFAULTHANDLER": "1"}
    uid = None
    if spec.get("isolate"):
        # A user of its own: it can write its directory and its stage, nothing of the
        # agent's, a template's, the installed set's or another cell's.
        uid = cell_users.new_user()
        cell_users.own_dir(rundir, uid)
        with open(stage_file, "w"):
            pass
        os.chown(stage_file, uid, uid)
        env.update(cell_users.user_env(uid, rundir))
    else:
        os.makedirs(rundir)
    env.update(extra_env)
    cpu = spec.get("cpu")
    if cpu:
        python = emulated_python(python, cpu)
    command = [python, runner, stage_file, spec_file]
    result = run(command, spec["timeouts"]["run"], env=env, cwd=rundir, uid=uid)
    try:
        with open(stage_file) as handle:
            stage = handle.read().strip()
    except OSError:
        stage = "start"
    stage = stage or "start"
    code = result["exit_code"]
    sig = None
    if result["timed_out"]:
        status = "timeout"
    elif code == 0 and stage == "done":
        status = "passed"
    elif code is not None and code < 0:
        status = "crashed"
        try:
            sig = signal.Signals(-code).name
        except ValueError:
            sig = "signal %d" % -code
    elif code in FATAL_EXIT_STATUSES:
        status = "crashed"
        sig = signal.Signals(code - 128).name
    elif stage.startswith("import"):
        status = "import-failed"
    elif stage.startswith("check"):
        status = "check-failed"
    else:
        status = "error"
    return {
        "status": status,
        "exit_code": code,
        "signal": sig,
        "stage": stage,
        "output": result["output"],
        "seconds": result["seconds"],
    }


def emulated_python(python, cpu):
    """A launcher that runs the venv's python on the CPU model under qemu-user, in a directory
    of its own inside the venv (`cpu-MODEL/python`, with `python3` beside it).

    qemu-user follows no exec (there is no binfmt handler for the host's own arch), so a
    process the import starts would run natively: qemu's -0 gives the interpreter the
    launcher as argv[0], Python takes that as sys.executable (and still finds the venv's
    pyvenv.cfg one directory up), and a child started with it is emulated too: verify's
    import steps, and `python ...` in a check command, whose PATH starts at that directory."""
    venv = os.path.dirname(os.path.dirname(python))
    directory = os.path.join(venv, "cpu-" + re.sub(r"[^A-Za-z0-9_.-]", "_", cpu["model"]))
    launcher = os.path.join(directory, "python")
    if not os.path.exists(launcher):
        os.makedirs(directory, exist_ok=True)
        real = os.path.realpath(python)
        parts = (cpu["emulator"], cpu["model"], launcher, real)
        with open(launcher + ".tmp", "w") as handle:
            handle.write(
                '#!/bin/sh\nexec %s -cpu %s -0 %s %s "$@"\n'
                % tuple(shlex.quote(part) for part in parts)
            )
        os.chmod(launcher + ".tmp", 0o755)
        os.rename(launcher + ".tmp", launcher)
        os.symlink("python", os.path.join(directory, "python3"))
    return launcher


def execstack_retry(python, workdir, spec, extra_env):
    """The same import and check again with the loader allowed to make the stack executable
    for a dlopen'ed object (GLIBC_TUNABLES, added to any tunables already set)."""
    env = dict(extra_env)
    tunables = [t for t in os.environ.get("GLIBC_TUNABLES", "").split(":") if t]
    env["GLIBC_TUNABLES"] = ":".join([*tunables, EXECSTACK_TUNABLE])
    retried = run_checks(python, workdir, spec, "execstack", env)
    retried["tunables"] = env["GLIBC_TUNABLES"]
    return retried


def installer_template(spec):
    """A template venv whose pip is the requested one (made once per distro container and
    pip; a pip that cannot be installed or cannot run is remembered). Returns (path, pip
    version, error)."""
    requirement = spec["installer"]
    name = re.sub(r"[^A-Za-z0-9.]+", "_", requirement)
    template = spec["template"] + "-" + name
    failed = template + ".failed"
    if os.path.exists(failed):
        with open(failed) as handle:
            return template, None, handle.read()
    if not os.path.exists(os.path.join(template, "bin", "python")):
        shutil.rmtree(template, ignore_errors=True)
        shutil.copytree(spec["template"], template, symlinks=True)
        python = os.path.join(template, "bin", "python")
        command = [python, "-m", "pip", "install", "--no-index", "--no-cache-dir"]
        command += ["--disable-pip-version-check", "--find-links", spec["pips_dir"]]
        # No byte-compilation of pip's ~1,000 files: the version check below and the pip
        # server compile only the modules they import. Under qemu (trixie aarch64, a loaded
        # host) install + version check + server import took 276 s so, 492 s compiling all.
        command += ["--no-compile", "--upgrade", "--force-reinstall", requirement]
        made = run(command, spec["timeouts"]["install"], env={"PIP_NO_INPUT": "1"})
        if made["exit_code"] != 0:
            lines = made["output"].strip().splitlines() or ["no output"]
            error = "installing %s failed: %s" % (requirement, lines[-1][-300:])
            with open(failed, "w") as handle:
                handle.write(error)
            return template, None, error
    python = os.path.join(template, "bin", "python")
    version = run([python, "-m", "pip", "--version"], spec["timeouts"]["install"])
    match = re.match(r"pip (\S+)", version["output"])
    if version["exit_code"] != 0 or not match:
        lines = version["output"].strip().splitlines() or ["no output"]
        error = "%s does not run on Python %s: %s" % (
            requirement,
            platform.python_version(),
            lines[-1][-300:],
        )
        with open(failed, "w") as handle:
            handle.write(error)
        return template, None, error
    return template, match.group(1), None


PTH_NAME = "_manylinux_harness_template.pth"


def fresh_venv(template, venv):
    """A new venv that uses the template's installed packages (pip, setuptools) without
    copying them: the template's layout, its own empty site-packages, and a .pth naming the
    template's site-packages after its own. A copy of pip's ~1,600 files cost more per cell
    than the install itself. pip installs into the new venv's own site-packages (its scheme
    follows sys.prefix), so no cell sees what another installed, and the template is never
    written to."""

    def skip_packages(directory, names):
        return names if os.path.basename(directory) == "site-packages" else []

    shutil.copytree(template, venv, symlinks=True, ignore=skip_packages)
    for root, dirs, _files in os.walk(template):
        if os.path.basename(root) == "site-packages":
            own = os.path.join(venv, os.path.relpath(root, template))
            with open(os.path.join(own, PTH_NAME), "w") as handle:
                handle.write(root + "\n")
            dirs[:] = []


SETS_DIR = "/tmp/mh-sets"


def installed_set(spec, template):
    """The venv with this cell's wheel set installed, and pip's result for it.

    Cells that install the same set with the same pip (both import orders, both dlopen modes
    of a pair) share one install: pip decides on the set, not on the order of its arguments,
    and each cell still imports and checks in a fresh process (which writes no bytecode). An
    install is one pip run; under qemu that is most of a cell. The first cell's pip output
    and exit status stand for the others; their install costs nothing and says so."""
    driver = spec.get("pip_driver", "forked")
    uv = spec.get("uv")
    key = hashlib.sha256(
        json.dumps(
            [
                template,
                driver,
                uv,
                sorted(spec["wheels"]),
                spec.get("find_links", []),
                spec.get("extras", ""),
                sorted(spec.get("requirements", [])),
            ]
        ).encode()
    ).hexdigest()[:16]
    directory = os.path.join(SETS_DIR, key)
    venv = os.path.join(directory, "venv")
    python = os.path.join(venv, "bin", "python")
    recorded = os.path.join(directory, "install.json")
    os.makedirs(SETS_DIR, exist_ok=True)
    with open(os.path.join(SETS_DIR, key + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(recorded):
            with open(recorded) as handle:
                installed = json.load(handle)
            installed["seconds"] = 0.0
            installed["shared"] = True
            return python, installed
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        fresh_venv(template, venv)
        uid = None
        user_env = {}
        if spec.get("isolate"):
            # The set is installed by a user of its own, who owns the venv and nothing else;
            # no process of that user runs once the install is over, so the cells that import
            # from it (as their own users) can read the set and never change it for another.
            uid = cell_users.new_user()
            cell_users.give_tree(venv, uid)
            home = cell_users.own_dir(os.path.join(directory, "home"), uid)
            user_env = cell_users.user_env(uid, home)
        if uv:
            installed = uv_install(uv, python, spec, uid, user_env)
            add_dists(installed, venv)
            if not installed["timed_out"]:
                with open(recorded, "w") as handle:
                    json.dump(installed, handle)
            return python, installed
        command = [
            python,
            "-m",
            "pip",
            "install",
            "--no-index",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--no-compile",
        ]
        for find_links in spec.get("find_links", []):
            command += ["--find-links", find_links]
        command += install_arguments(spec)
        env = {"PIP_NO_INPUT": "1", "PIP_ROOT_USER_ACTION": "ignore"}
        env.update(user_env)
        timeout = spec["timeouts"]["install"]
        if driver == "process":  # as before the server: the benchmark and a test compare both
            installed = run(command, timeout, env=env, uid=uid)
        else:
            installed = pip_server.install_into(
                template, venv, command[3:], timeout, env, uid
            ) or run(command, timeout, env=env, uid=uid)
        add_dists(installed, venv)
        if not installed["timed_out"]:  # a hang is not a decision: the next cell tries again
            with open(recorded, "w") as handle:
                json.dump(installed, handle)
        return python, installed


def add_dists(installed, venv):
    """After an install that succeeded: what it put into the venv, from each dist-info's
    WHEEL file (name, version, tags, build tag). Of several wheels offered for one version,
    these tell which one was installed (uv names no file; pip's words vary by release)."""
    if installed["exit_code"] != 0 or installed.get("agent_error"):
        return
    site = pip_server.site_packages(venv)
    found = []
    for entry in sorted(os.listdir(site)) if site else []:
        if not entry.endswith(".dist-info"):
            continue
        name, _, version = entry[: -len(".dist-info")].partition("-")
        tags, build = [], ""
        try:
            with open(os.path.join(site, entry, "WHEEL"), encoding="utf-8") as handle:
                for line in handle:
                    key, sep, value = line.partition(":")
                    if sep and key.strip() == "Tag":
                        tags.append(value.strip())
                    elif sep and key.strip() == "Build":
                        build = value.strip()
        except (OSError, ValueError):
            pass  # no WHEEL file: its name and version still say what was installed
        found.append({"name": name, "version": version, "tags": tags, "build": build})
    installed["dists"] = found


def install_arguments(spec):
    """What the installer is asked for: the set's wheels (with the test extras, as
    cibuildwheel installs `{wheel}[extras]`), then the test requirements, resolved in the
    same run from the find-links directories."""
    extras = spec.get("extras", "")
    return [wheel + extras for wheel in spec["wheels"]] + list(spec.get("requirements", []))


def uv_install(uv, python, spec, uid, user_env):
    """uv's own decision on the wheel set, into the venv of `python`, as the set's user:
    offline, no index, no cache (the container has no network and nothing to share)."""
    command = [uv, "pip", "install", "--python", python, "--offline", "--no-index", "--no-cache"]
    for find_links in spec.get("find_links", []):
        command += ["--find-links", find_links]
    command += install_arguments(spec)
    env = {"UV_NO_PROGRESS": "1", "NO_COLOR": "1"}
    env.update(user_env)
    return run(command, spec["timeouts"]["install"], env=env, uid=uid)


def uv_version(uv, timeout):
    """ "uv 0.13.9", or None when that uv does not run here."""
    found = run([uv, "--version"], timeout)
    match = re.match(r"(uv \S+)", found["output"])
    return match.group(1) if found["exit_code"] == 0 and match else None


def cell(spec):
    started = time.time()
    workdir = spec["workdir"]
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    template = spec["template"]
    pip_version = None
    if spec.get("uv"):
        pip_version = uv_version(spec["uv"], spec["timeouts"]["install"])
        if pip_version is None:
            shutil.rmtree(workdir, ignore_errors=True)
            emit({"installer_error": "%s does not run here" % spec["uv"], "seconds": 0.0})
            return
    elif spec.get("installer"):
        template, pip_version, error = installer_template(spec)
        if error:
            shutil.rmtree(workdir, ignore_errors=True)
            emit({"installer_error": error, "seconds": round(time.time() - started, 3)})
            return
    try:
        python, installed = installed_set(spec, template)
        if installed.get("agent_error"):
            emit({"agent_error": installed["agent_error"], "seconds": time.time() - started})
            return
        result = {"install": installed, "load": None, "forced": None}
        if pip_version:
            result["pip_version"] = pip_version
        extra_env = {}
        if installed["timed_out"]:
            pass
        elif installed["exit_code"] == 0:
            result["load"] = run_checks(python, workdir, spec, "load", extra_env)
        elif spec.get("force", True):
            forced_dir = os.path.join(workdir, "forced")
            for wheel in spec["wheels"]:
                with zipfile.ZipFile(wheel) as archive:
                    archive.extractall(forced_dir)
            extra_env = {"PYTHONPATH": forced_dir}
            # Checks that need what the install brings (a project's tests and their
            # requirements) say nothing of a wheel pip refused: the forced load leaves them out.
            skipped = set(spec.get("installed_only", []))
            forced_spec = dict(spec, checks=[c for c in spec["checks"] if c[0] not in skipped])
            result["forced"] = run_checks(python, workdir, forced_spec, "forced", extra_env)
        ran = result["load"] or result["forced"]
        if ran and ran["status"] != "passed" and EXECSTACK_REFUSAL in ran["output"]:
            result["execstack_retry"] = execstack_retry(python, workdir, spec, extra_env)
        result["seconds"] = round(time.time() - started, 3)
        emit(result)
    finally:
        if not spec.get("keep"):
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv):
    if sys.version_info[:2] < OLDEST_PYTHON:
        emit(
            {
                "problems": [
                    "python %s is older than the probe's minimum %s: give this distro the "
                    "portable-python recipe"
                    % (platform.python_version(), ".".join(map(str, OLDEST_PYTHON)))
                ]
            }
        )
        return 0  # the problem is the result: the harness reports it as this distro's error
    if len(argv) >= 3 and argv[0] == "facts":
        facts(argv[1], argv[2], isolate=argv[3:4] == ["isolate"])
    elif len(argv) == 2 and argv[0] == "cell":
        # The spec rides on the command line: a file would cost the harness two more round
        # trips to the engine per cell (mkdir, upload), more than the agent's own work.
        cell(json.loads(argv[1]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
