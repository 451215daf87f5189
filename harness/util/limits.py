"""What a container that runs a wheel's or a build's code may use and do. Cheap to import (the
command line builds its options from it before any engine is touched)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The capabilities a probe's agent keeps (Docker's defaults less the rest): to give each cell
# a user of its own (SETUID, SETGID, CHOWN), to clean up after those users (DAC_OVERRIDE,
# FOWNER) and to kill what they left running (KILL). A cell's own processes run as another
# user and keep none of them.
PROBE_CAPABILITIES = ("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "KILL")
# A build (cibuildwheel's, as root) copies, chowns, compiles and repairs: the same, and
# FSETID (files keep their set-id bits as the project has them).
BUILD_CAPABILITIES = (*PROBE_CAPABILITIES, "FSETID")


@dataclass(frozen=True)
class Limits:
    """What a container that runs a wheel's or a build's code may use and do: no new
    privileges (a set-uid binary gains nothing), a bounded number of processes and memory,
    and only the capabilities listed (every other one dropped). Recorded in results.json."""

    memory: str = "8g"  # Docker's units: 512m, 8g
    pids: int = 4096
    capabilities: tuple[str, ...] = PROBE_CAPABILITIES

    def create_kwargs(self) -> dict[str, Any]:
        """For the SDK's containers.run."""
        return {
            "cap_drop": ["ALL"],
            "cap_add": list(self.capabilities),
            "security_opt": ["no-new-privileges"],
            "pids_limit": self.pids,
            "mem_limit": self.memory,
            "memswap_limit": self.memory,  # no swap beyond the limit
        }

    def create_args(self) -> list[str]:
        """For `docker create` (cibuildwheel's create_args)."""
        return [
            "--cap-drop=ALL",
            *(f"--cap-add={cap}" for cap in self.capabilities),
            "--security-opt=no-new-privileges",
            f"--pids-limit={self.pids}",
            f"--memory={self.memory}",
            f"--memory-swap={self.memory}",
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "memory": self.memory,
            "pids": self.pids,
            "capabilities": list(self.capabilities),
            "no_new_privileges": True,
        }
