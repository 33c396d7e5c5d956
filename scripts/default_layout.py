"""Print the disaggregated layout arguments for this machine (used by ``make train``).

Two or more GPUs: every GPU but the last simulates, the last learns. One GPU: it simulates and the learner
runs on the CPU. No GPU: two simulation processes and the learner, all on the CPU.
"""

import torch

n = torch.cuda.device_count()
if n >= 2:
    sims, learner = ",".join(f"cuda:{i}" for i in range(n - 1)), f"cuda:{n - 1}"
elif n == 1:
    sims, learner = "cuda:0", "cpu"
else:
    sims, learner = "cpu,cpu", "cpu"
print(f"--topology disaggregated --sim_devices {sims} --learner_device {learner}")
