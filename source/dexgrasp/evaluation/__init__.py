"""Trained policies rolled out: :mod:`.rollout` (``scripts/play.py``: episodes, statistics, camera frames, video) and
:mod:`.compare` (``scripts/evaluate.py``: a teacher against its student on the same seeds); :mod:`.frames` draws."""
