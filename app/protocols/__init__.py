"""Care protocols kept as data (TOML files) and the loader that validates them."""
