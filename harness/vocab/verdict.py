"""The five verdicts and the three outcomes they fall into.

the claim held      ok, refused-as-claimed, over-restrictive
the claim broke     violation (the finding the harness exists for)
could not tell      error (infrastructure: never a pass, never a violation)
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    OK = "ok"  # installed as claimed, imported, computed the right answer
    REFUSED_AS_CLAIMED = "refused-as-claimed"  # pip refused, and the tags say it should
    VIOLATION = "violation"  # the claim is broken: accepted but fails, or refused though claimed
    OVER_RESTRICTIVE = "over-restrictive"  # refused as the tags say, yet a forced load works
    ERROR = "error"  # the harness could not tell

    @property
    def claim_held(self) -> bool:
        return self in (Verdict.OK, Verdict.REFUSED_AS_CLAIMED, Verdict.OVER_RESTRICTIVE)
