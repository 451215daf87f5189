"""The distro knowledge base: every distro once, one end of life with its source, consistent
with the catalogs' rows of the same identity."""

from __future__ import annotations

from collections import Counter

import pytest

from harness.catalog.model import ROLLING, Catalog, default_catalog
from harness.catalog.profiles import PROFILES
from harness.explain import distros
from harness.explain.distros import KnownDistro, entries, known, row_identity


def test_each_distro_once_with_an_end_of_life_and_its_source() -> None:
    ids = Counter(d.id for d in known())
    assert [i for i, n in ids.items() if n > 1] == []
    for distro in known():
        assert distro.eol_source, distro.id
        if distro.eol not in ("", ROLLING):
            assert len(distro.eol) == 10 and distro.eol[4] == "-", distro.id
        # A source key left unexpanded would be a name, not a source.
        assert not distro.eol_source.startswith(("pep600:", "manylinux:", "catalog:")), distro.id


def test_the_catalogs_rows_agree_with_the_knowledge_base() -> None:
    """glibc and end of life are written twice (the catalog runs the row, this list explains
    it): a row that says otherwise is a stale value in one of them."""
    catalog = default_catalog()
    by_id = {d.id: d for d in known()}
    checked = 0
    for profile in PROFILES:
        for distro in catalog.distros(profile):
            row = next(
                r
                for r in catalog.distro_rows
                if (r["profile"], r["name"]) == (profile, distro.name)
            )
            ident = row_identity(row, catalog)
            assert ident in by_id, f"{profile} row {distro.name} ({ident}) is not in distros.toml"
            assert distro.expected_glibc == by_id[ident].glibc, distro.name
            assert distro.eol == by_id[ident].eol, distro.name
            checked += 1
    assert checked > 40


def test_local_rows_join_their_debian_release_and_variants_are_one_distro() -> None:
    local = {e.distro.id: e for e in entries(default_catalog(), "local", "x86_64")}
    assert local["debian-11"].rows == ("debian-bullseye",)
    assert local["debian-13"].rows == (
        "debian-trixie",
        "debian-trixie-nolibcrypt",
        "debian-trixie-x11",
    )
    assert local["ubuntu-20.04"].runnable is False
    assert local["ubuntu-20.04"].why_not == "no local catalog row (official profile: ubuntu-20.04)"


def test_official_entries_mark_data_rows_and_unrunnable_rows() -> None:
    official = {e.distro.id: e for e in entries(default_catalog(), "official", "x86_64")}
    assert official["centos-5"].runnable is False
    assert official["centos-5"].why_not == "data only: no catalog runs it"
    assert official["centos-6"].runnable is False
    assert official["centos-6"].why_not.startswith("no usable interpreter")
    assert official["ubuntu-14.04"].rows == ("ubuntu-14.04",)
    # The end of life is the knowledge base's, with the source spelled out.
    assert official["ubuntu-14.04"].distro.eol == "2019-04-25"
    assert "pep600_compliance" in official["ubuntu-14.04"].distro.eol_source


def test_a_distro_catalogued_for_other_arches_only_is_left_out() -> None:
    aarch64 = {e.distro.id for e in entries(default_catalog(), "official", "aarch64")}
    assert "archlinux" not in aarch64  # the official image is x86_64 only
    assert "centos-5" in aarch64  # data only: its arches are not recorded


@pytest.mark.parametrize("arch", ["x86_64", "aarch64", "armv7l"])
def test_no_distro_is_listed_twice_for_any_profile(arch: str) -> None:
    for profile in PROFILES:
        ids = [e.distro.id for e in entries(default_catalog(), profile, arch)]
        assert len(ids) == len(set(ids))


def test_a_user_catalogs_unknown_row_is_a_distro_of_its_own() -> None:
    user_row = {
        "profile": "official",
        "name": "acme-linux-7",
        "image": "registry.example/acme:7",
        "family": "dnf",
        "arches": ["x86_64"],
        "glibc": "2.30",
        "eol": "2030-01-01",
        "description": "ACME Linux 7",
        "recipe": "dnf",
    }
    shipped = default_catalog()
    catalog = Catalog(
        suites=shipped.suites,
        recipes=shipped.recipes,
        build_rows=shipped.build_rows,
        distro_rows=(*shipped.distro_rows, user_row),
        stages=shipped.stages,
    )
    acme = next(e for e in entries(catalog, "official", "x86_64") if e.distro.id == "acme-linux-7")
    assert acme.runnable and acme.rows == ("acme-linux-7",)
    assert (acme.distro.glibc, acme.distro.eol) == ("2.30", "2030-01-01")


def test_source_keys_are_spelled_out() -> None:
    data = {
        "sources": {"pep600": "pep600_compliance at abc"},
        "distro": [
            {"id": "x-1", "name": "X 1", "glibc": "2.1", "eol": "", "eol_source": "pep600: LTS"}
        ],
    }
    (row,) = distros.from_toml(data)
    assert row == KnownDistro("x-1", "X 1", "2.1", "", "pep600_compliance at abc: LTS")
