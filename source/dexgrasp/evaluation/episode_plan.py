"""Evaluation episodes drawn from a seed, independent of the environment that runs them (simulation-free).

Why: an environment of the grasp task holds one object for its whole life (the cloner decides which), and at a
fixed curriculum level its resets draw from one global random stream, so an evaluation that counts whatever the
environments happen to run measures the cloner's layout and the batch's order, not the task. Here an
evaluation is a list of episodes decided before the simulator starts: episode ``k`` of seed ``s`` has an object
and a start seed that depend on ``(s, k)`` only. Objects are balanced: every block of ``num_objects`` episodes
holds each object of the set once, in an order shuffled by the seed, so per-object rows have equal counts. The
environment (:meth:`dexgrasp.tasks.grasp.grasp_env.GraspEnv._reset_idx`) resets one environment at a time while
a plan is installed: it asks the plan for that environment's next episode and seeds the random generators
with the episode's start seed before the reset events draw the pose, the physics parameters and the camera pose
of the level. The same seed therefore gives the same start states on any number of environments; different seeds
give different ones. What happens during an episode (observation noise, pushes) draws from the shared stream and
is reproduced by the same seed, device and number of environments.
"""

from __future__ import annotations

import random
from collections import deque

import numpy as np


def episode_seed(seed: int, episode: int) -> int:
    """The start seed of episode ``episode`` of an evaluation seeded ``seed`` (a 32-bit integer; seeds of different
    ``(seed, episode)`` pairs are independent draws)."""
    return int(np.random.SeedSequence([int(seed), int(episode)]).generate_state(1)[0])


def balanced_objects(seed: int, episodes: int, num_objects: int) -> list[int]:
    """The object of each episode: blocks of ``num_objects`` episodes, each a permutation of the set drawn from
    ``seed``."""
    rng = random.Random(int(np.random.SeedSequence([int(seed), 0xB1]).generate_state(1)[0]))
    order: list[int] = []
    while len(order) < episodes:
        block = list(range(num_objects))
        rng.shuffle(block)
        order.extend(block)
    return order[:episodes]


class EpisodePlan:
    """Which episode each environment runs next, and which one it just finished.

    ``env_objects`` is the object index each environment holds; episodes are drawn over the objects that some
    environment holds (all of the set's ``num_objects`` when there are enough environments; :attr:`held` says how
    many). An environment takes the next unstarted episode of its object; when none is left it idles (its episodes
    are not counted).
    """

    def __init__(self, seed: int, episodes: int, num_objects: int, env_objects: list[int]):
        if episodes < 1:
            raise ValueError(f"an evaluation needs at least one episode, got {episodes}")
        self.seed, self.episodes = int(seed), int(episodes)
        self.num_objects = int(num_objects)
        held = sorted(set(env_objects))
        self.held = len(held)
        """How many of the set's objects the episodes are drawn over."""
        self.objects = [held[i] for i in balanced_objects(seed, episodes, len(held))]
        """The object of each episode."""
        self._queues: dict[int, deque[int]] = {}
        for k, obj in enumerate(self.objects):
            self._queues.setdefault(obj, deque()).append(k)
        self.env_objects = list(env_objects)
        self.running: list[int | None] = [None] * len(env_objects)
        """The episode each environment runs now (None: idle)."""
        self.finished: list[int | None] = [None] * len(env_objects)
        """The episode each environment finished at its last reset (None: none, or an idle one)."""

    def start(self, env_id: int, ran: bool = True) -> int | None:
        """The environment is being reset: close its running episode, open its next one. Returns the start seed to
        reset it with, or None when it idles.

        ``ran`` False (the episode took no step, as when a wrapper resets again right after another reset): the
        same episode starts over and nothing is finished."""
        if not ran and self.running[env_id] is not None:
            self.finished[env_id] = None
        else:
            self.finished[env_id] = self.running[env_id]
            queue = self._queues.get(self.env_objects[env_id])
            self.running[env_id] = queue.popleft() if queue else None
        k = self.running[env_id]
        return None if k is None else episode_seed(self.seed, k)

    def idle_seed(self, env_id: int) -> int:
        """A start seed for an idle environment (its episode is not counted; any fixed value keeps runs repeatable)."""
        return episode_seed(self.seed, self.episodes + env_id)
