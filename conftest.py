"""Root conftest: registers the harness's pytest plugin, so that from a checkout both the
harness's own tests and the matrix (`pytest harness/matrix/cells.py --profile local`) work."""

pytest_plugins = ["harness.pytest_plugin"]
