"""Plumbing shared by the stages: cache, the one container abstraction, progress."""
