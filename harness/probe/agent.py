"""The probe agent: runs *inside* distro containers, with the distro's own Python.

Standard library only (plus the pinned libraries the probe ships into LIBDIR), and written for
the oldest interpreter a catalog row can present, OLDEST_PYTHON below (harness/probe/deps.py
says why; tests/unit/probe/test_grammar.py parses this file with that grammar): no walrus,
no match, no `X | Y` annotations, no str.removeprefix, no zip(strict=).
It measures facts and carries out cells; it does not judge. Every result is one JSON line
after a marker, so stray output from pip or the loader cannot corrupt it.

    python3 agent.py facts TEMPLATE_VENV LIBDIR
    python3 agent.py cell SPEC_JSON
    VENV/bin/python agent.py pip-server SOCKET     (started by `cell` itself, see PipServer)
"""

import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
import zipfile

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


def emit(data):
    sys.stdout.write(MARKER + json.dumps(data) + "\n")
    sys.stdout.flush()


def run(command, timeout, env=None, cwd=None):
    """Run a command in its own session; on timeout kill the whole group."""
    started = time.time()
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=full_env,
        cwd=cwd,
        start_new_session=True,
    )
    timed_out = False
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        out, _ = proc.communicate()
    text = out.decode("utf-8", "replace")
    return {
        "exit_code": proc.returncode,
        "timed_out": timed_out,
        "output": text[-TAIL:],
        "seconds": round(time.time() - started, 3),
    }


# -- facts ----------------------------------------------------------------------------------


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


def facts(template, libdir):
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

    sys.path.insert(0, libdir)
    try:
        import packaging
        from packaging import tags

        result["packaging_version"] = getattr(packaging, "__version__", "")
        result["supported_tags"] = [str(tag) for tag in tags.sys_tags()]
    except Exception as exc:  # an interpreter too old for the mounted packaging
        result["problems"].append("packaging: %s: %s" % (type(exc).__name__, exc))

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
        conn = connect_pip_server(template)
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
    env = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONFAULTHANDLER": "1"}
    env.update(extra_env)
    # Run from an empty directory so nothing but the installed wheel can be imported.
    rundir = os.path.join(workdir, "cwd-" + label)
    os.makedirs(rundir)
    result = run(
        [python, runner, stage_file, spec_file], spec["timeouts"]["run"], env=env, cwd=rundir
    )
    try:
        with open(stage_file) as handle:
            stage = handle.read().strip()
    except OSError:
        stage = "start"
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
    elif code in (128 + signal.SIGSEGV, 128 + signal.SIGABRT, 128 + signal.SIGBUS):
        # qemu-user reports a guest's fatal signal as an exit status
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
        command += ["--upgrade", "--force-reinstall", requirement]
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


# -- the pip server -------------------------------------------------------------------------
#
# Under qemu, importing pip costs an emulated interpreter 4-5 s, most of a cell (the install
# itself is well under a second). So one process per template imports pip once and forks a
# child per install: the child is a copy of an interpreter that has just imported pip and done
# nothing else, runs pip's own `__main__` exactly as `python -m pip` does, and exits. Same
# interpreter, same pip code, same tags: the decision is the one that pip makes on that
# interpreter (a test compares both ways, per pip of the axis). The child installs with
# `--prefix VENV`, pip's own option for "install into that environment's scheme"; where a
# server cannot start (a pip that cannot be imported there), cells run `VENV/bin/python -m
# pip` as before.

PIP_SERVERS_DIR = "/tmp/mh-pip"
PIP_SERVER_IDLE = 900.0  # seconds without a request before a server exits by itself
PIP_SERVER_START = 600.0  # importing pip, emulated, on a busy host
# Imported once by the server so that the children find them in sys.modules; the names of
# several pip releases (19.0 .. today), missing ones are skipped. Importing a module pip would
# import anyway changes nothing but when the cost is paid.
PIP_WARM_MODULES = (
    "pip._internal.cli.main",
    "pip._internal.main",
    "pip._internal.commands.install",
    "pip._internal.cli.req_command",
    "pip._internal.resolution.resolvelib.resolver",
    "pip._internal.resolution.legacy.resolver",
    "pip._internal.legacy_resolve",
    "pip._internal.operations.prepare",
    "pip._internal.operations.install.wheel",
    "pip._internal.wheel",
    "pip._internal.index.package_finder",
    "pip._internal.index",
    "pip._internal.network.session",
    "pip._internal.download",
    "pip._internal.req.req_install",
    "pip._internal.metadata",
    "pip._internal.self_outdated_check",
)


