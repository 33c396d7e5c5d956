# The two commands of the README. Both set up .venv first (quick when it is already there).
PY := .venv/bin/python
TRAIN_ARGS ?=

.PHONY: setup train test test-fast demo tensorboard gpu-kit gpu-smoke

setup:
	@bash scripts/setup.sh

# A short training of the default task (end-to-end depth), disaggregated over this machine's devices
# (scripts/default_layout.py: GPUs when there are some, else simulation and learner processes on the CPU).
train: setup
	OMP_NUM_THREADS=1 $(PY) scripts/train.py --task DexGrasp-KukaAllegro-Depth-v0 \
		$$($(PY) scripts/default_layout.py) --num_envs 4 --max_iterations 3 --log_dir logs/make_train \
		presets=res32 env.episode_length_s=4 agent.num_steps_per_env=8 \
		agent.actor.rnn_hidden_dim=64 agent.critic.rnn_hidden_dim=64 $(TRAIN_ARGS)

# one math thread per process: the suite starts simulation and learner processes that share the machine's cores.
# Test files run side by side on up to two workers (most of a test's time is one subprocess on one core), then the
# tests whose deadlines are a few seconds run alone.
test: setup
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -ra --durations=15 -m "not serial" --numprocesses=auto --maxprocesses=2 \
		--dist loadfile
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -ra --durations=5 -m serial

# A first check in minutes: every test that builds no Isaac Lab simulation (the tests marked slow do)
test-fast: setup
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -ra -m "not slow"

# A grasp to watch, in a few minutes on a CPU: the scripted expert (no learned state policy beats it yet, see
# docs/results.md) lifts the cube in 4 episodes; logs/demo/ gets video.mp4, frames.png and summary.json
demo: setup
	OMP_NUM_THREADS=1 $(PY) scripts/play.py --task DexGrasp-KukaAllegro-State-v0 --policy scripted --objects cube \
		--episodes 4 --num_envs 4 --device cpu --video --out logs/demo $(DEMO_ARGS)

# TensorBoard on logs/ at http://localhost:6006 (TB_ARGS="--port 6007 --logdir ...")
tensorboard: setup
	$(PY) scripts/tensorboard_serve.py $(TB_ARGS)

# The learner-side GPU checks for an offline node with only PyTorch: writes gpu_kit/ (wheels, source, specs);
# there, `bash gpu_kit/run.sh OUT_DIR` (docs/benchmarks.md, "Learner on a GPU").
gpu-kit: setup
	$(PY) -m dexgrasp.metrics.gpu_kit build gpu_kit

# The first thing to run on a node with a GPU: one GPU, under 10 minutes, one table (docs/user_guide.md, "GPUs").
gpu-smoke: setup
	bash scripts/gpu_smoke.sh $(SMOKE_ARGS)
