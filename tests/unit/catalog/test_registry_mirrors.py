"""Registry mirrors: parsing the mappings, rewriting references, checking digest pins."""

from __future__ import annotations

import pytest

from harness.catalog.model import default_catalog
from harness.catalog.registry_mirrors import (
    MIRRORS_VARIABLE,
    ImageReference,
    parse_mirror,
    parse_mirrors,
    pin_mismatch,
    served_digest,
)
from harness.errors import UsageError

DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32


@pytest.mark.parametrize(
    ("text", "registry", "path", "tag", "digest"),
    [
        ("debian:12", "docker.io", "library/debian", "12", ""),
        ("debian", "docker.io", "library/debian", "", ""),
        ("docker.io/debian:12", "docker.io", "library/debian", "12", ""),
        ("index.docker.io/library/debian:12", "docker.io", "library/debian", "12", ""),
        ("opensuse/leap:15.6", "docker.io", "opensuse/leap", "15.6", ""),
        ("quay.io/pypa/manylinux2014_x86_64", "quay.io", "pypa/manylinux2014_x86_64", "", ""),
        (
            f"quay.io/pypa/musllinux_1_2_x86_64@{DIGEST}",
            "quay.io",
            "pypa/musllinux_1_2_x86_64",
            "",
            DIGEST,
        ),
        (f"alpine:3.23@{DIGEST}", "docker.io", "library/alpine", "3.23", DIGEST),
        ("127.0.0.1:5000/quay/pypa/x:1", "127.0.0.1:5000", "quay/pypa/x", "1", ""),
        ("localhost/x", "localhost", "x", "", ""),
    ],
)
def test_references_normalise_as_the_engine_does(text, registry, path, tag, digest):
    ref = ImageReference.parse(text)
    assert (ref.registry, ref.path, ref.tag, ref.digest) == (registry, path, tag, digest)


@pytest.mark.parametrize("text", ["Debian:12", "debian@sha256:xyz", "quay.io/", "debian:bad tag"])
def test_malformed_references_are_one_line_errors(text):
    with pytest.raises(UsageError) as info:
        ImageReference.parse(text)
    assert text in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("mapping", "reference", "pulled"),
    [
        ("docker.io=127.0.0.1:5000/hub", "debian:12", "127.0.0.1:5000/hub/library/debian:12"),
        (
            "docker.io=mirror.example/hub",
            "opensuse/leap:16.0",
            "mirror.example/hub/opensuse/leap:16.0",
        ),
        ("index.docker.io=m.example", "alpine:3.23", "m.example/library/alpine:3.23"),
        (
            "quay.io=127.0.0.1:5000/quay",
            "quay.io/pypa/manylinux2014_x86_64",
            "127.0.0.1:5000/quay/pypa/manylinux2014_x86_64",
        ),
        (
            "quay.io=m.example:443/a/b/",
            f"quay.io/pypa/x@{DIGEST}",
            f"m.example:443/a/b/pypa/x@{DIGEST}",
        ),
        ("quay.io=m.example", "debian:12", "debian:12"),  # not covered: unchanged
        ("docker.io=m.example", "quay.io/pypa/x:1", "quay.io/pypa/x:1"),
    ],
)
def test_rewrite(mapping, reference, pulled):
    assert parse_mirrors([mapping]).rewrite(reference) == pulled


def test_plain_http_only_for_a_named_loopback_registry():
    assert parse_mirror("quay.io=http://127.0.0.1:5000/quay").plain_http
    assert parse_mirror("quay.io=http://localhost:5000").plain_http
    assert parse_mirror("quay.io=http://[::1]:5000").plain_http
    assert not parse_mirror("quay.io=127.0.0.1:5000/quay").plain_http  # HTTPS unless named
    with pytest.raises(
        UsageError, match=r"plain HTTP is allowed only .* serve m.example over HTTPS"
    ):
        parse_mirror("quay.io=http://m.example/quay")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("quay.io", "is not UPSTREAM=MIRROR"),
        ("=m.example", "is not UPSTREAM=MIRROR"),
        ("quay.io/pypa=m.example", "is not a registry host"),
        ("quay.io=ftp://m.example", "neither http nor https"),
        ("quay.io=m example", "is not HOST[:PORT]"),
        ("quay.io=m.example/Upper", "is not a repository path"),
    ],
)
def test_bad_mappings_name_the_mapping_and_the_fix(text, says):
    with pytest.raises(UsageError) as info:
        parse_mirror(text)
    message = str(info.value)
    assert says in message and repr(text) in message and "\n" not in message


def test_environment_variable_and_options():
    environ = {MIRRORS_VARIABLE: "quay.io=a.example/q, docker.io=b.example/hub"}
    mirrors = parse_mirrors(["quay.io=c.example/q"], environ)
    assert mirrors.to_json() == {"quay.io": "c.example/q", "docker.io": "b.example/hub"}
    assert not parse_mirrors([], {})
    with pytest.raises(UsageError, match="given twice"):
        parse_mirrors(["quay.io=a.example", "quay.io=b.example"])
    with pytest.raises(UsageError, match="is not UPSTREAM=MIRROR"):
        parse_mirrors([], {MIRRORS_VARIABLE: "quay.io"})


def test_digest_pins_are_checked_against_what_was_served():
    pulled = f"127.0.0.1:5000/quay/pypa/x@{DIGEST}"
    assert pin_mismatch(pulled, [f"127.0.0.1:5000/quay/pypa/x@{DIGEST}"]) is None
    message = pin_mismatch(pulled, [f"127.0.0.1:5000/quay/pypa/x@{OTHER}"], "quay.io/pypa/x")
    assert message is not None
    assert "mirror of quay.io/pypa/x" in message and OTHER in message and DIGEST in message
    assert "no digest" in (pin_mismatch(pulled, []) or "")
    assert pin_mismatch("127.0.0.1:5000/quay/pypa/x:1", []) is None  # no pin, nothing to check
    # Docker records Hub images by their familiar name.
    assert served_digest("docker.io/library/debian:12", [f"debian@{DIGEST}"]) == DIGEST


def test_the_catalog_resolves_pulls_through_mirrors():
    catalog = default_catalog().with_mirrors(
        parse_mirrors(["docker.io=http://127.0.0.1:5000/hub", "quay.io=127.0.0.1:5000/quay"])
    )
    (debian,) = catalog.distros("official", ["x86_64"], ["debian-12"])
    assert debian.image.base.reference == "127.0.0.1:5000/hub/library/debian:12"
    assert debian.image.base.upstream == "debian:12"
    (build,) = catalog.build_images("official", ["x86_64"], ["manylinux2014"])
    assert build.image.base.reference == "127.0.0.1:5000/quay/pypa/manylinux2014_x86_64"
    assert build.image.tag == build.image.base.reference  # no provisioning: pulled as named
    # A mirror names a different source, so a provisioned image gets a different tag; without
    # one, tags are what they were (no upstream key in the recipe).
    (plain,) = default_catalog().distros("official", ["x86_64"], ["debian-12"])
    assert plain.image.base.upstream == "" and "upstream" not in plain.image.recipe()["base"]
    assert plain.image.tag != debian.image.tag


def test_how_a_mirror_is_reached():
    assert parse_mirror("quay.io=http://127.0.0.1:5000").schemes == ("http",)
    # As the engine does for its default insecure registries (127.0.0.0/8).
    assert parse_mirror("quay.io=127.0.0.1:5000/quay").schemes == ("https", "http")
    assert parse_mirror("quay.io=m.example/quay").schemes == ("https",)
    assert parse_mirror("quay.io=https://m.example/quay").schemes == ("https",)
