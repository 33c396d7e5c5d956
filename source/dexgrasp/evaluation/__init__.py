"""Policy evaluation: rollouts, episode statistics, camera frame grids and videos."""
