"""Trained policies rolled out and measured: :mod:`.episode_plan` (episodes drawn from a seed, independent of the
environment that runs them), :mod:`.rollout` (``scripts/play.py``: episodes, statistics, camera frames, video),
:mod:`.compare` (``scripts/evaluate.py``: a teacher against its student on the same episodes), :mod:`.stats`
(Wilson intervals, exact McNemar, object bootstrap), :mod:`.paired` (``scripts/compare.py``), :mod:`.results_page`
(the table of ``docs/results.md``); :mod:`.frames` draws."""
