"""The probe agent's pip server: runs inside distro containers, beside agent.py.

Standard library only, Python 3.9 grammar (as agent.py; tests/unit/probe/test_grammar.py
parses it). The agent imports it as a sibling module; a template venv's python runs it as

    VENV/bin/python pip_server.py SOCKET
"""

import fcntl
import hashlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import traceback

try:  # in the container: cell_users.py sits beside this file
    import cell_users
except ImportError:  # on the host (the harness's own tests): a module of harness.probe
    from harness.probe import cell_users

TAIL = 8000

# # Under qemu, importing pip costs an emulated interpreter 4-5 s, most of a cell (the install
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


def read_message(conn, reader, timeout):
    """The next JSON line from `reader` (conn.makefile): buffered, because both of a child's
    lines (its pid, then its exit status) can arrive in one packet when pip is quick."""
    conn.settimeout(timeout)
    line = reader.readline()
    if not line.endswith(b"\n"):
        raise OSError("connection closed")
    return json.loads(line.decode("utf-8"))


def serve_one_install(conn):
    """In a forked child of the server: run one `pip ...`, report its exit status. Never
    returns."""
    try:
        os.setsid()  # the client kills this group on timeout
        request = read_message(conn, conn.makefile("rb"), 60)
        conn.sendall((json.dumps({"pid": os.getpid()}) + "\n").encode())
        out = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        uid = request.get("uid")
        if uid is not None:
            # The install is the set's user's (cell_users): the server's root ends here.
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
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
        [python, os.path.abspath(__file__), socket_path],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
    )
    # A thread-free timeout on the first line: the server answers "ready PID" or dies.
    deadline = time.time() + PIP_SERVER_START
    line = b""
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


def connect(template):
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


def served_pip(template, args, timeout, env, output, uid=None):
    """`pip ARGS` through the template's server, as `uid` when given; None when there is no
    server to serve it."""
    conn = connect(template)
    if conn is None:
        return None
    started = time.time()
    request = {
        "args": args,
        "env": env,
        "output": output,
        "cwd": os.path.dirname(output),
        "uid": uid,
    }
    timed_out = False
    code = None
    with conn, conn.makefile("rb") as reader:
        conn.sendall((json.dumps(request) + "\n").encode())
        pid = read_message(conn, reader, 60)["pid"]
        try:
            code = read_message(conn, reader, timeout)["exit_code"]
        except socket.timeout:
            timed_out = True
        except (OSError, ValueError):
            pass  # the child died without a word: said below
        if code is None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
    if uid is not None:
        cell_users.kill_user(uid)  # nothing the install started outlives it
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


def install_into(template, venv, args, timeout, env, uid=None):
    """`pip ARGS` (an install) for VENV, decided by the template's pip on this interpreter.

    Served (a forked child of a process that has imported pip) with `--prefix VENV`, checked
    to have written into VENV and nothing into the template; None when no server can serve
    it (the agent then runs `VENV/bin/python -m pip` afresh)."""
    template_site = site_packages(template)
    before = sorted(os.listdir(template_site)) if template_site else []
    output = os.path.join(os.path.dirname(venv), "pip-output.txt")
    served = served_pip(
        template, [*args[:1], "--prefix", venv, *args[1:]], timeout, env, output, uid
    )
    if served is None:
        return None
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


if __name__ == "__main__":
    pip_server(sys.argv[1])
