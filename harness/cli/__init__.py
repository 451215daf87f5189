"""Command line: manylinux-harness doctor | run | report | explain | verify | gate | merge |
clean. One module per command (`register` adds its parser, `run` does it); main dispatches.

Importing this package loads no engine client, ELF reader or auditwheel: each command
imports what it needs when it runs, so `--help` and a mistyped option answer at once.
"""

from harness.cli.dispatch import main

__all__ = ["main"]
