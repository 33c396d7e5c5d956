"""Reading training logs and turning them into curves and tables (simulation-free)."""