def exit_status(code):
    """A SystemExit's code as a process exit status, as the interpreter itself maps it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    sys.stderr.write("%s\n" % code)
    return 1


def read_line(conn, timeout):
    conn.settimeout(timeout)
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            raise OSError("connection closed")
        data += chunk
    return json.loads(data.decode("utf-8"))


def serve_one_install(conn):
    """In a forked child of the server: run one `pip ...`, report its exit status. Never
    returns."""
    try:
        os.setsid()  # the client kills this group on timeout
        request = read_line(conn, 60)
        conn.sendall((json.dumps({"pid": os.getpid()}) + "\n").encode())
        out = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        sys.argv = ["pip"] + request["args"]
        code = 0
        try:
            import runpy

            runpy.run_module("pip", run_name="__main__", alter_sys=True)
        except SystemExit as exc:
            code = exit_status(exc.code)
        except BaseException:
            traceback.print_exc()
            code = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        conn.sendall((json.dumps({"exit_code": code}) + "\n").encode())
    finally:
        os._exit(0)


def pip_server(socket_path):
    """Import pip, then serve installs on SOCKET_PATH, one forked child each."""
    for name in PIP_WARM_MODULES:
        try:
            __import__(name)
        except Exception:
            pass
    __import__("pip")  # a pip that cannot be imported here fails the start, visibly
    if os.path.exists(socket_path):
        os.unlink(socket_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(64)
    listener.settimeout(PIP_SERVER_IDLE)
    with open(socket_path + ".pid", "w") as handle:  # for whoever must stop it early
        handle.write("%d\n" % os.getpid())
    sys.stdout.write("ready %d\n" % os.getpid())
    sys.stdout.flush()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children
    while True:
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            break  # idle: nobody needs this pip any more
        pid = os.fork()
        if pid == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            serve_one_install(conn)
        conn.close()
    listener.close()
    try:
        os.unlink(socket_path)
    except OSError:
        pass


def pip_server_socket(template):
    key = hashlib.sha256(template.encode()).hexdigest()[:16]
    return os.path.join(PIP_SERVERS_DIR, key + ".sock")


def start_pip_server(template, socket_path):
    """Start the template's server unless one answers; returns an error text or None. Runs
    under the caller's lock, so one cell starts it and the others wait."""
    failed = socket_path + ".failed"
    if os.path.exists(failed):
        with open(failed) as handle:
            return handle.read()
    python = os.path.join(template, "bin", "python")
    proc = subprocess.Popen(
        [python, os.path.abspath(__file__), "pip-server", socket_path],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
    )
    # A thread-free timeout on the first line: the server answers "ready PID" or dies.
    deadline = time.time() + PIP_SERVER_START
    line = b""
    import select

    while not line.endswith(b"\n") and time.time() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.time()))
        if not ready:
            break
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        line += chunk
    if line.startswith(b"ready "):
        proc.stdout.close()
        return None
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    rest = proc.communicate()[0] or b""
    words = (line + rest).decode("utf-8", "replace").strip().splitlines() or ["no output"]
    error = "the pip server did not start: " + words[-1][-300:]
    with open(failed, "w") as handle:
        handle.write(error)
    return error


