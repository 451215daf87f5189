"""Who a cell's processes run as, inside a probe container: runs beside agent.py (standard
library only, Python 3.9 grammar: tests/unit/probe/test_grammar.py parses it).

The container is shared by every cell of a distro (that is what makes a cell cheap), and a
cell runs code from a wheel: treated as hostile. The agent, its scripts, the pip servers and
the template venvs belong to root; each wheel set is installed by a user of its own, and each
import + check runs as a user of its own. A cell's user can write only its own directories:
not the agent, not a template, not a set another user installed, not another cell's files;
it cannot signal the agent or another cell's processes (another uid, no capabilities left),
nor write the agent's result channel (the exec's stdout, which only the agent holds). When a
cell's step ends, every process of its user is killed: nothing a cell starts outlives it.
"""

import errno
import fcntl
import os
import select
import signal
import subprocess
import time

FIRST_UID = 42000  # above the distros' own system and login users
STATE_DIR = "/tmp/mh-state"
# The shared scratch directories: not world-writable inside a probe, so that no cell leaves
# anything there for another; each cell gets its own TMPDIR.
SHARED_SCRATCH = ("/tmp", "/var/tmp")
OUTPUT_LIMIT = 1 << 20  # what is kept of a process's output while it runs (its tail)
# Set by the harness on its execs into a probe container: what changes users, permissions and
# kills by uid does nothing anywhere else (on a developer's host, /tmp and its users are not
# the agent's to touch).
IN_PROBE = "MANYLINUX_HARNESS_PROBE"


def _in_probe():
    if os.environ.get(IN_PROBE) != "1":
        raise RuntimeError("cell users exist only in a probe container (%s unset)" % IN_PROBE)


def lock_down():
    """Once per container, as root: the agent's state directory, and no world-writable
    scratch for cells to meet in."""
    _in_probe()
    os.makedirs(STATE_DIR, exist_ok=True)
    os.chmod(STATE_DIR, 0o700)
    for directory in SHARED_SCRATCH:
        if os.path.isdir(directory):
            os.chmod(directory, 0o755)


def new_user():
    """A uid (and gid) no process of this container ran as before."""
    _in_probe()
    os.makedirs(STATE_DIR, exist_ok=True)
    path = os.path.join(STATE_DIR, "last-uid")
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(path) as handle:
                last = int(handle.read().strip() or FIRST_UID)
        except (OSError, ValueError):
            last = FIRST_UID
        with open(path + ".tmp", "w") as handle:
            handle.write("%d\n" % (last + 1))
        os.rename(path + ".tmp", path)
    return last + 1


def own_dir(path, uid, mode=0o700):
    """A directory that belongs to that user (made if missing)."""
    if not os.path.isdir(path):
        os.makedirs(path)
    os.chown(path, uid, uid)
    os.chmod(path, mode)
    return path


def give_tree(path, uid):
    """Everything under `path` to that user (symlinks themselves, not what they point at)."""
    for root, dirs, files in os.walk(path):
        os.lchown(root, uid, uid)
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, uid)


def processes_of(uid):
    """The pids of this container's processes running as `uid`."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/status" % name) as handle:
                for line in handle:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            found.append(int(name))
                        break
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return found


def kill_user(uid, rounds=50):
    """SIGKILL every process of `uid`, again until none is left (a process may fork while
    the others die). Returns how many were killed."""
    _in_probe()
    killed = 0
    for _ in range(rounds):
        pids = processes_of(uid)
        if not pids:
            return killed
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        time.sleep(0.01)
    return killed


def user_env(uid, home):
    """What a cell's process sees of who it is and where it may write."""
    tmp = own_dir(os.path.join(home, ".tmp"), uid)
    return {"HOME": home, "TMPDIR": tmp, "USER": "mh%d" % uid, "LOGNAME": "mh%d" % uid}


def _as(uid):
    def switch():
        # The out-of-memory killer takes a cell's process before the agent's.
        try:
            with open("/proc/self/oom_score_adj", "w") as handle:
                handle.write("1000")
        except OSError:
            pass

    return {"user": uid, "group": uid, "extra_groups": [], "preexec_fn": switch}


def run(command, timeout, env=None, cwd=None, uid=None, tail=8000):
    """Run a command in its own session, as `uid` when given (then every process of that
    user is killed when it ends or times out, so that nothing it started holds its output
    open or outlives it); on timeout, kill it all. The timeout is honoured to within a
    second whatever the command's children do."""
    started = time.time()
    full_env = dict(os.environ)
    full_env.update(env or {})
    extra = _as(uid) if uid is not None else {}
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=full_env,
        cwd=cwd,
        start_new_session=True,
        **extra,
    )
    fd = proc.stdout.fileno()
    out = bytearray()
    deadline = started + timeout
    timed_out = False
    ended_at = None  # when the command ended (or was killed): what is left is drained
    eof = False
    while not eof:
        now = time.time()
        if ended_at is None:
            if proc.poll() is not None:
                ended_at = now
                _end(proc, uid)
            elif now >= deadline:
                timed_out = True
                ended_at = now
                _end(proc, uid)
        if ended_at is None:
            wait = min(0.2, deadline - now)
        else:
            wait = ended_at + 2.0 - now
            if wait <= 0:
                break  # something we could not kill holds the pipe: stop reading
        try:
            ready, _, _ = select.select([fd], [], [], max(0.0, wait))
        except OSError as exc:
            if exc.errno == errno.EINTR:
                continue
            raise
        if ready:
            chunk = os.read(fd, 65536)
            if chunk:
                out += chunk
                if len(out) > 2 * OUTPUT_LIMIT:
                    del out[: len(out) - OUTPUT_LIMIT]
            else:
                eof = True
    # Its output closed; it may still run (it closed its stdout and went on): the deadline
    # holds all the same, and what is left of it is killed.
    if ended_at is None:
        try:
            proc.wait(timeout=max(0.0, deadline - time.time()))
        except subprocess.TimeoutExpired:
            timed_out = True
        _end(proc, uid)
    proc.stdout.close()
    proc.wait()
    text = bytes(out).decode("utf-8", "replace")
    return {
        "exit_code": proc.returncode,
        "timed_out": timed_out,
        "output": text[-tail:],
        "seconds": round(time.time() - started, 3),
    }


def _end(proc, uid):
    if uid is not None:
        kill_user(uid)
    else:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
    if proc.poll() is None:
        try:
            proc.kill()
        except OSError:
            pass
