"""The pipe's deadlines and failure attribution, on real gloo groups between real processes."""

from __future__ import annotations

import multiprocessing
import os
import time
from datetime import timedelta

import pytest
import torch
import torch.distributed as dist
from dexgrasp.runner.launcher import free_port
from dexgrasp.runner.transport import PeerFailure, join_run, wait_all, within

LEARNER, SLOW, DYING = 0, 1, 2
"""Ranks of the attribution test: a learner fed by a slow simulation process and one that dies."""


def _peer(rank: int, port: int) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    pipe = join_run("gloo", rank, 3, "cpu", 30.0, [LEARNER], [LEARNER])
    if rank == DYING:
        os._exit(1)  # dies before it sends, without closing anything
    time.sleep(2.0)  # the slow one answers after the other has died
    wait_all([pipe.isend(torch.ones(4), LEARNER)], 30.0, "learner")
    time.sleep(2.0)


def test_a_dead_peer_fails_only_the_waits_on_it():
    """The learner waits on the slow process while the other dies: that wait still succeeds, and the failure is
    reported for the process that died, not for the one being waited on."""
    port = free_port()
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    spawn = multiprocessing.get_context("spawn")
    peers = [spawn.Process(target=_peer, args=(rank, port)) for rank in (SLOW, DYING)]
    for peer in peers:
        peer.start()
    try:
        pipe = join_run("gloo", LEARNER, 3, "cpu", 30.0, [LEARNER], [SLOW, DYING])
        slow, dying = torch.zeros(4), torch.zeros(4)
        works = {SLOW: pipe.irecv(slow, SLOW), DYING: pipe.irecv(dying, DYING)}
        wait_all([works[SLOW]], 20.0, "simulation process 0")
        assert slow.tolist() == [1.0] * 4
        with pytest.raises(PeerFailure, match="^simulation process 1 failed"):
            wait_all([works[DYING]], 20.0, "simulation process 1")
    finally:
        for peer in peers:
            peer.join(timeout=30)
            peer.kill()
        dist.destroy_process_group()


def test_a_call_blocked_in_connection_set_up_ends_at_its_deadline():
    """NCCL connects a pair inside the call that posts its first operation, where no wait's timeout applies;
    ``within`` bounds such a call. Here the call is gloo's connection set-up with a peer that never comes."""
    store = dist.HashStore()
    start = time.monotonic()
    with pytest.raises(PeerFailure, match="^rank 1 did not answer within 1.0 s$"):
        within(1.0, "rank 1", lambda: dist.ProcessGroupGloo(store, 0, 2, timedelta(seconds=60)))
    assert time.monotonic() - start < 5
    assert within(1.0, "rank 1", lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        within(1.0, "rank 1", lambda: 1 / 0)
