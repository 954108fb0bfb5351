"""Oracle values for the elementwise activations: outputs and input gradients over a wide range of inputs.

Inputs cover a dense grid of [-12, 12], values near zero and large magnitudes, so vectorized kernels are checked in the
tails (where approximations break down) as well as the middle. Each case backpropagates sum(out * g). The functions are
evaluated in float64 and rounded to float32: PyTorch's float32 kernels lose relative accuracy in some tails (1 + erf(x)
for x below -3 cancels), and the oracle should be the exact value.
"""
import torch
import torch.nn.functional as F

from common import save

torch.manual_seed(0)

grid = torch.linspace(-12, 12, 241)
special = torch.tensor([0.0, 1e-6, -1e-6, 1e-3, -1e-3, 30.0, -30.0, 80.0, -80.0])
x_all = torch.cat([grid, special, torch.randn(100) * 3])
x_positive = torch.cat([torch.linspace(1e-3, 20, 100), torch.rand(50) * 5 + 1e-2])
x_exp = torch.cat([torch.linspace(-80, 80, 161), torch.randn(50) * 3])

cases = {
    "gelu": (lambda x: F.gelu(x), x_all),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), x_all),
    "silu": (F.silu, x_all),
    "relu": (F.relu, x_all),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), x_all),
    "sigmoid": (torch.sigmoid, x_all),
    "tanh": (torch.tanh, x_all),
    "exp": (torch.exp, x_exp),
    "rsqrt": (torch.rsqrt, x_positive),
}

out = {}
for name, (fn, x0) in cases.items():
    g = torch.randn(x0.shape)
    x = x0.double().requires_grad_()
    y = fn(x)
    (y * g.double()).sum().backward()
    out[name] = {"x": x0, "g": g, "out": y.float(), "dx": x.grad.float()}
save("activations", out)
