"""The matrix as pytest tests (collected by `manylinux-harness run`, or explicitly:
`pytest --pyargs harness.matrix.cells --profile local --arch x86_64`)."""

import pytest

from harness.results.record import CellRecord


def test_cell(cell_record: CellRecord) -> None:
    if cell_record.as_expected:
        return
    if cell_record.declared:
        message = (
            f"{cell_record.key}: declared {cell_record.declared}, observed "
            f"{cell_record.verdict.value}: {cell_record.diagnosis or cell_record.explanation}"
        )
    else:
        diagnosis = f" | {cell_record.diagnosis}" if cell_record.diagnosis else ""
        message = (
            f"{cell_record.key}: {cell_record.verdict.value}: {cell_record.explanation}{diagnosis}"
        )
    # The cell's words, not this function's source: the record says all there is to say.
    pytest.fail(message, pytrace=False)
