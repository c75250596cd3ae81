"""convtutor.timing: blocks (never call-by-call alternation), stability, plausibility checks, and the
benchmarked layers checked against PyTorch."""

from __future__ import annotations

import json
import time
from pathlib import Path

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


class FakeClock:
    """A clock that moves only when a timed function says so (``advance``) or the helper pauses
    (``sleep``): the timing logic is tested exactly, whatever else the machine is doing."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds

    advance = sleep


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(timing, "time", fake)
    return fake


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


def test_unstable_blocks_are_flagged_and_retried(clock):
    state = {"n": 0}

    def slower_each_block():
        state["n"] += 1
        clock.advance(0.0005 * (1 + state["n"] // 4))   # the time keeps growing: blocks never agree

    result = timing.time_blocks({"drift": slower_each_block}, threads=1, block_seconds=0.0, min_calls=3, settle=0,
                                max_calls=3, retries=2)
    t = result["drift"]
    assert not t.stable and t.spread > 0.15 and "UNSTABLE" in str(t)
    assert state["n"] == 2 + 4 * 4   # calibration, then 2 blocks and 2 retries of 1 + 3 calls each

    steady = timing.time_blocks({"step": lambda: clock.advance(0.002)}, threads=1, block_seconds=0.02)
    assert steady["step"].stable and steady["step"].calls == 10   # 20 ms of 2-ms calls
    assert abs(steady["step"].median_ms - 2.0) < 1e-9


def test_a_real_clock_measures_at_least_the_time_slept():
    # the one test on the real clock: a sleep never takes less than asked, however busy the host
    result = timing.time_blocks({"sleep": lambda: time.sleep(0.002)}, threads=1, block_seconds=0.01,
                                retries=0, settle=0)
    assert min(result["sleep"].block_ms) >= 2.0


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


def _layers(**ms):
    """A run of several layers, each with the given (torch, convtutor) time at batch 1."""
    return {"layers": {name.replace("_", " "): {"macs": 10**8, "torch_ms": {"1": t}, "convtutor_ms": {"1": c}}
                       for name, (t, c) in ms.items()}}


@pytest.mark.parametrize("sep, failing", [
    ((3.0, 6.0), []),
    ((17.0, 6.0), ["depthwise separable as long as depthwise 3x3 + pointwise 1x1 (0.5-2x), torch, batch 1"]),
    ((3.0, 2.0), ["depthwise separable as long as depthwise 3x3 + pointwise 1x1 (0.5-2x), convtutor, batch 1"]),
])
def test_check_run_rejects_a_layer_slower_than_its_parts_together(sep, failing):
    # the reference run of 2026-12-03 16:50: depthwise 1.05 ms and pointwise 2.55 ms in torch at
    # batch 8, but depthwise separable 16.9 ms: every other check passed
    run = _layers(depthwise_3x3=(1.0, 2.0), pointwise_1x1=(2.0, 3.0), depthwise_separable=sep)
    assert [c.name for c in timing.check_run(run).checks if not c.passed] == failing


def test_check_run_rejects_a_dilated_layer_far_from_the_standard_one():
    run = _layers(**{"standard_3x3": (2.0, 4.0), "dilated_3x3,_d=2": (2.5, 6.5)})
    failed = [c.name for c in timing.check_run(run).checks if not c.passed]
    assert failed == ["dilated 3x3, d=2 as long as standard 3x3 (0.67-1.5x), convtutor, batch 1"]


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


def test_blocks_are_separated_by_a_settling_pause(clock):
    stamps = []

    def a():
        stamps.append(("a", clock.perf_counter()))

    def b():
        stamps.append(("b", clock.perf_counter()))

    timing.time_blocks({"a": a, "b": b}, threads=1, block_seconds=0.0, min_calls=2, max_calls=2, retries=0,
                       settle=0.05)
    switches = [(t1 - t0) for (n0, t0), (n1, t1) in zip(stamps[4:], stamps[5:]) if n0 != n1]
    assert switches == pytest.approx([0.05] * 3)   # the pause, and nothing else, between blocks


# ------------------------------------------------------------------ the layers' costs and the chapters' runs

# weights of the seven layers, written out: C_in / g * C_out * K per step
PARAMETERS = {"standard 3x3": 64 * 64 * 9, "dilated 3x3, d=2": 64 * 64 * 9, "transposed 4x4, s=2": 64 * 64 * 16,
              "separable 3x1 + 1x3": 2 * 64 * 64 * 3, "depthwise 3x3": 64 * 9, "pointwise 1x1": 64 * 64,
              "depthwise separable": 64 * 9 + 64 * 64}


@pytest.mark.parametrize("name", list(timing.LAYERS))
def test_layer_module_is_the_timed_layer(name):
    module = timing.layer_module(name)
    assert sum(p.numel() for p in module.parameters()) == PARAMETERS[name] == timing.layer_parameters(name)
    assert all(not hasattr(m, "bias") or m.bias is None for m in module)
    calls = timing.layer_callables(name, batch=2)
    x = torch.from_numpy(np.random.default_rng(0).standard_normal(
        (2, 64, 28 if name.startswith("transposed") else 56, 56 if not name.startswith("transposed") else 28),
        dtype=np.float32))
    with torch.no_grad():
        ours = module(x)
    assert ours.shape == (2, 64, 56, 56)
    # the same weights as the timed torch call: on the timed call's own input, the same output
    with torch.no_grad():
        y_call = calls["torch"]()
    assert y_call.shape == ours.shape
    weights = [p.detach().numpy() for p in module.parameters()]
    again = [p.detach().numpy() for p in timing.layer_module(name).parameters()]
    assert all(np.array_equal(a, b) for a, b in zip(weights, again))


def test_layer_module_and_callables_share_weights():
    # a 1x1 layer: the module applied to the callables' input must give the callables' output
    module = timing.layer_module("pointwise 1x1")
    calls = timing.layer_callables("pointwise 1x1", batch=1)
    x = np.random.default_rng(0)
    timing._weights(timing.LAYERS["pointwise 1x1"][1], np.float32, x)        # skip the weights, as the call does
    x = torch.from_numpy(x.standard_normal((1, 64, 56, 56)).astype(np.float32))
    with torch.no_grad():
        np.testing.assert_allclose(module(x).numpy(), calls["torch"]().numpy(), rtol=1e-6, atol=1e-6)


def test_layer_traffic_and_intensity_written_out():
    fmap = 64 * 56 * 56 * 4                                         # one float32 feature map: 802816 bytes
    assert timing.layer_traffic("standard 3x3") == (fmap, 0, fmap, 64 * 64 * 9 * 4)
    assert timing.layer_traffic("transposed 4x4, s=2", batch=8) == (8 * 64 * 28 * 28 * 4, 0, 8 * fmap,
                                                                    64 * 64 * 16 * 4)
    t = timing.layer_traffic("depthwise separable", batch=8)
    assert t == (8 * fmap, 8 * fmap, 8 * fmap, (64 * 9 + 64 * 64) * 4)
    assert t.total == 4 * 8 * fmap + (64 * 9 + 64 * 64) * 4
    # 2 FLOPs a multiply-add over the bytes: 231211008 / 1753088 and 3612672 / 1607936
    assert timing.layer_intensity("standard 3x3") == pytest.approx(131.888, abs=1e-3)
    assert timing.layer_intensity("depthwise 3x3") == pytest.approx(2.24677, abs=1e-5)
    assert timing.layer_intensity("depthwise 3x3", batch=8) == pytest.approx(
        2 * 8 * 56 * 56 * 64 * 9 / (2 * 8 * fmap + 64 * 9 * 4))
    assert timing.layer_traffic("pointwise 1x1", itemsize=8).input == 2 * fmap


def test_attainable_gflops_is_the_roofline():
    assert timing.attainable_gflops(1.0, 100.0, 25.0) == 25.0        # memory-bound: the slanted roof
    assert timing.attainable_gflops(4.0, 100.0, 25.0) == 100.0       # the ridge point
    assert timing.attainable_gflops(50.0, 100.0, 25.0) == 100.0      # compute-bound: the flat roof
    with pytest.raises(ValueError, match="intensity=-1"):
        timing.attainable_gflops(-1, 100.0, 25.0)


def test_scratch_bytes_sees_numpy_temporaries_not_the_output():
    x = np.zeros(10_000)
    assert timing.scratch_bytes(lambda: x.copy()) < 1_000               # the output is not scratch
    assert 80_000 <= timing.scratch_bytes(lambda: (x + 1) * 2) < 81_000  # one temporary of 80000 bytes
    assert 160_000 <= timing.scratch_bytes(lambda: np.stack([x + 1, x + 2]).sum(0)) < 330_000
    with pytest.raises(TypeError, match="fn must be callable"):
        timing.scratch_bytes(3)


def test_measure_layers_has_the_run_layout(monkeypatch):
    log = []

    def fake(name, batch):
        return {lib: _recorder(log, (name, lib, batch)) for lib in ("torch", "convtutor")}

    monkeypatch.setattr(timing, "layer_callables", fake)
    layers, stable = timing.measure_layers(["depthwise 3x3", "pointwise 1x1"], (1, 8), libraries=("torch",),
                                           block_seconds=0.0, settle=0, blocks=2, retries=0)
    assert layers["depthwise 3x3"]["macs"] == 56 * 56 * 64 * 9
    assert set(layers["pointwise 1x1"]) == {"macs", "torch_ms"}
    assert set(layers["pointwise 1x1"]["torch_ms"]) == {"1", "8"}
    assert list(stable) == [f"{n} torch {b}" for n in ("depthwise 3x3", "pointwise 1x1") for b in (1, 8)]
    assert {lib for _, lib, _ in log} == {"torch"}                        # convtutor was never called
    with pytest.raises(ValueError, match="libraries has 'jax'"):
        timing.measure_layers(["pointwise 1x1"], libraries=("jax",))


def test_check_run_holds_a_partial_run_to_the_checks_it_can_make():
    layer = {"macs": 10**8, "torch_ms": {"1": 5.0, "8": 35.0}}
    run = {"layers": {"standard 3x3": layer}, "stable": {"standard 3x3 torch 1": True}}
    verdict = timing.check_run(run)
    assert [c.name for c in verdict.checks] == ["standard 3x3, torch: batch 8 / batch 1 within 3-12x",
                                                "every timing stable (blocks agree)"]
    assert verdict.reportable
    one_batch = {"layers": {"standard 3x3": {"macs": 1, "torch_ms": {"1": 5.0}}}, "stable": {"x": False}}
    assert [c.name for c in timing.check_run(one_batch).checks] == ["every timing stable (blocks agree)"]


def test_live_run_is_a_small_checked_run():
    run = timing.live_run(["pointwise 1x1"], (1,), block_seconds=0.01, settle=0)
    assert set(run["layers"]) == {"pointwise 1x1"} and set(run["layers"]["pointwise 1x1"]) == {"macs", "torch_ms"}
    assert run["machine"]["threads"] == 2 and "date" in run
    assert run["checks"][-1]["name"] == "every timing stable (blocks agree)"
    assert run["reportable"] == all(c["passed"] for c in run["checks"])


REFERENCE = json.loads((Path(__file__).resolve().parents[1] / "book" / "data" / "reference_run.json").read_text())


def test_the_reference_run_is_complete():
    assert set(REFERENCE["layers"]) == set(timing.LAYERS)
    for name, layer in REFERENCE["layers"].items():
        assert layer["macs"] == timing.layer_macs(name)
        assert set(layer["torch_ms"]) == set(layer["convtutor_ms"]) == {"1", "8"}
    assert {"blocks_ms", "interleaved_ms", "busy_core_ms", "quiet_ms"} <= set(REFERENCE["lesson"])
    assert REFERENCE["reportable"] == timing.check_run(REFERENCE).reportable


def test_texts_fit_the_books_code_column():
    text = timing.describe_run(REFERENCE) + "\n" + str(timing.check_run(REFERENCE))
    assert max(map(len, text.splitlines())) <= 76
    live = {"compute_peak_gflops": 80.0, "bandwidth_gbps": {"main": 20.0, "cache": 50.0},
            "layers": {n: {"macs": 1, "torch_ms": {"1": 1.0, "8": 8.0}, "convtutor_ms": {"1": 2.0}}
                       for n in timing.LAYERS}}
    table = timing.side_by_side(REFERENCE, live)
    assert max(map(len, table.splitlines())) <= 76
    assert len(table.splitlines()) == 1 + 3 + 7 * 3
    assert "depthwise separable, convtutor, batch 1" in table


def test_check_run_rejects_layers_that_all_take_the_same_time():
    # the busy machine of the timing issue: every layer about 30 ms, whatever its work
    stalled = {"layers": {"standard 3x3": {"macs": 115605504, "torch_ms": {"1": 30.2, "8": 31.0}},
                          "depthwise 3x3": {"macs": 1806336, "torch_ms": {"1": 30.0, "8": 31.5}}}}
    verdict = timing.check_run(stalled)
    failing = [c.name for c in verdict.checks if not c.passed]
    assert failing == ["standard 3x3, torch: batch 8 / batch 1 within 3-12x",
                       "depthwise 3x3 faster than standard 3x3, torch, batch 8"]
    quiet = {"layers": {"standard 3x3": {"macs": 115605504, "torch_ms": {"1": 0.7, "8": 5.6}},
                        "depthwise 3x3": {"macs": 1806336, "torch_ms": {"1": 0.1, "8": 0.6}}}}
    assert timing.check_run(quiet).reportable


def test_a_timing_rests_on_the_blocks_that_agree_best():
    # one block slowed by a neighbour: the other two agree and carry the timing
    t = timing.Timing("x", 2, 10, (1.0, 5.0, 1.1), 0.15, agree=2)
    assert t.kept == (1.0, 1.1) and t.stable
    assert abs(t.median_ms - 1.05) < 1e-12
    # all three must agree: they do not
    every = timing.Timing("x", 2, 10, (1.0, 5.0, 1.1), 0.15)
    assert every.kept == (1.0, 1.1, 5.0) and not every.stable and every.median_ms == 1.1
    # no two agree within 15%
    assert not timing.Timing("x", 2, 10, (1.0, 1.2, 1.44), 0.15, agree=2).stable


def test_only_the_unstable_callable_runs_extra_blocks(clock):
    state = {"calm": 0, "noisy": 0}

    def calm():
        state["calm"] += 1
        clock.advance(0.001)

    def noisy():
        state["noisy"] += 1
        clock.advance(0.0005 * (1 + state["noisy"] // 4))   # every block slower than the last

    result = timing.time_blocks({"calm": calm, "noisy": noisy}, threads=1, block_seconds=0.0,
                                min_calls=3, max_calls=3, retries=2, settle=0)
    assert result["calm"].stable and len(result["calm"].block_ms) == 2
    assert not result["noisy"].stable and len(result["noisy"].block_ms) == 4
