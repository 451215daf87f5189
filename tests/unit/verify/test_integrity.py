"""Issue 14, case 3 (pure part): a wheel damaged inside is found before anything runs, the
others go on; every one damaged is bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.errors import UsageError
from harness.verify.integrity import damage
from harness.verify.plan import make_plan
from tests.helpers.factories import damage_wheel, make_wheel


def wheel(directory: Path, name: str) -> Path:
    return make_wheel(directory, f"{name}-1.0-py3-none-any.whl", {f"{name}.py": "X = 1\n" * 20})


def test_whole_wheel_has_no_damage(tmp_path: Path) -> None:
    assert damage(wheel(tmp_path, "good")) is None


@pytest.mark.parametrize(
    ("how", "words"), [("crc", "fails its CRC check"), ("central", "its zip is damaged")]
)
def test_damage_inside_is_named(tmp_path: Path, how: str, words: str) -> None:
    path = damage_wheel(wheel(tmp_path, "bad"), how)
    found = damage(path)
    assert found is not None and words in found and "\n" not in found


def plan(paths: list[Path]):
    return make_plan(
        paths, None, "local", ["x86_64"], ["debian-bookworm"], default_catalog(), "x86_64"
    )


def test_damaged_wheel_gets_its_own_set_and_the_others_are_verified(tmp_path: Path) -> None:
    good = wheel(tmp_path, "good")
    bad = damage_wheel(wheel(tmp_path, "bad"), "crc")
    made = plan([good, bad])
    assert [w.filename for w in made.wheels] == [good.name]
    assert [s.wheels[0].filename for s in made.sets] == [good.name]
    ((damaged_set, why),) = made.damaged
    assert damaged_set.wheels[0].path == bad and "bad.py fails its CRC check" in why


def test_every_wheel_damaged_is_bad_input(tmp_path: Path) -> None:
    bad = damage_wheel(wheel(tmp_path, "bad"), "central")
    with pytest.raises(UsageError, match=r"every given wheel is damaged .*bad-1.0.*download"):
        plan([bad])
