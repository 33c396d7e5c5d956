"""Command-line entry points behind ``scripts/`` (train, play)."""
