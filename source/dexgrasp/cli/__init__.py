"""Command-line entry points behind ``scripts/``: argument parsing only, the work is in the layers below."""
