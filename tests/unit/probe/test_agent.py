"""The in-container agent's runner, exercised with the host's Python (no container needed):
how far a process got and how it ended must be told apart exactly."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.probe import agent as probe_agent
from harness.probe import diagnostics, pip_server
from harness.probe.distro_probe import classify, parse_agent_output
from tests.helpers.factories import make_wheel


def _module(tmp_path: Path, name: str, body: str) -> Path:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / f"{name}.py").write_text(body)
    return site


def _run(
    tmp_path: Path,
    imports: list[str],
    check_body: str,
    module_bodies: dict[str, str],
    timeout: float = 20,
):
    for name, body in module_bodies.items():
        site = _module(tmp_path, name, body)
    check = tmp_path / "check.py"
    check.write_text(check_body)
    workdir = tmp_path / "work"
    workdir.mkdir()
    spec = {
        "imports": imports,
        "checks": [["sample", str(check), imports]],
        "timeouts": {"run": timeout},
    }
    return probe_agent.run_checks(
        sys.executable, str(workdir), spec, "load", {"PYTHONPATH": str(site)}
    )


def test_passes(tmp_path: Path) -> None:
    result = _run(
        tmp_path, ["good"], "import good\nassert good.VALUE == 42\n", {"good": "VALUE = 42\n"}
    )
    assert (result["status"], result["stage"]) == ("passed", "done")


def test_import_failure(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        ["bad"],
        "pass\n",
        {"bad": "raise ImportError('libcrypt.so.1: cannot open shared object file')\n"},
    )
    assert result["status"] == "import-failed"
    assert result["stage"] == "import bad"
    assert "libcrypt.so.1" in result["output"]


def test_wrong_answer(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        ["m"],
        "import m\nassert m.f() == 2, 'f() gave %d' % m.f()\n",
        {"m": "def f(): return 3\n"},
    )
    assert result["status"] == "check-failed"
    assert "f() gave 3" in result["output"]


def test_crash_is_recorded_with_its_signal(tmp_path: Path) -> None:
    result = _run(tmp_path, ["boom"], "pass\n", {"boom": "import ctypes\nctypes.string_at(0)\n"})
    assert result["status"] == "crashed"
    assert result["signal"] == "SIGSEGV"
    assert result["stage"] == "import boom"


def test_hang_becomes_timeout_with_the_stage(tmp_path: Path) -> None:
    result = _run(tmp_path, ["m"], "import time\ntime.sleep(60)\n", {"m": ""}, timeout=2)
    assert result["status"] == "timeout"
    assert result["stage"] == "check sample"


def test_global_dlopen_flag_is_applied(tmp_path: Path) -> None:
    check = "import sys, os\nassert sys.getdlopenflags() & os.RTLD_GLOBAL\n"
    site = _module(tmp_path, "m", "")
    (tmp_path / "check.py").write_text(check)
    workdir = tmp_path / "w"
    workdir.mkdir()
    spec = {
        "imports": ["m"],
        "checks": [["s", str(tmp_path / "check.py"), []]],
        "timeouts": {"run": 20},
        "dlopen": "global",
    }
    result = probe_agent.run_checks(
        sys.executable, str(workdir), spec, "load", {"PYTHONPATH": str(site)}
    )
    assert result["status"] == "passed"


def test_agent_result_parsing_ignores_noise() -> None:
    text = "some pip noise\n" + probe_agent.MARKER + json.dumps({"a": 1}) + "\ntrailing\n"
    assert parse_agent_output(text) == {"a": 1}


def test_an_agent_that_died_is_diagnosed_by_its_last_words() -> None:
    """Issue 14, case 4: stderr is read, not only the (empty) stdout."""
    stderr = (
        "Traceback (most recent call last):\n  File agent.py, line 424\n"
        "zipfile.BadZipFile: Bad CRC-32 for file 'ext.so'\n"
    )
    with pytest.raises(HarnessError) as raised:
        parse_agent_output("", stderr, 1)
    assert str(raised.value) == (
        "the probe agent crashed (exit 1): zipfile.BadZipFile: Bad CRC-32 for file 'ext.so'"
    )
    with pytest.raises(HarnessError, match=r"crashed \(exit -9\): no output"):
        parse_agent_output("", "", -9)


def test_classify_reads_pips_decision() -> None:
    def raw(code: int, output: str, **rest):
        return {
            "install": {"exit_code": code, "timed_out": False, "output": output, "seconds": 1.0},
            "pip_version": "20.3.4",
            **rest,
        }

    refused = classify(raw(1, "ERROR: x.whl is not a supported wheel on this platform."))
    assert refused.install is not None and refused.install.decision == "refused"
    assert refused.install.reason == "x.whl is not a supported wheel on this platform."
    failed = classify(raw(1, "ERROR: Could not install packages due to an OSError"))
    assert failed.install is not None and failed.install.decision == "failed"
    accepted = classify(
        raw(0, "Successfully installed x", load={"status": "passed", "stage": "done"})
    )
    assert accepted.install is not None and accepted.install.decision == "accepted"
    assert accepted.load is not None and accepted.load.passed
    hung = classify(
        {"install": {"exit_code": -9, "timed_out": True, "output": "", "seconds": 180.0}}
    )
    assert hung.error is not None and "did not finish" in hung.error


@pytest.fixture
def pip_servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The agent's pip servers of one test, stopped at its end."""
    directory = tmp_path / "pip-servers"
    monkeypatch.setattr(pip_server, "PIP_SERVERS_DIR", str(directory))
    yield directory
    for pid_file in directory.glob("*.pid"):
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_facts_on_the_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pip_servers: Path
) -> None:
    """The facts command measures this very interpreter (packaging from the harness's own env)."""
    import packaging

    probe_agent.facts(str(tmp_path / "venv"), str(Path(packaging.__file__).parent.parent))
    data = parse_agent_output(capsys.readouterr().out)
    assert data["pip_server"]["started"] is True  # the distro pip's server, started as set-up
    assert list(pip_servers.glob("*.sock"))
    assert data["python_version"] == ".".join(map(str, sys.version_info[:3]))
    assert data["glibc"] and data["glibc"].startswith("2.")
    assert data["pip_version"]
    assert any(
        t.startswith(f"cp{sys.version_info[0]}{sys.version_info[1]}-")
        for t in data["supported_tags"]
    )
    assert "libc.so.6" in data["sonames"]


