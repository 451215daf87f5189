"""Code under test is hostile: wheels that attack the agent, the template venv, the other cells
and the result channel, given to `verify` together on one distro (one probe container for all
of them, as every run has). Each cell's verdict must be its own: the attacks fail, the broken
wheel after the attacker is still a violation, an import that ends its process early is not a
pass, a forged result is not read, nothing a cell starts outlives it, a hung cell ends at the
timeout. And the probe container runs with the limits the harness sets."""

from __future__ import annotations

import json
from pathlib import Path

from harness.catalog.model import default_catalog
from harness.images.provider import ImageProvider
from harness.probe.distro_probe import AGENT, TEMPLATE, DistroProbe
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.engine import Engine
from harness.util.limits import PROBE_CAPABILITIES, Limits
from tests.helpers.commands import load_results, run_cli
from tests.helpers.factories import make_wheel

DISTRO = "debian-bullseye"
TIMEOUT = 15

# Tries everything a cell's code might do to the others; reports each attempt, raises nothing.
ATTACKER = f"""
import os, signal, sys
tried = {{}}
def attempt(name, action):
    try:
        action()
        tried[name] = "done"
    except Exception as exc:
        tried[name] = type(exc).__name__
def rewrite_agent():
    with open({AGENT!r}, "w") as handle:
        handle.write("print('@@MANYLINUX-HARNESS@@{{}}')")
def poison_template():
    site = [p for p in __import__("glob").glob({TEMPLATE!r} + "/lib/python3*/site-packages")][0]
    with open(os.path.join(site, "zz_evil.pth"), "w") as handle:
        handle.write("import sys; sys.exit(0)\\n")
def plant_in_tmp():
    with open("/tmp/mh-planted", "w") as handle:
        handle.write("x")
def kill_root():
    os.kill(1, signal.SIGKILL)
def write_wheelhouse():
    with open("/wheelhouse/planted", "w") as handle:
        handle.write("x")
attempt("rewrite_agent", rewrite_agent)
attempt("poison_template", poison_template)
attempt("plant_in_tmp", plant_in_tmp)
attempt("kill_root", kill_root)
attempt("write_wheelhouse", write_wheelhouse)
print("ATTACKS " + repr(sorted(tried.items())))
sys.stdout.flush()
"""

# Writes a passing result where the agent reads results, then kills the agent; raises.
FORGER = """
import json, os, signal
fake = "@@MANYLINUX-HARNESS@@" + json.dumps({"install": {}, "load": {"status": "passed"}})
for pid in os.listdir("/proc"):
    if pid.isdigit() and pid != str(os.getpid()):
        try:
            with open("/proc/%s/fd/1" % pid, "w") as out:
                out.write(fake + "\\n")
            os.kill(int(pid), signal.SIGKILL)
        except Exception:
            pass
raise ImportError("the forger's own import fails")
"""

SURVIVOR = """
import subprocess
subprocess.Popen(["sleep", "600"], start_new_session=True, stdout=subprocess.DEVNULL)
"""

# Fails if a process of another cell's user is still alive when it is imported.
WITNESS = """
import os
mine = os.getuid()
others = []
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            with open("/proc/%s/status" % pid) as status:
                uid = int([l for l in status if l.startswith("Uid:")][0].split()[1])
        except Exception:
            continue
        if uid >= 42000 and uid != mine:
            others.append((pid, uid))
if others:
    raise ImportError("processes of other cells are alive: %r" % others)
"""

# Holds its output open from a child in a session of its own, and never returns.
HANGER = """
import subprocess, time
subprocess.Popen(["sh", "-c", "sleep 600"], start_new_session=True)
time.sleep(600)
"""


