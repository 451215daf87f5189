"""Verify: wheels built elsewhere through the same probe and judgement."""
