"""Root conftest: registers the harness's pytest plugin, so that from a checkout both the
harness's own tests and the matrix (`pytest harness/matrix/cells.py --profile local`) work."""

# pytester: the plugin is tested in real pytest sessions (tests/unit/test_pytest_plugin.py).
pytest_plugins = ["harness.pytest_plugin", "pytester"]
