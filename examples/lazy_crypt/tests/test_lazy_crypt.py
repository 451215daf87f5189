"""The example's own test suite, as a publisher writes one: run by cibuildwheel in the build
image, and by `manylinux-harness verify --project` on other distros."""

import os
import zlib

import lazy_crypt


def test_adler32_matches_zlib():
    data = b"manylinux-harness" * 100
    assert lazy_crypt.adler32(data) == zlib.adler32(data)


def test_the_installed_wheel_is_imported():
    # test-sources are copied into a fresh directory: the package comes from site-packages
    assert "site-packages" in lazy_crypt.__file__


def test_sha512_crypt():
    # The SHA-crypt specification's first SHA-512 vector.
    expected = (
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbY"
        "EdFCoEOfaS35inz1"
    )
    assert lazy_crypt.crypt("Hello world!", "$6$saltstring") == expected


def test_the_test_environment_is_evaluated_where_the_tests_run():
    scratch = os.environ["LAZY_CRYPT_SCRATCH"]
    assert os.path.isdir(scratch) and os.access(scratch, os.W_OK)
