"""Results: the versioned record of a run, how cells become records, the gate."""
