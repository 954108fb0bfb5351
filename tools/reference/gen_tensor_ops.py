"""Oracle values for Forge's core tensor ops (tests/Forge.Tests/Tensors/TensorOpsOracleTests.cs).

Elementwise unary and binary ops (with broadcasting), reductions over dimensions with and without keepdim,
matmul with batch broadcasting, integer comparisons with fractional constants and arange. Each differentiable
case stores its inputs, the output "out", the upstream gradient "grad_output" and PyTorch's input gradients
"grad_<input>"; settings the test needs (dims, keepdim, correction, constants) are stored beside them.
"""
import torch
import torch.nn.functional as F

from common import save

torch.manual_seed(0)


def run(fn, **inputs):
    """Calls fn(**inputs) with every float input requiring gradients; returns inputs, output and gradients."""
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    out = fn(**leaves)
    grad_output = torch.randn(out.shape)
    out.backward(grad_output)
    case = dict(inputs)
    case["out"] = out
    case["grad_output"] = grad_output
    for k in inputs:
        case["grad_" + k] = leaves[k].grad
    return case


def away_from_kinks(*shape):
    """Normal samples pushed at least 0.05 away from 0 and ±0.5, where relu, abs, sign and clamp change slope."""
    x = torch.randn(*shape) * 1.5
    for kink in (0.0, 0.5, -0.5):
        near = (x - kink).abs() < 0.05
        x = torch.where(near, x + 0.1, x)
    return x


def positive(*shape):
    return torch.rand(*shape) * 2 + 0.2


UNARY = {
    "neg": (torch.neg, away_from_kinks),
    "exp": (torch.exp, away_from_kinks),
    "log": (torch.log, positive),
    "sqrt": (torch.sqrt, positive),
    "rsqrt": (torch.rsqrt, positive),
    "abs": (torch.abs, away_from_kinks),
    "tanh": (torch.tanh, away_from_kinks),
    "sigmoid": (torch.sigmoid, away_from_kinks),
    "relu": (torch.relu, away_from_kinks),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), away_from_kinks),
    "gelu": (F.gelu, away_from_kinks),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), away_from_kinks),
    "silu": (F.silu, away_from_kinks),
    "softplus": (lambda x: F.softplus(x, beta=2, threshold=1), away_from_kinks),
    "pow_scalar": (lambda x: x.pow(2.5), positive),
    "clamp": (lambda x: x.clamp(-0.5, 0.5), away_from_kinks),
    "sin": (torch.sin, away_from_kinks),
    "cos": (torch.cos, away_from_kinks),
    "sign": (torch.sign, away_from_kinks),
    "reciprocal": (torch.reciprocal, positive),
    "square": (torch.square, away_from_kinks),
}

BINARY = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
    "pow": torch.pow,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
}


def binary_case(name, shape_a, shape_b):
    a = torch.randn(shape_a)
    b = torch.randn(shape_b)
    if name == "pow":
        a = a.abs() + 0.5
    if name == "div":
        b = torch.where(b < 0, b - 0.5, b + 0.5)
    case = run(lambda a, b: BINARY[name](a, b), a=a, b=b)
    case["op"] = name
    return case


def reduce_case(op, dims, keepdim, correction=None):
    x = torch.randn(2, 3, 4)
    if op == "sum":
        fn = lambda x: x.sum(dims, keepdim=keepdim)
    elif op == "mean":
        fn = lambda x: x.mean(dims, keepdim=keepdim)
    elif op == "var":
        fn = lambda x: torch.var(x, dims, correction=correction, keepdim=keepdim)
    elif op == "std":
        fn = lambda x: torch.std(x, dims, correction=correction, keepdim=keepdim)
    elif op == "logsumexp":
        fn = lambda x: torch.logsumexp(x * 3, dims[0], keepdim=keepdim) / 3
    elif op == "max":
        fn = lambda x: x.max(dims[0], keepdim=keepdim).values
    else:
        fn = lambda x: x.min(dims[0], keepdim=keepdim).values
    case = run(fn, x=x)
    case.update({"op": op, "dims": dims, "keepdim": keepdim})
    if correction is not None:
        case["correction"] = correction
    if op in ("max", "min"):
        indices = x.argmax(dims[0], keepdim=keepdim) if op == "max" else x.argmin(dims[0], keepdim=keepdim)
        case["indices"] = indices
    return case