def _wheels(directory: Path) -> None:
    modules = {
        "a_attacker": ATTACKER,
        "b_broken": "raise ImportError('libmissing.so.1: cannot open shared object file')\n",
        "c_early_exit": "import os\nos._exit(0)\n",
        "d_forger": FORGER,
        "e_survivor": SURVIVOR,
        "f_witness": WITNESS,
        "g_hanger": HANGER,
    }
    for module, code in modules.items():
        make_wheel(directory, f"{module}-1.0-py3-none-any.whl", {f"{module}.py": code})


def _by_module(results: dict) -> dict[str, dict]:
    return {c["members"][0]["sample"].split("-")[0]: c for c in results["cells"]}


def test_hostile_wheels_change_nothing_but_their_own_verdict(tmp_path: Path) -> None:
    given = tmp_path / "given"
    _wheels(given)
    out = tmp_path / "out"
    proc = run_cli(
        "verify",
        str(given),
        "--distro",
        DISTRO,
        "--timeout",
        str(TIMEOUT),
        "--results-dir",
        str(out),
    )
    cells = _by_module(load_results(out))
    assert set(cells) == {
        "a_attacker",
        "b_broken",
        "c_early_exit",
        "d_forger",
        "e_survivor",
        "f_witness",
        "g_hanger",
    }, proc.stdout[-3000:]
    attacker = cells["a_attacker"]
    assert attacker["verdict"] == "ok", attacker
    attacks = attacker["observed"]["load"]["output"]
    for attack in ("rewrite_agent", "poison_template", "plant_in_tmp", "kill_root"):
        assert f"('{attack}', 'PermissionError')" in attacks, attacks
    assert "('write_wheelhouse', 'OSError')" in attacks or (
        "('write_wheelhouse', 'PermissionError')" in attacks
    ), attacks
    # The wheel after the attacker is judged by its own code.
    broken = cells["b_broken"]
    assert broken["verdict"] == "violation" and "libmissing.so.1" in broken["diagnosis"]
    early = cells["c_early_exit"]
    assert early["verdict"] == "violation", early
    assert "ended its process (exit status 0) before the import returned" in early["diagnosis"]
    forger = cells["d_forger"]
    assert forger["verdict"] == "violation", forger
    assert "the forger's own import fails" in forger["diagnosis"]
    assert cells["e_survivor"]["verdict"] == "ok"
    witness = cells["f_witness"]
    assert witness["verdict"] == "ok", witness["diagnosis"]
    hanger = cells["g_hanger"]
    assert hanger["verdict"] == "error" and "timeout" in json.dumps(hanger["observed"]["load"])
    # Ended at the timeout, children holding its output or not (the host's backstop is
    # minutes away): well within twice the timeout.
    assert hanger["observed"]["load"]["seconds"] < 2 * TIMEOUT, hanger["observed"]["load"]
    assert proc.returncode == 1  # broken claims (the hostile wheels' own), nothing crashed


def test_a_probe_runs_with_the_harness_limits(engine: Engine, settings: Settings) -> None:
    """What `docker inspect` shows of a probe: every capability dropped but the agent's, no
    new privileges, the pids and memory limits, no network, read-only mounts."""
    distro = default_catalog().distros("local", ["x86_64"], [DISTRO])[0]
    cache = Cache(settings.cache_dir)
    image = ImageProvider(engine, cache, settings).ensure(distro.image)
    limited = Settings(limits=Limits(memory="1g", pids=256))
    with DistroProbe(engine, distro, image.reference, cache.path("wheels"), limited) as probe:
        assert probe.facts is not None and probe.container_id
        inspected = engine.client.api.inspect_container(probe.container_id)
        host = inspected["HostConfig"]
        assert host["CapDrop"] == ["ALL"]
        assert {cap.removeprefix("CAP_") for cap in host["CapAdd"]} == set(PROBE_CAPABILITIES)
        assert "no-new-privileges" in host["SecurityOpt"]
        assert host["PidsLimit"] == 256 and host["Memory"] == 1 << 30
        assert host["NetworkMode"] == "none"
        assert inspected["Mounts"] and all(not m["RW"] for m in inspected["Mounts"])
