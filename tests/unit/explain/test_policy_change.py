"""`explain OLD NEW`: pure, against the shipped catalogs, auditwheel's policy data and a real
(trimmed) local-profile run on x86_64."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import shutil
from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.cli import explain as explain_command
from harness.errors import UsageError
from harness.explain import policy_change as explain_mod
from harness.explain.model import DistroReach, Explanation, Tool
from harness.explain.policy_change import explain
from harness.explain.render import render_markdown, render_text
from harness.judge import policy
from harness.judge.installers import tag_families
from harness.results.record import RunRecord, load
from tests.helpers import DATA_DIR

RESULTS = DATA_DIR / "explain-results.json"
TODAY = datetime.date(2025, 1, 1)


@pytest.fixture(scope="module")
def record() -> RunRecord:
    return load(RESULTS)


def official(old: str, new: str, record: RunRecord | None = None) -> Explanation:
    return explain(
        old, new, default_catalog(), record, tag_families(), profile="official", today=TODAY
    )


def local(old: str, new: str, record: RunRecord | None) -> Explanation:
    return explain(
        old, new, default_catalog(), record, tag_families(), profile="local", today=TODAY
    )


def names(reaches: tuple[DistroReach, ...]) -> set[str]:
    return {r.name for r in reaches}


def test_2014_to_2_28_loses_the_pre_2_28_distros() -> None:
    expl = official("manylinux2014", "manylinux_2_28")
    assert expl.old.name == "manylinux_2_17" and expl.new.name == "manylinux_2_28"
    assert {"centos-7", "ubuntu-16.04", "ubuntu-18.04", "debian-9", "amazonlinux-2"} <= names(
        expl.lost
    )
    assert not {"almalinux-8", "debian-10", "ubuntu-20.04"} & names(expl.lost)
    assert {"almalinux-8", "debian-10", "ubuntu-24.04"} <= names(expl.kept)
    # Below both floors, or no glibc at all: neither policy installs there.
    assert {"centos-6", "alpine-3.15"} <= names(expl.out_of_reach)
    assert not expl.regained and not expl.evidence

    centos7 = next(r for r in expl.lost if r.name == "centos-7")
    assert (centos7.glibc, centos7.glibc_source) == ("2.17", "catalog")
    assert (centos7.eol, centos7.eol_past) == ("2024-06-30", True)
    amazon2 = next(r for r in expl.lost if r.name == "amazonlinux-2")
    assert (amazon2.eol, amazon2.eol_past) == ("2026-06-30", False)
    assert expl.lost[0].name == "centos-7"  # oldest glibc first


def test_a_rolling_release_is_supported_with_no_end_date() -> None:
    expl = official("manylinux_2_28", "manylinux_2_34")
    arch = next(r for r in expl.kept if r.name == "archlinux")
    assert (arch.eol, arch.eol_past) == ("rolling", False)
    shown = render_text(dataclasses.replace(expl, lost=(arch,)))  # where EOLs are shown
    assert "rolling release" in shown and "EOL rolling" not in shown


def test_a_rolling_releases_catalog_glibc_is_only_a_lower_bound() -> None:
    """Tumbleweed's catalogued 2.40 is its last snapshot's: below a 2.41 floor it is not
    "lost" but unknown until measured; Arch's 2.43 is past both floors whatever it is now."""
    expl = official("manylinux_2_39", "manylinux_2_41")
    assert "opensuse-tumbleweed" in names(expl.unknown)
    assert "opensuse-tumbleweed" not in names(expl.lost)
    assert "archlinux" in names(expl.kept)
    assert "glibc >= 2.40 (rolling, not measured)" in render_text(expl)


def test_policy_data_comes_from_auditwheel() -> None:
    expl = official("manylinux2014", "manylinux_2_28")
    assert expl.old.glibc == (2, 17) and expl.new.glibc == (2, 28)
    assert expl.old.ceiling("GLIBC") == "2.17" and expl.new.ceiling("GLIBC") == "2.28"
    assert expl.old.ceiling("GLIBCXX") == "3.4.19" and expl.new.ceiling("GLIBCXX") == "3.4.24"
    # CXXABI_FLOAT128 and CXXABI_TM_1 are not versions: the ceiling is the newest numbered one.
    new_cxxabi = policy.get_policy("manylinux_2_28", "x86_64").symbol_versions["CXXABI"]
    assert "FLOAT128" in new_cxxabi
    assert expl.new.ceiling("CXXABI").startswith("1.3.")
    assert expl.old.ceiling("LIBATOMIC") == ""  # manylinux2014 allows no libatomic symbols
    assert expl.whitelist_added == ("libmvec.so.1",) and expl.whitelist_removed == ()


