"""What pytest prints when a project's test fails: its summary, as the probe captures it."""

PYTEST_OUTPUT = """\
============================= test session starts ==============================
collected 3 items

tests/test_lazy.py .F.                                                   [100%]

=================================== FAILURES ===================================
______________________________ test_sha512_crypt _______________________________

    def test_sha512_crypt():
>       assert lazy.crypt("Hello world!", "$6$saltstring") == EXPECTED
E       OSError: libcrypt.so.1: cannot open shared object file: No such file or directory

tests/test_lazy.py:26: OSError
=========================== short test summary info ============================
FAILED tests/test_lazy.py::test_sha512_crypt - OSError: libcrypt.so.1: cannot open shared object file: No such file
ERROR tests/test_lazy.py::test_fixture - RuntimeError: no fixture
========================= 1 failed, 2 passed in 0.05s ==========================
the test command exited with status 1: python -m pytest tests
"""
