"""Oracle values for Forge's convolution, pooling and batch-norm ops (tests/Forge.Tests/Functional).

Each case stores its inputs, the output, the upstream gradient used for backward ("grad_output")
and the gradients PyTorch computes for the differentiable inputs ("grad_<input>").
"""
import torch
import torch.nn.functional as F

from common import save

torch.manual_seed(1)


def run(fn, grad_names, **inputs):
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


cases = {}
cases["conv2d_stride2_pad1_groups2_bias"] = run(
    lambda input, weight, bias: F.conv2d(input, weight, bias, stride=2, padding=1, groups=2),
    ["input", "weight", "bias"], input=torch.randn(2, 4, 7, 6), weight=torch.randn(6, 2, 3, 3), bias=torch.randn(6))
cases["conv2d_plain"] = run(
    lambda input, weight: F.conv2d(input, weight),
    ["input", "weight"], input=torch.randn(2, 3, 5, 6), weight=torch.randn(4, 3, 2, 3))
cases["conv2d_asymmetric"] = run(
    lambda input, weight, bias: F.conv2d(input, weight, bias, stride=(2, 1), padding=(0, 2)),
    ["input", "weight", "bias"], input=torch.randn(1, 2, 6, 4), weight=torch.randn(3, 2, 3, 2), bias=torch.randn(3))

cases["max_pool2d"] = run(
    lambda input: F.max_pool2d(input, 3, stride=2, padding=1), ["input"], input=torch.randn(2, 3, 7, 6))
cases["max_pool2d_default_stride"] = run(lambda input: F.max_pool2d(input, 2), ["input"], input=torch.randn(1, 2, 5, 4))
cases["avg_pool2d"] = run(
    lambda input: F.avg_pool2d(input, 3, stride=2, padding=1), ["input"], input=torch.randn(2, 3, 7, 6))
cases["avg_pool2d_default_stride"] = run(lambda input: F.avg_pool2d(input, 2), ["input"], input=torch.randn(1, 2, 5, 4))
cases["adaptive_avg_pool2d"] = run(
    lambda input: F.adaptive_avg_pool2d(input, (3, 4)), ["input"], input=torch.randn(2, 3, 7, 5))
cases["adaptive_avg_pool2d_upsample"] = run(
    lambda input: F.adaptive_avg_pool2d(input, (4, 3)), ["input"], input=torch.randn(1, 2, 3, 2))


def batch_norm_case(shape, training):
    channels = shape[1]
    running_mean = torch.randn(channels)
    running_var = torch.rand(channels) + 0.5
    rm, rv = running_mean.clone(), running_var.clone()
    case = run(
        lambda input, weight, bias: F.batch_norm(input, rm, rv, weight, bias, training=training, momentum=0.2, eps=1e-3),
        ["input", "weight", "bias"], input=torch.randn(*shape) * 2 + 1, weight=torch.rand(channels) + 0.5, bias=torch.randn(channels))
    case["running_mean"] = running_mean
    case["running_var"] = running_var
    case["new_running_mean"] = rm
    case["new_running_var"] = rv
    return case


cases["batch_norm_train"] = batch_norm_case((4, 3, 3, 2), True)
cases["batch_norm_train_2d"] = batch_norm_case((5, 4), True)
cases["batch_norm_eval"] = batch_norm_case((2, 3, 2, 2), False)

save("convolution", cases)
