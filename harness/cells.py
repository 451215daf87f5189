"""The matrix as pytest tests (collected by `manylinux-harness run`, or explicitly:
`pytest --pyargs harness.cells --profile local --arch x86_64`)."""

from harness.results import CellRecord


def test_cell(cell_record: CellRecord) -> None:
    if cell_record.declared:
        assert cell_record.as_expected, (
            f"{cell_record.key}: declared {cell_record.declared}, observed "
            f"{cell_record.verdict.value}: {cell_record.diagnosis or cell_record.explanation}"
        )
    else:
        assert cell_record.as_expected, (
            f"{cell_record.key}: {cell_record.verdict.value}: "
            f"{cell_record.explanation}{' | ' + cell_record.diagnosis if cell_record.diagnosis else ''}"
        )
