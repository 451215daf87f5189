"""An example publisher's package: a checksum computed in C, and crypt(3) from the system's
libcrypt.so.1, opened the first time it is needed."""

from lazy_crypt._native import adler32, crypt

__all__ = ["adler32", "crypt"]