def matmul_case(shape_a, shape_b):
    return run(lambda a, b: torch.matmul(a, b), a=torch.randn(shape_a), b=torch.randn(shape_b))


def all_reduce_case():
    x = torch.randn(3, 5)
    case = run(lambda x: torch.stack([x.sum(), x.mean(), x.max(), x.min()]), x=x)
    case["argmax"] = x.argmax()
    return case


def compare_case():
    """PyTorch promotes int64 and a float constant to float32; Forge compares exactly, which agrees below 2^24."""
    x = torch.tensor([-3, -2, -1, 0, 1, 2, 3, 16777216, 16777217])
    constants = [2.5, -2.5, 0.1, 1e6 + 0.5, 2.0]
    ops = {"eq": torch.eq, "ne": torch.ne, "lt": torch.lt, "le": torch.le, "gt": torch.gt, "ge": torch.ge}
    return {
        "x": x,
        "constants": constants,
        "results": {name: [fn(x, c) for c in constants] for name, fn in ops.items()},
    }


def arange_case(start, end, step):
    out = torch.arange(start, end, step)
    return {"start": start, "end": end, "step": step, "out": out, "dtype": str(out.dtype).replace("torch.", "")}


save("tensor_ops", {
    "unary": {name: run(lambda x, fn=fn: fn(x), x=make(3, 4)) for name, (fn, make) in UNARY.items()},
    "binary": {
        f"{name}_{label}": binary_case(name, sa, sb)
        for name in BINARY
        for label, (sa, sb) in {
            "same": ((3, 4), (3, 4)),
            "row": ((3, 4), (4,)),
            "outer": ((2, 1, 4), (3, 1)),
            "scalar": ((2, 3), ()),
        }.items()
    },
    "reduce": {
        **{f"{op}_{'_'.join(map(str, dims))}_{'keep' if keep else 'drop'}": reduce_case(op, dims, keep)
           for op in ("sum", "mean") for dims in ([1], [0, 2], [-1], [0, 1, 2]) for keep in (False, True)},
        **{f"{op}_{'_'.join(map(str, dims))}_c{c}_{'keep' if keep else 'drop'}": reduce_case(op, dims, keep, c)
           for op in ("var", "std") for dims in ([1], [0, 2]) for c in (0, 1) for keep in (False, True)},
        **{f"{op}_{dim}_{'keep' if keep else 'drop'}": reduce_case(op, [dim], keep)
           for op in ("logsumexp", "max", "min") for dim in (0, 2, -2) for keep in (False, True)},
    },
    "all_reduce": all_reduce_case(),
    "matmul": {
        "vector_vector": matmul_case((5,), (5,)),
        "vector_matrix": matmul_case((4,), (4, 3)),
        "matrix_vector": matmul_case((3, 4), (4,)),
        "vector_batched": matmul_case((4,), (2, 4, 3)),
        "batched_vector": matmul_case((2, 3, 4), (4,)),
        "matrix_matrix": matmul_case((3, 4), (4, 5)),
        "batched_matrix": matmul_case((2, 3, 4), (4, 5)),
        "matrix_batched": matmul_case((3, 4), (2, 4, 5)),
        "lead_singleton": matmul_case((1, 3, 4, 5), (2, 3, 5, 6)),
        "cross_singletons": matmul_case((2, 1, 4, 5), (1, 3, 5, 6)),
        "inner_singleton": matmul_case((2, 1, 3, 2, 4), (3, 4, 2)),
        "rank_mismatch": matmul_case((2, 1, 2, 3), (4, 3, 2)),
    },
    "compare": compare_case(),
    "arange": {
        "whole": arange_case(2, 11, 3),
        "fraction_step": arange_case(0, 1, 0.25),
        "fraction_start": arange_case(0.5, 3, 1),
        "negative_step": arange_case(5, -1.5, -1.5),
    },
})
