"""Optimizer oracles: parameters after each of 5 steps for SGD/Adam/AdamW (torch.optim) and LAMB (reference below),
each with two parameter groups of different learning rates; plus gradient clipping values."""
import torch

from common import save

torch.manual_seed(0)
SHAPES = [(3, 4), (4,), (5,)]
INITIAL = [torch.randn(s) for s in SHAPES]
SCALES = [1.0, 2.0, 0.5, 0.1, 1.5]
GRADS = [[torch.randn(s) * scale for s in SHAPES] for scale in SCALES]


class Lamb(torch.optim.Optimizer):
    """LAMB as Forge implements it: Adam moments with bias correction, u = m̂/(√v̂ + eps) + wd·w,
    trust ratio ‖w‖/‖u‖ (1 when either norm is 0, no clamping), w ← w − lr·ratio·u."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                m, v, g = state["exp_avg"], state["exp_avg_sq"], p.grad
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                update = (m / (1 - b1 ** t)) / ((v / (1 - b2 ** t)).sqrt() + group["eps"])
                if group["weight_decay"] != 0:
                    update.add_(p, alpha=group["weight_decay"])
                w_norm = p.double().norm().item()
                u_norm = update.double().norm().item()
                trust = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
                p.add_(update, alpha=-group["lr"] * trust)


def make(kind, defaults, groups, params):
    torch_groups = [dict(params=params[:2], **groups[0]), dict(params=params[2:], **groups[1])]
    d = dict(defaults)
    if "betas" in d:
        d["betas"] = tuple(d["betas"])
    if kind == "sgd":
        return torch.optim.SGD(torch_groups, **d)
    if kind == "adam":
        return torch.optim.Adam(torch_groups, **d)
    if kind == "adamw":
        return torch.optim.AdamW(torch_groups, **d)
    return Lamb(torch_groups, **d)


CASES = {
    "sgd_plain": ("sgd", dict(lr=0.1), [{}, dict(lr=0.03)]),
    "sgd_momentum_dampening": ("sgd", dict(lr=0.1, momentum=0.9, dampening=0.1), [{}, dict(lr=0.03)]),
    "sgd_nesterov": ("sgd", dict(lr=0.05, momentum=0.9, nesterov=True), [{}, dict(lr=0.2)]),
    "sgd_weight_decay": ("sgd", dict(lr=0.1, momentum=0.5, weight_decay=0.05), [{}, dict(lr=0.01)]),
    "adam": ("adam", dict(lr=0.01), [{}, dict(lr=0.05)]),
    "adam_weight_decay": ("adam", dict(lr=0.01, weight_decay=0.1), [{}, dict(lr=0.002)]),
    "amsgrad": ("adam", dict(lr=0.01, betas=[0.8, 0.99], amsgrad=True), [{}, dict(lr=0.03)]),
    "adamw": ("adamw", dict(lr=0.01, weight_decay=0.1), [{}, dict(lr=0.05)]),
    "adamw_group_decay": ("adamw", dict(lr=0.02, betas=[0.85, 0.98], eps=1e-6), [dict(weight_decay=0.0), dict(lr=0.01, weight_decay=0.3)]),
    "lamb": ("lamb", dict(lr=0.01, weight_decay=0.01), [{}, dict(lr=0.05)]),
    "lamb_no_decay": ("lamb", dict(lr=0.02, betas=[0.9, 0.99], eps=1e-8), [{}, dict(lr=0.005)]),
}

cases = {}
for name, (kind, defaults, groups) in CASES.items():
    params = [p.clone().requires_grad_() for p in INITIAL]
    opt = make(kind, defaults, groups, params)
    steps = []
    for grads in GRADS:
        for p, g in zip(params, grads):
            p.grad = g.clone()
        opt.step()
        steps.append([p.detach().clone() for p in params])
    cases[name] = {"kind": kind, "defaults": defaults, "groups": groups, "steps": steps}


def clip_case(max_norm, norm_type):
    params = [p.clone().requires_grad_() for p in INITIAL]
    for p, g in zip(params, GRADS[1]):
        p.grad = g.clone()
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    return {"max_norm": max_norm, "norm_type": "inf" if norm_type == float("inf") else norm_type,
            "total": total.item(), "grads": [p.grad for p in params]}


clipping = {
    "l2_clipped": clip_case(1.0, 2.0),
    "l2_unclipped": clip_case(100.0, 2.0),
    "l1_clipped": clip_case(2.0, 1.0),
    "l3_clipped": clip_case(1.5, 3.0),
    "inf_clipped": clip_case(0.5, float("inf")),
}
value_params = [p.clone().requires_grad_() for p in INITIAL]
for p, g in zip(value_params, GRADS[1]):
    p.grad = g.clone()
torch.nn.utils.clip_grad_value_(value_params, 0.7)
clipping["value"] = {"clip_value": 0.7, "grads": [p.grad for p in value_params]}

save("optim", {"initial": INITIAL, "grads": GRADS, "cases": cases, "clipping": clipping})
