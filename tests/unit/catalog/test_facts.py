"""The catalogs' facts stay consistent: every row has its arches, glibc and eol, the dates
parse, and each build image's arches are ones its policy exists for."""

from __future__ import annotations

import datetime

import pytest

from harness.catalog.model import ROLLING, default_catalog
from harness.judge import policy as policy_mod
from harness.vocab import policy_names


def _rows():
    catalog = default_catalog()
    return [(row, catalog._row_arches(row)) for row in catalog.distro_rows]


@pytest.mark.parametrize("profile", ["local", "official"])
def test_every_distro_has_arches_glibc_and_a_parsable_eol(profile):
    for distro in default_catalog().distros(profile):
        assert distro.expected_glibc, distro.key
        assert distro.eol or distro.name.endswith("forky"), distro.key  # testing has none
        if distro.eol and distro.eol != ROLLING:
            datetime.date.fromisoformat(distro.eol)
    for row, arches in _rows():
        assert arches, row["name"]


@pytest.mark.parametrize("profile", ["local", "official"])
def test_build_image_arches_are_a_subset_of_their_policys(profile):
    for image in default_catalog().build_images(profile):
        if policy_names.is_musl(image.policy):
            continue  # musllinux policies are not in auditwheel's manylinux table
        known = {p.name for p in policy_mod.policies(image.arch.name)}
        assert image.policy in known, f"{image.key}: {image.policy} has no {image.arch.name}"
