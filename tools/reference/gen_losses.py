"""Oracle values for Forge's loss functions (tests/Forge.Tests/Functional/LossTests.cs).

Each case stores its inputs, the output, the upstream gradient used for backward ("grad_output")
and the gradients PyTorch computes for the differentiable inputs ("grad_<input>").
"""
import torch
import torch.nn.functional as F

from common import save

torch.manual_seed(0)


def run(fn, grad_names, **inputs):
    """Calls fn(**inputs) with gradients enabled on grad_names; returns inputs, output and gradients."""
    leaves = {k: (v.clone().requires_grad_(True) if k in grad_names else v) for k, v in inputs.items()}
    out = fn(**leaves)
    grad_output = torch.randn(out.shape)
    out.backward(grad_output)
    case = dict(inputs)
    case["out"] = out
    case["grad_output"] = grad_output
    for k in grad_names:
        case["grad_" + k] = leaves[k].grad
    return case


def logits_and_targets(n, c, ignore=()):
    logits = torch.randn(n, c) * 2
    target = torch.randint(0, c, (n,))
    for i in ignore:
        target[i] = -100
    return logits, target


cases = {}
x, t = logits_and_targets(6, 5)
for reduction in ("mean", "sum", "none"):
    cases["cross_entropy_" + reduction] = run(
        lambda logits, target: F.cross_entropy(logits, target, reduction=reduction), ["logits"], logits=x, target=t)

x, t = logits_and_targets(6, 5, ignore=(1, 4))
cases["cross_entropy_ignore"] = run(lambda logits, target: F.cross_entropy(logits, target), ["logits"], logits=x, target=t)
cases["cross_entropy_smoothing"] = run(
    lambda logits, target: F.cross_entropy(logits, target, label_smoothing=0.1), ["logits"], logits=x, target=t)
w = torch.rand(5) + 0.5
cases["cross_entropy_weight"] = run(
    lambda logits, target, weight: F.cross_entropy(logits, target, weight=weight), ["logits"], logits=x, target=t, weight=w)
cases["cross_entropy_weight_smoothing"] = run(
    lambda logits, target, weight: F.cross_entropy(logits, target, weight=weight, label_smoothing=0.1),
    ["logits"], logits=x, target=t, weight=w)
cases["cross_entropy_weight_smoothing_none"] = run(
    lambda logits, target, weight: F.cross_entropy(logits, target, weight=weight, label_smoothing=0.1, reduction="none"),
    ["logits"], logits=x, target=t, weight=w)

x3 = torch.randn(3, 4, 5)
t3 = torch.randint(0, 4, (3, 5))
t3[0, 2] = -100
t3[2, 4] = -100
cases["cross_entropy_ncl"] = run(lambda logits, target: F.cross_entropy(logits, target), ["logits"], logits=x3, target=t3)
cases["cross_entropy_ncl_smoothing_none"] = run(
    lambda logits, target: F.cross_entropy(logits, target, label_smoothing=0.1, reduction="none"), ["logits"], logits=x3, target=t3)

x, t = logits_and_targets(6, 5, ignore=(2,))
lp = F.log_softmax(x, dim=1)
cases["nll_weight"] = run(lambda input, target, weight: F.nll_loss(input, target, weight=weight), ["input"], input=lp, target=t, weight=w)
cases["nll_none"] = run(lambda input, target: F.nll_loss(input, target, reduction="none"), ["input"], input=lp, target=t)

a, b = torch.randn(3, 4), torch.randn(3, 4)
cases["mse_mean"] = run(lambda input, target: F.mse_loss(input, target), ["input", "target"], input=a, target=b)
cases["mse_sum"] = run(lambda input, target: F.mse_loss(input, target, reduction="sum"), ["input", "target"], input=a, target=b)
cases["l1_mean"] = run(lambda input, target: F.l1_loss(input, target), ["input", "target"], input=a, target=b)
cases["l1_none"] = run(lambda input, target: F.l1_loss(input, target, reduction="none"), ["input", "target"], input=a, target=b)

z = torch.randn(4, 3) * 4
z[0, 0] = 40.0
z[1, 1] = -40.0
y = torch.rand(4, 3)
cases["bce_with_logits"] = run(
    lambda logits, target: F.binary_cross_entropy_with_logits(logits, target), ["logits", "target"], logits=z, target=y)
pw = torch.tensor([0.5, 2.0, 3.0])
bw = torch.rand(4, 1) + 0.5
cases["bce_with_logits_weights"] = run(
    lambda logits, target, weight, pos_weight: F.binary_cross_entropy_with_logits(
        logits, target, weight=weight, pos_weight=pos_weight, reduction="sum"),
    ["logits", "target"], logits=z, target=y, weight=bw, pos_weight=pw)

kin = F.log_softmax(torch.randn(3, 5), dim=1)
ktarget = F.softmax(torch.randn(3, 5), dim=1)
ktarget[0, 1] = 0.0
cases["kl_div_batchmean"] = run(lambda input, target: F.kl_div(input, target, reduction="batchmean"), ["input"], input=kin, target=ktarget)
cases["kl_div_mean"] = run(lambda input, target: F.kl_div(input, target, reduction="mean"), ["input"], input=kin, target=ktarget)
klog = F.log_softmax(torch.randn(3, 5), dim=1)
cases["kl_div_log_target"] = run(
    lambda input, target: F.kl_div(input, target, reduction="sum", log_target=True), ["input", "target"], input=kin, target=klog)
cases["kl_div_log_target_batchmean"] = run(
    lambda input, target: F.kl_div(input, target, reduction="batchmean", log_target=True), ["input", "target"], input=kin, target=klog)

c1, c2 = torch.randn(4, 6), torch.randn(4, 6)
cases["cosine_similarity"] = run(lambda x1, x2: F.cosine_similarity(x1, x2, dim=1), ["x1", "x2"], x1=c1, x2=c2)
c3, c4 = torch.randn(2, 3, 4), torch.randn(3, 4)
cases["cosine_similarity_broadcast"] = run(lambda x1, x2: F.cosine_similarity(x1, x2, dim=-1), ["x1", "x2"], x1=c3, x2=c4)
cases["pairwise_distance"] = run(lambda x1, x2: F.pairwise_distance(x1, x2), ["x1", "x2"], x1=c1, x2=c2)
cases["pairwise_distance_p1"] = run(lambda x1, x2: F.pairwise_distance(x1, x2, p=1.0), ["x1", "x2"], x1=c1, x2=c2)
cases["pairwise_distance_p3_keepdim"] = run(lambda x1, x2: F.pairwise_distance(x1, x2, p=3.0, keepdim=True), ["x1", "x2"], x1=c1, x2=c2)

save("losses", cases)
