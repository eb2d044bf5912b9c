"""The `linka` command: serve, migrate, createowner, demo, check."""
