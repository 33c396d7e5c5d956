# The two commands of the README. Both set up .venv first (quick when it is already there).
PY := .venv/bin/python
TRAIN_ARGS ?=

.PHONY: setup train test

setup:
	@bash scripts/setup.sh

# A short training of the default task (end-to-end depth), disaggregated on this machine's devices.
train: setup
	$(PY) scripts/train.py --task DexGrasp-KukaAllegro-Depth-v0 --num_envs 4 --max_iterations 3 \
		presets=res32 env.episode_length_s=4 agent.num_steps_per_env=8 \
		agent.actor.rnn_hidden_dim=64 agent.critic.rnn_hidden_dim=64 $(TRAIN_ARGS)

test: setup
	$(PY) -m pytest -q -ra