def test_minimum_pip_per_policy_comes_from_installers_toml() -> None:
    first = official("manylinux1", "manylinux2010")
    assert (first.old.min_pip, first.old.pip_family) == ("8.1", "manylinux1")
    assert (first.new.min_pip, first.new.pip_family) == ("19.0", "manylinux2010")
    second = official("manylinux2014", "manylinux_2_28")
    # A manylinux2014 wheel carries the legacy tag too, which pip knows from 19.3 on.
    assert (second.old.min_pip, second.old.pip_family) == ("19.3", "manylinux2014")
    assert (second.new.min_pip, second.new.pip_family) == ("20.3", "manylinux_x_y")


def test_aliases_resolve_as_elsewhere_in_the_harness() -> None:
    short = official("2014", "2_28")
    assert short == official("manylinux2014", "manylinux_2_28")
    assert short.old.label == "manylinux2014 (manylinux_2_17)"
    assert short.old.build_image == "quay.io/pypa/manylinux2014_x86_64"


def test_toolchain_without_measured_facts_says_so() -> None:
    expl = official("manylinux2014", "manylinux_2_28")
    assert not expl.toolchain_measured
    gcc = expl.new.tool("gcc")
    assert gcc is not None and (gcc.version, gcc.source) == ("", "not measured")
    glibc = expl.new.tool("glibc")
    assert glibc is not None and (glibc.version, glibc.source) == ("2.28", "catalog")
    assert "not measured" in render_text(expl)


def runnable(reaches: tuple[DistroReach, ...]) -> set[str]:
    return {r.name for r in reaches if r.runnable}


def test_local_switch_with_results_loses_bullseye_by_measured_glibc(record: RunRecord) -> None:
    expl = local("manylinux_2_31", "manylinux_2_36", record)
    # Debian 11 runs here (as debian-bullseye); the other distros of glibc 2.31 .. 2.35 are
    # known but not runnable in the local profile.
    assert runnable(expl.lost) == {"debian-11"}
    bullseye = next(r for r in expl.lost if r.name == "debian-11")
    assert bullseye.rows == ("debian-bullseye",)
    assert (bullseye.glibc, bullseye.glibc_source) == ("2.31", "measured")
    assert (bullseye.eol, bullseye.eol_past) == ("2026-08-31", False)
    assert {"ubuntu-20.04", "ubuntu-22.04", "almalinux-9"} <= names(expl.lost)
    # The trixie variants are rows of one distro, Debian 13.
    assert runnable(expl.kept) == {"debian-12", "debian-13", "debian-14"}
    trixie = next(r for r in expl.kept if r.name == "debian-13")
    assert trixie.rows == ("debian-trixie", "debian-trixie-nolibcrypt", "debian-trixie-x11")
    # The local build images are Debian suites: their glibc is the suite's.
    old_glibc = expl.old.tool("glibc")
    assert old_glibc is not None and (old_glibc.version, old_glibc.source) == ("2.31", "catalog")


def test_local_switch_without_results_uses_the_catalog_glibc() -> None:
    expl = local("manylinux_2_31", "manylinux_2_36", None)
    assert runnable(expl.lost) == {"debian-11"}
    bullseye = next(r for r in expl.lost if r.name == "debian-11")
    assert bullseye.glibc_source == "catalog" and expl.results == ""
    assert next(r for r in expl.lost if r.name == "ubuntu-20.04").glibc_source == "data"


