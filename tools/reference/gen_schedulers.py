"""Learning rate scheduler oracles: per-group learning rates right after construction and after each step, from
torch.optim.lr_scheduler. The Hugging Face warmup schedules are LambdaLR with HF's formulas; Forge's WarmupScheduler
is SequentialLR([LinearLR(start_factor, 1, warmup), after], [warmup])."""
import math
import warnings

import torch
from torch.optim import lr_scheduler as S

from common import save

warnings.filterwarnings("ignore")
BASE_LRS = [0.1, 0.05]


def hf_linear(warmup, total):
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        return max(0.0, float(total - step) / float(max(1, total - warmup)))
    return f


def hf_cosine(warmup, total, cycles=0.5):
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        progress = float(step - warmup) / float(max(1, total - warmup))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(cycles) * 2.0 * progress)))
    return f


def build(opt, spec):
    k, a = spec["kind"], spec
    if k == "step":
        return S.StepLR(opt, a["step_size"], a["gamma"])
    if k == "multistep":
        return S.MultiStepLR(opt, a["milestones"], a["gamma"])
    if k == "exponential":
        return S.ExponentialLR(opt, a["gamma"])
    if k == "linear":
        return S.LinearLR(opt, a["start_factor"], a["end_factor"], a["total_iters"])
    if k == "cosine":
        return S.CosineAnnealingLR(opt, a["t_max"], a["eta_min"])
    if k == "warm_restarts":
        return S.CosineAnnealingWarmRestarts(opt, a["t_0"], a["t_mult"], a["eta_min"])
    if k == "cyclic":
        return S.CyclicLR(opt, a["base_lr"], a["max_lr"], a["step_size_up"], a.get("step_size_down"), a["mode"],
                          a["gamma"], cycle_momentum=False)
    if k == "one_cycle":
        return S.OneCycleLR(opt, a["max_lr"], total_steps=a["total_steps"], pct_start=a["pct_start"],
                            anneal_strategy=a["anneal"], cycle_momentum=False, div_factor=a["div_factor"],
                            final_div_factor=a["final_div_factor"], three_phase=a["three_phase"])
    if k == "lambda":
        return S.LambdaLR(opt, lambda e: 1.0 / (1.0 + 0.1 * e))
    if k == "sequential":
        return S.SequentialLR(opt, [build(opt, s) for s in a["schedulers"]], a["milestones"])
    if k == "warmup":
        warm = S.LinearLR(opt, a["start_factor"], 1.0, a["warmup_steps"])
        return S.SequentialLR(opt, [warm, build(opt, a["after"])], [a["warmup_steps"]])
    if k == "linear_warmup_decay":
        return S.LambdaLR(opt, hf_linear(a["warmup_steps"], a["total_steps"]))
    if k == "cosine_warmup_decay":
        return S.LambdaLR(opt, hf_cosine(a["warmup_steps"], a["total_steps"], a["cycles"]))
    if k == "plateau":
        return S.ReduceLROnPlateau(opt, a["mode"], a["factor"], a["patience"], a["threshold"], a["threshold_mode"],
                                   a["cooldown"], a["min_lr"], a["eps"])
    raise ValueError(k)


