"""Disaggregated RL training: simulation processes pipe observations to learner processes.

Simulation processes each hold only an environment on their device; the learner holds the policy, the optimizer
and the whole RSL-RL rollout storage on a reserved device (several learners: the hybrid topology). Observations, rewards and dones travel to the learner
and actions back with ``torch.distributed`` point-to-point messages (NCCL when every device is a GPU, gloo
otherwise).

- :mod:`.layout`: which rank runs what on which device with how many environments.
- :mod:`.spec`: the handshake (shapes, dtypes, wire dtypes, log keys).
- :mod:`.transport`: the pipe between them, message layout, timed waits, peer failures.
- :mod:`.server`: the simulation process's step loop.
- :mod:`.curriculum`, :mod:`.curriculum_relay`: one curriculum decided by the learner for all its processes.
- :mod:`.remote_env`: the learner's ``VecEnv`` over all its simulation processes.
- :mod:`.pipelined_runner`: ``OnPolicyRunner`` that acts per simulation process while the others step.
- :mod:`.process`, :mod:`.launcher`: process roles, spawning, watching, stopping, torchrun mode.

Nothing here imports Isaac Lab; the environment comes from a factory the caller passes.
"""

from .launcher import run_disaggregated
from .layout import Layout
from .pipelined_runner import PipelinedOnPolicyRunner
from .remote_env import DisaggregatedVecEnv
from .transport import PeerFailure

__all__ = ["DisaggregatedVecEnv", "Layout", "PeerFailure", "PipelinedOnPolicyRunner", "run_disaggregated"]
