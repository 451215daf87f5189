"""Probe: install and run wheels in distro containers (the agent runs inside)."""
