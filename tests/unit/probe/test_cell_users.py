"""What runs a cell's processes: the timeout holds whatever the command's children do, and
nothing that changes users or kills by uid runs outside a probe container."""

from __future__ import annotations

import pytest

from harness.probe import cell_users


def test_a_timeout_holds_while_a_child_in_its_own_session_keeps_the_output_open() -> None:
    """The child escapes the process group (setsid) and holds stdout: the caller is back
    within seconds of the timeout, not when the child ends."""
    result = cell_users.run(["sh", "-c", "setsid sleep 60 & echo started; sleep 60"], timeout=1.0)
    assert result["timed_out"] and "started" in result["output"]
    assert result["seconds"] < 5.0, result


def test_an_ended_command_whose_child_holds_the_output_is_not_waited_for() -> None:
    result = cell_users.run(["sh", "-c", "setsid sleep 60 & echo done"], timeout=30.0)
    assert not result["timed_out"] and result["exit_code"] == 0
    assert result["output"].strip() == "done" and result["seconds"] < 5.0


def test_a_command_that_closes_its_output_and_runs_on_still_times_out() -> None:
    result = cell_users.run(["sh", "-c", "exec >/dev/null 2>&1; sleep 60"], timeout=1.0)
    assert result["timed_out"] and result["seconds"] < 5.0


def test_nothing_of_users_happens_outside_a_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cell_users.IN_PROBE, raising=False)
    for call in (cell_users.lock_down, cell_users.new_user, lambda: cell_users.kill_user(42001)):
        with pytest.raises(RuntimeError, match="only in a probe container"):
            call()