def test_evidence_counts_cells_per_distro_and_policy(record: RunRecord) -> None:
    expl = explain(
        "2_31",
        "2_36",
        default_catalog(),
        record,
        tag_families(),
        profile="local",
        today=TODAY,
        results="results/x86_64/results.json",
    )
    found = {(e.distro, e.policy): (e.ok, e.refused, e.other) for e in expl.evidence}
    # bullseye refuses most wheels built on bookworm; some still install (tagged lower).
    assert found[("debian-bullseye", "manylinux_2_36")] == (3, 5, 2)
    assert found[("debian-bullseye", "manylinux_2_31")] == (8, 0, 1)
    assert found[("debian-bookworm", "manylinux_2_36")] == (9, 0, 1)
    assert expl.evidence[0].distro == "debian-bullseye"  # oldest measured glibc first
    text = render_text(expl)
    assert "Observed in results/x86_64/results.json" in text
    assert "3 ok / 5 refused / 2 other" in text


def test_measured_toolchain_facts_are_preferred(record: RunRecord) -> None:
    facts = {"gcc": "10.2.1", "g++": "10.2.1", "binutils": "2.35.2", "glibc": "2.31"}
    measured = dataclasses.replace(
        record, images={"build:manylinux_2_31:x86_64": {"facts": {**facts, "auditwheel": "6.8.2"}}}
    )
    expl = local("manylinux_2_31", "manylinux_2_36", measured)
    assert expl.toolchain_measured
    tools = {t.name: (t.version, t.source) for t in expl.old.toolchain}
    assert tools["gcc"] == ("10.2.1", "measured")
    assert tools["auditwheel"] == ("6.8.2", "measured")
    assert tools["gfortran"] == ("", "not measured")
    assert expl.new.tool("gcc") == Tool("gcc", "", "not measured")
    assert "10.2.1 (measured)" in render_text(expl)


def test_distro_pip_older_than_the_new_tag_is_flagged(record: RunRecord) -> None:
    old_pip = {
        **record.distros,
        "debian-trixie-x86_64": {
            "facts": {**record.distros["debian-trixie-x86_64"]["facts"], "pip_version": "20.2.4"}
        },
    }
    expl = local("manylinux2014", "manylinux_2_31", dataclasses.replace(record, distros=old_pip))
    trixie = next(r for r in expl.kept if r.name == "debian-13")
    assert trixie.pip_too_old and trixie.pip_version == "20.2.4"
    assert "its pip 20.2.4 predates 20.3" in render_text(expl)


def test_moving_down_regains_distros() -> None:
    expl = official("manylinux_2_28", "manylinux2014")
    assert not expl.lost
    assert {"centos-7", "ubuntu-18.04"} <= names(expl.regained)
    assert "lowers the glibc floor from 2.28 to 2.17" in render_text(expl)


def test_results_of_another_profile_are_not_used(record: RunRecord) -> None:
    expl = official("manylinux2014", "manylinux_2_28", record)
    assert not expl.evidence and expl.results == ""
    assert any("local profile" in note for note in expl.notes)
    # A merged run of both profiles serves either.
    merged = official("2014", "2_28", dataclasses.replace(record, profile="local+official"))
    assert not any("profile" in note for note in merged.notes)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("manylinux2099", "manylinux_2_28", "manylinux2099"),
        ("manylinux2014", "bogus", "bogus"),
        ("manylinux2014", "musllinux_1_2", "different C libraries"),
        ("2014", "manylinux_2_17", "same policy"),
    ],
)
def test_bad_policy_names_are_usage_errors(old: str, new: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as info:
        official(old, new)
    assert "\n" not in str(info.value)


def test_unknown_arch_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="sparc"):
        explain("2014", "2_28", default_catalog(), None, tag_families(), arch="sparc")


def test_markdown_renders_tables(record: RunRecord) -> None:
    md = render_markdown(official("manylinux2014", "manylinux_2_28"))
    assert md.startswith("## manylinux2014 (manylinux_2_17) -> manylinux_2_28")
    assert "| distro | C library | end of life | manylinux2014 (manylinux_2_17) |" in md
    assert "| centos-7 (CentOS 7) | glibc 2.17 (catalog) | EOL 2024-06-30 (past) [" in md
    assert "| minimum pip | 19.3 (manylinux2014 tags) | 20.3 (manylinux_x_y tags) |" in md
    assert "|---|---|---|---|" in md
    local_md = render_markdown(local("manylinux_2_31", "manylinux_2_36", record))
    assert "### Observed" in local_md
    assert "| debian-bullseye | 8 ok / 0 refused / 1 other | 3 ok / 5 refused / 2 other |" in (
        local_md
    )


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    explain_command.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["explain", *argv])