def test_checks_learn_their_modules_from_argv(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        ["mod_a"],
        "import sys, importlib\nassert sys.argv[1:] == ['mod_a'], sys.argv\nimportlib.import_module(sys.argv[1])\n",
        {"mod_a": ""},
    )
    assert result["status"] == "passed", result["output"]


def _site_packages(venv: Path) -> Path:
    (found,) = venv.glob("lib/python3*/site-packages")
    return found


def test_a_fresh_venv_uses_the_template_without_copying_it_and_sees_no_other_cell(
    tmp_path: Path,
) -> None:
    import subprocess
    import venv

    template = tmp_path / "template"
    venv.create(template, with_pip=False, symlinks=True)
    (_site_packages(template) / "installer_stand_in.py").write_text("NAME = 'pip'\n")
    first, second = tmp_path / "cell-1", tmp_path / "cell-2"
    probe_agent.fresh_venv(str(template), str(first))
    # what a cell installs lands in its own site-packages (pip's scheme follows sys.prefix)
    own = _site_packages(first)
    assert own.resolve() != _site_packages(template).resolve()
    assert not (own / "installer_stand_in.py").exists()  # not copied
    (own / "installed_by_cell_one.py").write_text("")
    probe_agent.fresh_venv(str(template), str(second))

    def visible(cell: Path, module: str) -> bool:
        code = f"import importlib.util as u, sys; sys.exit(0 if u.find_spec({module!r}) else 1)"
        done = subprocess.run([str(cell / "bin" / "python"), "-c", code], check=False)
        return done.returncode == 0

    assert visible(first, "installer_stand_in") and visible(second, "installer_stand_in")
    assert visible(first, "installed_by_cell_one")
    assert not visible(second, "installed_by_cell_one")
    assert not (_site_packages(template) / "installed_by_cell_one.py").exists()
    prefix = subprocess.run(
        [str(second / "bin" / "python"), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert prefix == str(second)


def test_an_interpreter_older_than_the_probe_supports_is_named_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(probe_agent, "OLDEST_PYTHON", (99, 0))
    assert probe_agent.main(["facts", "/nonexistent", "/nonexistent"]) == 0
    (problem,) = parse_agent_output(capsys.readouterr().out)["problems"]
    assert "older than the probe's minimum 99.0" in problem
    assert "portable-python" in problem


def test_cells_of_one_wheel_set_share_one_install_whatever_the_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import venv

    template = tmp_path / "template"
    venv.create(template, with_pip=False, symlinks=True)
    monkeypatch.setattr(probe_agent, "SETS_DIR", str(tmp_path / "sets"))
    monkeypatch.setattr(pip_server, "PIP_SERVERS_DIR", str(tmp_path / "pip-servers"))
    pip_runs: list[list[str]] = []
    outcomes = iter([{"timed_out": True}, {"timed_out": False}, {"timed_out": False}])

    def fake_pip(command, timeout, env=None, cwd=None, uid=None):  # stands in for a pip run
        pip_runs.append(command)
        return {
            "exit_code": 0,
            "output": "Successfully installed",
            "seconds": 0.3,
            **next(outcomes),
        }

    monkeypatch.setattr(probe_agent, "run", fake_pip)
    spec = {"wheels": ["/w/a.whl", "/w/b.whl"], "timeouts": {"install": 60}}
    reverse = {**spec, "wheels": ["/w/b.whl", "/w/a.whl"]}

    _, hung = probe_agent.installed_set(spec, str(template))
    assert hung["timed_out"] and len(pip_runs) == 1  # a hang is not a decision to share
    _, first = probe_agent.installed_set(spec, str(template))
    python, again = probe_agent.installed_set(reverse, str(template))
    assert len(pip_runs) == 2
    assert again["shared"] is True and again["seconds"] == 0.0
    assert again["output"] == first["output"] and again["exit_code"] == first["exit_code"]
    assert Path(python).parent.parent.name == "venv"
    _, other = probe_agent.installed_set({**spec, "wheels": ["/w/a.whl"]}, str(template))
    assert len(pip_runs) == 3 and "shared" not in other


def test_a_served_install_lands_in_the_cells_venv_and_decides_as_pip_does(
    tmp_path: Path, pip_servers: Path
) -> None:
    """Real pip on the host: the forked server and `python -m pip` install and refuse alike,
    the served install writes into the cell's venv only, and a second cell's venv does not
    see the first cell's install."""
    import venv

    template = tmp_path / "template"
    venv.create(template, with_pip=True, symlinks=True)
    wheels = tmp_path / "wheels"
    fits = make_wheel(wheels, "t_fits-1.0-py3-none-any.whl", {"t_fits/__init__.py": "V = 1\n"})
    alien = make_wheel(wheels, "t_alien-1.0-py3-none-win_amd64.whl", {"t_alien.py": ""})
    template_site = pip_server.site_packages(str(template))
    assert template_site is not None
    before = sorted(os.listdir(template_site))
    answers = {}
    for driver in ("forked", "process"):
        for wheel in (fits, alien):
            cell = tmp_path / f"{driver}-{wheel.stem}"
            cell.mkdir()
            cell_venv = str(cell / "venv")
            probe_agent.fresh_venv(str(template), cell_venv)
            args = ["install", "--no-index", "--no-cache-dir", "--disable-pip-version-check"]
            env = {"PIP_NO_INPUT": "1"}
            if driver == "forked":
                done = pip_server.install_into(
                    str(template), cell_venv, [*args, str(wheel)], 120, env
                )
                assert done.get("served") is True and "agent_error" not in done
            else:
                python = os.path.join(cell_venv, "bin", "python")
                done = probe_agent.run([python, "-m", "pip", *args, str(wheel)], 120, env=env)
            answers[(driver, wheel.name)] = (
                done["exit_code"] == 0,
                diagnostics.pip_reason(done["output"]),
            )
            own = pip_server.site_packages(cell_venv)
            assert own is not None
            landed = [n for n in os.listdir(own) if n.endswith(".dist-info")]
            assert landed == (["t_fits-1.0.dist-info"] if wheel is fits else [])
    assert answers[("forked", fits.name)] == answers[("process", fits.name)]
    assert answers[("forked", alien.name)] == answers[("process", alien.name)]
    assert answers[("forked", fits.name)][0] is True
    assert answers[("forked", alien.name)][0] is False
    assert sorted(os.listdir(template_site)) == before  # nothing written into the template


def test_both_lines_of_a_quick_child_are_read_apart() -> None:
    """A pip that decides quickly sends its pid and its exit status back to back: one packet
    can carry both lines, and each must still be read as its own message."""
    import socket

    client, child = socket.socketpair()
    with client, child, client.makefile("rb") as reader:
        child.sendall(b'{"pid": 42}\n{"exit_code": 0}\n')
        assert pip_server.read_message(client, reader, 5) == {"pid": 42}
        assert pip_server.read_message(client, reader, 5) == {"exit_code": 0}
        child.close()
        with pytest.raises(OSError):
            pip_server.read_message(client, reader, 5)  # the child died without a word


def test_the_test_extras_and_requirements_are_installed_with_the_wheels() -> None:
    spec = {"wheels": ["/w/a.whl", "/w/b.whl"], "extras": "[test]", "requirements": ["pytest"]}
    assert probe_agent.install_arguments(spec) == ["/w/a.whl[test]", "/w/b.whl[test]", "pytest"]
    assert probe_agent.install_arguments({"wheels": ["/w/a.whl"]}) == ["/w/a.whl"]


def test_a_forced_load_leaves_out_what_needs_the_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused wheel is loaded anyway, but a project's tests need pytest, which the refused
    install never brought: the forced load runs the imports and the check only."""
    ran: dict[str, list[str]] = {}

    def refused(spec, template):  # stands in for a pip that refused the set
        return "/venv/bin/python", {"exit_code": 1, "timed_out": False, "output": "refused"}

    def record(python, workdir, spec, label, extra_env):
        ran[label] = [check[0] for check in spec["checks"]]
        return {"status": "passed", "output": "", "seconds": 0.1}

    monkeypatch.setattr(probe_agent, "installed_set", refused)
    monkeypatch.setattr(probe_agent, "run_checks", record)
    monkeypatch.setattr(probe_agent, "emit", lambda data: None)
    wheel = make_wheel(tmp_path / "w", "t_x-1.0-py3-none-any.whl", {"t_x.py": ""})
    spec = {
        "workdir": str(tmp_path / "cell"),
        "template": str(tmp_path / "template"),
        "wheels": [str(wheel)],
        "checks": [["import t_x", "/c.py", []], ["tests", "/c.py", []]],
        "installed_only": ["tests"],
        "timeouts": {"install": 60, "run": 60},
    }
    probe_agent.cell(spec)
    assert ran == {"forced": ["import t_x"]}
