"""What the tests share: factories of plain data, and where the test data lives."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
