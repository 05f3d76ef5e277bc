"""Root pytest configuration: plugins for the whole suite (tests/conftest.py has the fixtures)."""

# A plugin must be named in the root conftest, not in tests/conftest.py's subfolder ones.
pytest_plugins = ["tests.support.error_codes_seen"]
