"""Running cells, for `run` and `verify` alike: one run context (engines, images, probes, the
leftover sweep, the record), the preparation the cells share, and what cells need installed."""
