"""An arch pointed at another Docker engine over ssh:// (`--engine x86_64=ssh://...`), as a user
with a real aarch64 or ppc64le machine does. The "remote" machine is this one, reached through
an sshd of the test's own on loopback, so every engine call, cibuildwheel's docker CLI and the
probe's copies go through ssh; the engine treats it as remote (no bind mounts).

The client side is isolated: HOME points at the test's own ~/.ssh (read by paramiko, which the
harness's SDK uses), and an `ssh` wrapper first on PATH gives the docker CLI the same config
(OpenSSH reads the passwd entry's home, not $HOME)."""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.images.provider import ImageProvider
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.engine import Engine
from harness.util.ownership import LABEL
from tests.helpers.commands import load_results, run_cli

pytestmark = pytest.mark.xdist_group("remote")

SSHD = Path("/usr/sbin/sshd")


@dataclass(frozen=True)
class SshEngine:
    url: str
    env: dict[str, str]  # set on top of the environment: the client side's own ~/.ssh
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _keygen(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path.with_suffix(".pub").read_text().strip()


@pytest.fixture(scope="module")
def ssh_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshEngine]:
    if not SSHD.exists() or shutil.which("ssh") is None:
        pytest.fail(
            "openssh-server and openssh-client are not installed: apt-get install "
            "openssh-server (tox -e tests installs it)",
            pytrace=False,
        )
    root = tmp_path_factory.mktemp("ssh")
    home = root / "home"
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    host_key = _keygen(root / "host_ed25519")
    client_key = home / ".ssh" / "id_ed25519"
    (root / "authorized_keys").write_text(_keygen(client_key) + "\n")
    port = _free_port()
    (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key}\n")
    (root / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root / 'host_ed25519'}\n"
        f"AuthorizedKeysFile {root / 'authorized_keys'}\nPidFile {root / 'sshd.pid'}\n"
        "StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
        "PermitRootLogin prohibit-password\nLogLevel INFO\n"
    )
    (root / "ssh_config").write_text(
        f"IdentityFile {client_key}\nUserKnownHostsFile {home / '.ssh' / 'known_hosts'}\n"
        "StrictHostKeyChecking yes\nBatchMode yes\n"
    )
    wrapper = root / "bin" / "ssh"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec {shutil.which("ssh")} -F {root / "ssh_config"} "$@"\n')
    wrapper.chmod(0o755)
    with contextlib.suppress(PermissionError):  # not root: sshd then runs without it
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
    log = root / "sshd.log"
    with open(log, "w") as sink:
        sshd = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(root / "sshd_config")],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while "Server listening" not in log.read_text():
            assert sshd.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        env = {"HOME": str(home), "PATH": f"{wrapper.parent}:{os.environ['PATH']}"}
        yield SshEngine(f"ssh://{getpass.getuser()}@127.0.0.1:{port}", env, log)
    finally:
        sshd.terminate()
        sshd.wait(timeout=30)


def test_an_arch_on_an_ssh_engine_builds_and_probes_there(
    ssh_engine: SshEngine, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    # The images are made through the local socket first (the same engine: the remote run
    # then finds them by their recipe tags), so that this test spends its time on ssh.
    catalog = default_catalog()
    provider = ImageProvider(engine, Cache(settings.cache_dir), settings)
    provider.ensure(catalog.build_images("local", ["x86_64"], ["manylinux_2_31"])[0].image)
    provider.ensure(catalog.distros("local", ["x86_64"], ["debian-bullseye"])[0].image)

    results = tmp_path / "results"
    selection = ["--policy", "manylinux_2_31", "--distro", "debian-bullseye", "--pip", "none"]
    selection += ["--uv", "none", "--offer", "none"]  # the engine is under test, not the axes
    selection += ["--sample", "c_plain", "--sample", "glibc_control", "--arch", "x86_64"]
    proc = run_cli(
        "run",
        "--profile",
        "local",
        *selection,
        "--engine",
        f"x86_64={ssh_engine.url}",
        "--results-dir",
        str(results),
        timeout=1800,
        # an empty cache of its own: the wheels are built by cibuildwheel over ssh
        env={**ssh_engine.env, "MANYLINUX_HARNESS_CACHE": str(tmp_path / "cache")},
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    record = load_results(results)
    assert list(record["host"]["engines"]) == [ssh_engine.url]
    assert [c["verdict"] for c in record["cells"]] == ["ok", "ok"]
    assert all(c["as_expected"] for c in record["cells"])
    built = [line for line in proc.stdout.splitlines() if "built in" in line]
    assert len(built) == 2, proc.stdout[-3000:]  # both wheels built, none taken from a cache
    logins = ssh_engine.log.read_text().count("Accepted publickey")
    assert logins >= 2, ssh_engine.log.read_text()  # the SDK and the docker CLI both came in
    leftover = engine.labelled({LABEL: "1"})
    assert [c.name for c in leftover if "ssh" in c.name] == []
