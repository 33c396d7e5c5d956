"""Learner configurations of the grasp tasks (RSL-RL and skrl)."""