CASES = {
    "step": dict(kind="step", step_size=7, gamma=0.5, steps=40),
    "multistep": dict(kind="multistep", milestones=[5, 12, 12, 30], gamma=0.3, steps=40),
    "exponential": dict(kind="exponential", gamma=0.9, steps=40),
    "linear_warm": dict(kind="linear", start_factor=0.25, end_factor=0.9, total_iters=10, steps=30),
    "linear_decay": dict(kind="linear", start_factor=1.0, end_factor=0.1, total_iters=20, steps=30),
    "cosine": dict(kind="cosine", t_max=10, eta_min=0.001, steps=50),
    "warm_restarts_mult2": dict(kind="warm_restarts", t_0=5, t_mult=2, eta_min=0.002, steps=50),
    "warm_restarts_mult1": dict(kind="warm_restarts", t_0=7, t_mult=1, eta_min=0.0, steps=30),
    "cyclic_triangular": dict(kind="cyclic", base_lr=0.01, max_lr=0.1, step_size_up=5, step_size_down=3,
                              mode="triangular", gamma=1.0, steps=40),
    "cyclic_triangular2": dict(kind="cyclic", base_lr=0.01, max_lr=0.1, step_size_up=4, mode="triangular2",
                               gamma=1.0, steps=40),
    "cyclic_exp_range": dict(kind="cyclic", base_lr=0.02, max_lr=0.2, step_size_up=6, mode="exp_range",
                             gamma=0.97, steps=40),
    "one_cycle_cos": dict(kind="one_cycle", max_lr=0.5, total_steps=40, pct_start=0.25, anneal="cos",
                          div_factor=25.0, final_div_factor=1e4, three_phase=False, steps=40),
    "one_cycle_linear_three_phase": dict(kind="one_cycle", max_lr=0.3, total_steps=30, pct_start=0.3,
                                         anneal="linear", div_factor=10.0, final_div_factor=100.0,
                                         three_phase=True, steps=30),
    "lambda": dict(kind="lambda", steps=30),
    "sequential_two": dict(kind="sequential", milestones=[5], steps=30, schedulers=[
        dict(kind="linear", start_factor=0.2, end_factor=1.0, total_iters=5),
        dict(kind="exponential", gamma=0.9)]),
    "sequential_three": dict(kind="sequential", milestones=[6, 16], steps=40, schedulers=[
        dict(kind="step", step_size=3, gamma=0.5),
        dict(kind="cosine", t_max=10, eta_min=0.0),
        dict(kind="exponential", gamma=0.8)]),
    "warmup_cosine": dict(kind="warmup", warmup_steps=8, start_factor=0.01, steps=45,
                          after=dict(kind="cosine", t_max=30, eta_min=0.0)),
    "warmup_restarts": dict(kind="warmup", warmup_steps=4, start_factor=0.1, steps=30,
                            after=dict(kind="warm_restarts", t_0=6, t_mult=1, eta_min=0.0)),
    "linear_warmup_decay": dict(kind="linear_warmup_decay", warmup_steps=6, total_steps=40, steps=45),
    "cosine_warmup_decay": dict(kind="cosine_warmup_decay", warmup_steps=5, total_steps=40, cycles=0.5, steps=40),
    "cosine_warmup_decay_cycles": dict(kind="cosine_warmup_decay", warmup_steps=3, total_steps=30, cycles=1.5,
                                       steps=30),
    "plateau_min_rel": dict(kind="plateau", mode="min", factor=0.5, patience=2, threshold=0.01,
                            threshold_mode="rel", cooldown=1, min_lr=0.01, eps=1e-8,
                            metrics=[1.0, 0.9, 0.8, 0.795, 0.8, 0.81, 0.7, 0.7, 0.7, 0.7, 0.7, 0.69, 0.5, 0.5,
                                     0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4]),
    "plateau_max_abs": dict(kind="plateau", mode="max", factor=0.3, patience=1, threshold=0.05,
                            threshold_mode="abs", cooldown=0, min_lr=0.0, eps=1e-8,
                            metrics=[0.1, 0.2, 0.22, 0.24, 0.3, 0.31, 0.32, 0.33, 0.5, 0.5, 0.5, 0.52, 0.6, 0.6,
                                     0.6, 0.6, 0.6, 0.6, 0.6, 0.6]),
}


def run(spec):
    params = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    opt = torch.optim.SGD([dict(params=[params[0]], lr=BASE_LRS[0]), dict(params=[params[1]], lr=BASE_LRS[1])],
                          lr=BASE_LRS[0])
    sched = build(opt, spec)
    current = lambda: [g["lr"] for g in opt.param_groups]
    lrs = [current()]
    if spec["kind"] == "plateau":
        for m in spec["metrics"]:
            opt.step()
            sched.step(m)
            lrs.append(current())
    else:
        for _ in range(spec["steps"]):
            opt.step()
            sched.step()
            lrs.append(current())
    return lrs


save("schedulers", {"base_lrs": BASE_LRS, "cases": {name: dict(spec, lrs=run(spec)) for name, spec in CASES.items()}})