def test_command_line_with_explicit_results(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse("manylinux_2_31", "manylinux_2_36", "--results", str(RESULTS.parent))
    # --results names a directory here: explain-results.json is not results.json there.
    with pytest.raises(UsageError, match="results.json"):
        explain_command.run(args, today=TODAY)
    args = _parse("manylinux_2_31", "manylinux_2_36", "--results", str(RESULTS))
    # explain's question is about the world: the official profile unless told otherwise
    assert args.profile == "official" and args.arch == "x86_64" and args.format == "text"
    args = _parse(
        "manylinux_2_31", "manylinux_2_36", "--results", str(RESULTS), "--profile", "local"
    )
    assert explain_command.run(args, today=TODAY) == 0
    out = capsys.readouterr().out
    bullseye = next(line for line in out.splitlines() if line.startswith("  debian-11 "))
    assert "glibc 2.31 (measured)" in bullseye and bullseye.rstrip().endswith("debian-bullseye")
    # every known distro once: Ubuntu 20.04 shares bullseye's glibc, and says why it is not run
    ubuntu = next(line for line in out.splitlines() if line.startswith("  ubuntu-20.04 "))
    assert "no: no local catalog row (official profile: ubuntu-20.04)" in ubuntu
    assert "3 ok / 5 refused / 2 other" in out


def test_command_line_finds_the_newest_matching_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "results" / "x86_64"
    run_dir.mkdir(parents=True)
    shutil.copy(RESULTS, run_dir / "results.json")
    (tmp_path / "results" / "broken").mkdir()
    (tmp_path / "results" / "broken" / "results.json").write_text("{", encoding="utf-8")
    assert explain_mod.find_results(tmp_path, "local", "x86_64") == run_dir / "results.json"
    assert explain_mod.find_results(tmp_path, "local", "aarch64") is None
    assert explain_mod.find_results(tmp_path, "official", "x86_64") is None

    monkeypatch.chdir(tmp_path)
    local_md = _parse("2_31", "2_36", "--format", "markdown", "--profile", "local")
    assert explain_command.run(local_md, today=TODAY) == 0
    out = capsys.readouterr().out
    assert "From `results/x86_64/results.json`" in out
    aarch64 = _parse("2_31", "2_36", "--arch", "aarch64", "--profile", "local")
    assert explain_command.run(aarch64, today=TODAY) == 0
    assert "Observed" not in capsys.readouterr().out
    # the official profile (the default) has no run here: nothing observed either
    assert explain_command.run(_parse("2_31", "2_36"), today=TODAY) == 0
    assert "Observed" not in capsys.readouterr().out


def test_command_line_explains_a_user_catalogs_distros(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team = tmp_path / "team.toml"
    team.write_text(
        '[[distro]]\nprofile = "official"\nname = "team-os-2.30"\nimage = "registry.example/os:1"\n'
        'family = "dnf"\narches = ["x86_64"]\nglibc = "2.30"\npython = "3.9"\n'
        'eol = "2027-01-31"\ndescription = "the team\'s own OS"\nrecipe = "dnf"\n',
        encoding="utf-8",
    )
    args = _parse("2_28", "2_31", "--profile", "official", "--catalog", str(team))
    assert explain_command.run(args, today=TODAY) == 0
    lost = next(line for line in capsys.readouterr().out.splitlines() if "team-os-2.30" in line)
    assert "glibc 2.30 (catalog)" in lost and "EOL 2027-01-31 (supported)" in lost
    assert lost.rstrip().endswith("team-os-2.30")  # runnable: its own row runs it
    broken = tmp_path / "broken.toml"
    broken.write_text('[[distro]]\nprofile = "official"\n', encoding="utf-8")
    with pytest.raises(UsageError, match="broken.toml"):
        explain_command.run(_parse("2_28", "2_31", "--catalog", str(broken)), today=TODAY)