def connect_pip_server(template):
    """A connection to the template's server, started first if none answers; None when it
    cannot start (remembered: a pip that cannot be imported here is not tried per cell)."""
    os.makedirs(PIP_SERVERS_DIR, exist_ok=True)
    socket_path = pip_server_socket(template)
    for attempt in (1, 2):
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(socket_path)
            return conn
        except OSError:
            conn.close()
        if attempt == 2:
            return None
        with open(socket_path + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one cell starts it, the others wait
            if start_pip_server(template, socket_path):
                return None
    return None


def served_pip(template, args, timeout, env, output):
    """`pip ARGS` through the template's server; None when there is no server to serve it."""
    conn = connect_pip_server(template)
    if conn is None:
        return None
    started = time.time()
    request = {"args": args, "env": env, "output": output, "cwd": os.path.dirname(output)}
    timed_out = False
    code = None
    with conn:
        conn.sendall((json.dumps(request) + "\n").encode())
        pid = read_line(conn, 60)["pid"]
        try:
            code = read_line(conn, timeout)["exit_code"]
        except socket.timeout:
            timed_out = True
        except (OSError, ValueError):
            pass  # the child died without a word: said below
        if code is None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
    try:
        with open(output, "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        text = ""
    if code is None and not timed_out:
        text += "\nthe pip process ended without an exit status (killed?)"
        code = -signal.SIGKILL
    return {
        "exit_code": code,
        "timed_out": timed_out,
        "output": text[-TAIL:],
        "seconds": round(time.time() - started, 3),
        "served": True,
    }


def site_packages(venv):
    lib = os.path.join(venv, "lib")
    for name in sorted(os.listdir(lib)) if os.path.isdir(lib) else []:
        candidate = os.path.join(lib, name, "site-packages")
        if os.path.isdir(candidate):
            return candidate
    return None


def pip_install(template, venv, args, timeout, env):
    """`pip ARGS` (an install) for VENV, decided by the template's pip on this interpreter.

    Served (a forked child of a process that has imported pip) with `--prefix VENV`, checked
    to have written into VENV and nothing into the template; otherwise `VENV/bin/python -m
    pip` started afresh."""
    template_site = site_packages(template)
    before = sorted(os.listdir(template_site)) if template_site else []
    output = os.path.join(os.path.dirname(venv), "pip-output.txt")
    served = served_pip(template, [*args[:1], "--prefix", venv, *args[1:]], timeout, env, output)
    if served is None:
        return run([os.path.join(venv, "bin", "python"), "-m", "pip", *args], timeout, env=env)
    if served["exit_code"] == 0 and not served["timed_out"]:
        own = site_packages(venv)
        landed = [n for n in os.listdir(own) if n.endswith(".dist-info")] if own else []
        after = sorted(os.listdir(template_site)) if template_site else []
        if after != before or ("Successfully installed" in served["output"] and not landed):
            served["agent_error"] = (
                "pip --prefix %s did not install into that venv (template changed: %s); "
                "the harness cannot tell what pip decided" % (venv, after != before)
            )
    return served


SETS_DIR = "/tmp/mh-sets"


def installed_set(spec, template):
    """The venv with this cell's wheel set installed, and pip's result for it.

    Cells that install the same set with the same pip (both import orders, both dlopen modes
    of a pair) share one install: pip decides on the set, not on the order of its arguments,
    and each cell still imports and checks in a fresh process (which writes no bytecode). An
    install is one pip run; under qemu that is most of a cell. The first cell's pip output
    and exit status stand for the others; their install costs nothing and says so."""
    driver = spec.get("pip_driver", "forked")
    key = hashlib.sha256(
        json.dumps([template, driver, sorted(spec["wheels"]), spec.get("find_links", [])]).encode()
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
        command += spec["wheels"]
        env = {"PIP_NO_INPUT": "1", "PIP_ROOT_USER_ACTION": "ignore"}
        if driver == "process":  # as before the server: the benchmark and a test compare both
            installed = run(command, spec["timeouts"]["install"], env=env)
        else:
            installed = pip_install(template, venv, command[3:], spec["timeouts"]["install"], env)
        if not installed["timed_out"]:  # a hang is not a decision: the next cell tries again
            with open(recorded, "w") as handle:
                json.dump(installed, handle)
        return python, installed


def cell(spec):
    started = time.time()
    workdir = spec["workdir"]
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    template = spec["template"]
    pip_version = None
    if spec.get("installer"):
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
        if installed["timed_out"]:
            pass
        elif installed["exit_code"] == 0:
            result["load"] = run_checks(python, workdir, spec, "load", {})
        elif spec.get("force", True):
            forced_dir = os.path.join(workdir, "forced")
            for wheel in spec["wheels"]:
                with zipfile.ZipFile(wheel) as archive:
                    archive.extractall(forced_dir)
            result["forced"] = run_checks(
                python, workdir, spec, "forced", {"PYTHONPATH": forced_dir}
            )
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
        facts(argv[1], argv[2])
    elif len(argv) == 2 and argv[0] == "pip-server":
        pip_server(argv[1])
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
