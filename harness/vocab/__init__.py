"""The shared vocabulary below every stage of the pipeline: architectures, platform tags and
policy names, installers, verdicts. Pure data and parsing; no stage imports upward from here."""
