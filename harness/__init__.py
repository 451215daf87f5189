"""manylinux-harness: end-to-end tests of the claims manylinux wheels make."""

__version__ = "0.1.0"
