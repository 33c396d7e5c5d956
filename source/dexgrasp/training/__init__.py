"""Training glue: checkpoints, learner runners and their settings (importable without Isaac Lab)."""
