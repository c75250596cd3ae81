"""convtutor.timing: blocks (never call-by-call alternation), stability, plausibility checks, and the
benchmarked layers checked against PyTorch."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from convtutor import timing


def _recorder(log, name, seconds=0.0):
    def fn():
        log.append(name)
        if seconds:
            time.sleep(seconds)
    return fn


def _runs(log):
    """The log as (name, length) runs of consecutive equal entries."""
    runs = []
    for name in log:
        if runs and runs[-1][0] == name:
            runs[-1][1] += 1
        else:
            runs.append([name, 1])
    return runs


def test_time_blocks_alternates_only_by_whole_blocks():
    log = []
    result = timing.time_blocks({"a": _recorder(log, "a"), "b": _recorder(log, "b")}, threads=1,
                                block_seconds=0.0, min_calls=5, max_calls=5, retries=0, settle=0)
    runs = _runs(log)
    # calibration (2 calls each), then blocks of 1 warm-up + 5 timed calls, a's block then b's
    assert [r for r in runs[2:]] == [["a", 6], ["b", 6], ["a", 6], ["b", 6]]
    assert runs[:2] == [["a", 2], ["b", 2]]
    assert result["a"].calls == 5 and len(result["a"].block_ms) == 2


def test_time_interleaved_alternates_call_by_call():
    log = []
    timing.time_interleaved({"a": _recorder(log, "a"), "b": _recorder(log, "b")}, threads=1, calls=4)
    assert log[2:] == ["a", "b"] * 4


def test_unstable_blocks_are_flagged_and_retried():
    state = {"n": 0}

    def slower_each_block():
        state["n"] += 1
        time.sleep(0.0005 * (1 + state["n"] // 4))   # the time keeps growing: blocks never agree

    result = timing.time_blocks({"drift": slower_each_block}, threads=1, block_seconds=0.0, min_calls=3, settle=0,
                                max_calls=3, retries=2)
    t = result["drift"]
    assert not t.stable and t.spread > 0.15 and "UNSTABLE" in str(t)
    assert state["n"] == 2 + 4 * 4   # calibration, then 2 blocks and 2 retries of 1 + 3 calls each

    steady = timing.time_blocks({"sleep": lambda: time.sleep(0.002)}, threads=1, block_seconds=0.02)
    assert steady["sleep"].stable
    assert 1.9 <= steady["sleep"].median_ms <= 4.0


def test_thread_limit_sets_and_restores_torch_threads():
    before = torch.get_num_threads()
    with timing.thread_limit(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("call, exc, match", [
    (lambda: timing.time_blocks({}), TypeError, "callables must be a non-empty mapping"),
    (lambda: timing.time_blocks({"x": 3}), TypeError, r"callables\['x'\] must be callable"),
    (lambda: timing.time_blocks({"x": print}, blocks=1), ValueError, "blocks=1 must be >= 2"),
    (lambda: timing.time_blocks({"x": print}, threads=0), ValueError, "threads=0 must be >= 1"),
    (lambda: timing.time_blocks({"x": print}, tolerance=-0.1), ValueError, "tolerance=-0.1 must be >= 0"),
    (lambda: timing.gemm_gflops(8, library="jax"), ValueError, "library='jax' must be 'numpy' or 'torch'"),
    (lambda: timing.layer_macs("huge"), ValueError, "layer='huge' is not one of"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def _run(cache=40.0, main=10.0, torch_ms=(5.0, 35.0), numpy_ms=(8.0, 60.0), macs=10**8, peak=100.0):
    layer = {"macs": macs, "torch_ms": {"1": torch_ms[0], "8": torch_ms[1]},
             "convtutor_ms": {"1": numpy_ms[0], "8": numpy_ms[1]}}
    return {"compute_peak_gflops": peak, "bandwidth_gbps": {"main": main, "cache": cache},
            "layers": {"standard 3x3": layer}}


@pytest.mark.parametrize("run, failing", [
    (_run(), []),
    (_run(cache=1.1, main=8.4), ["cache faster than main memory"]),       # the busy run of the issue
    (_run(torch_ms=(30.0, 73.0)), ["standard 3x3, torch: batch 8 / batch 1 within 3-12x"]),
    (_run(numpy_ms=(8.0, 200.0)), ["standard 3x3, convtutor: batch 8 / batch 1 within 3-12x"]),
    (_run(torch_ms=(50.0, 400.0)),                                         # 4 GFLOP/s against 100
     ["standard 3x3 (torch, batch 8) within reach of the matrix-product peak"]),
])
def test_check_run_rejects_implausible_runs(run, failing):
    verdict = timing.check_run(run)
    assert [c.name for c in verdict.checks if not c.passed] == failing
    assert verdict.reportable == (not failing)
    assert ("NOT reportable" in str(verdict)) == bool(failing)


def test_check_run_reports_unstable_timings():
    run = dict(_run(), stable={"standard 3x3 torch 1": True, "standard 3x3 torch 8": False})
    verdict = timing.check_run(run)
    assert not verdict.reportable
    assert "unstable: standard 3x3 torch 8" in str(verdict)


@pytest.mark.parametrize("name", list(timing.LAYERS))
def test_benchmarked_layers_agree_with_torch(name):
    calls = timing.layer_callables(name, batch=2)
    ours, theirs = calls["convtutor"](), calls["torch"]().numpy()
    assert ours.shape == theirs.shape == (2, 64, 56, 56)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)
    with FlopCounterMode(display=False) as counter:
        calls["torch"]()
    assert timing.layer_macs(name) * 2 == counter.get_total_flops() // 2   # batch 2, 2 FLOPs a MAC


def test_blocks_are_separated_by_a_settling_pause():
    stamps = []

    def a():
        stamps.append(("a", time.perf_counter()))

    def b():
        stamps.append(("b", time.perf_counter()))

    timing.time_blocks({"a": a, "b": b}, threads=1, block_seconds=0.0, min_calls=2, max_calls=2, retries=0,
                       settle=0.05)
    switches = [(t1 - t0) for (n0, t0), (n1, t1) in zip(stamps[4:], stamps[5:]) if n0 != n1]
    assert len(switches) == 3 and min(switches) >= 0.05
