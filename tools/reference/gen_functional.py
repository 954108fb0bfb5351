"""Oracle values for Forge.Nn.Functional and the tensor indexing ops: forward outputs and input gradients.

Each case holds its inputs, an upstream gradient "g" where the output is a tensor, and the results of PyTorch's
autograd for sum(output * g). PyTorch 1.13 has neither rms_norm nor scaled_dot_product_attention, so both are
written out here from their definitions.
"""
import math

import torch
import torch.nn.functional as F

from common import save

torch.manual_seed(0)


def leaf(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).requires_grad_()


def grads(out, g, *inputs):
    (out * g).sum().backward()
    return [x.grad for x in inputs]


def softmax_case(fn, shape, dim):
    x = leaf(*shape, scale=3.0)
    out = fn(x, dim)
    g = torch.randn(out.shape)
    (dx,) = grads(out, g, x)
    return {"x": x, "dim": dim, "g": g, "out": out, "dx": dx}


def layer_norm_case(shape, normalized, affine):
    x = leaf(*shape, scale=2.0)
    w = leaf(*normalized) if affine else None
    b = leaf(*normalized) if affine else None
    out = F.layer_norm(x, normalized, w, b, eps=1e-5)
    g = torch.randn(out.shape)
    case = {"x": x, "normalized": list(normalized), "g": g, "out": out}
    if affine:
        case["dx"], case["w"], case["b"] = grads(out, g, x, w, b)[0], w, b
        case["dw"], case["db"] = w.grad, b.grad
    else:
        (case["dx"],) = grads(out, g, x)
    return case


def rms_norm_case(shape, width, eps):
    x = leaf(*shape)
    w = leaf(width)
    out = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w
    g = torch.randn(out.shape)
    dx, dw = grads(out, g, x, w)
    return {"x": x, "w": w, "eps": eps, "g": g, "out": out, "dx": dx, "dw": dw}


def attention(q, k, v, mask=None, causal=False):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if causal:
        allowed = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
        scores = scores.masked_fill(~allowed, float("-inf"))
    if mask is not None and mask.dtype == torch.bool:
        scores = scores.masked_fill(~mask, float("-inf"))
    elif mask is not None:
        scores = scores + mask
    weights = torch.softmax(scores, -1)
    return weights @ v, weights


def attention_case(mask=None, causal=False, lq=5, lk=6):
    q, k, v = leaf(2, 2, lq, 4), leaf(2, 2, lk, 4), leaf(2, 2, lk, 3)
    out, weights = attention(q, k, v, mask, causal)
    g = torch.randn(out.shape)
    dq, dk, dv = grads(out, g, q, k, v)
    case = {"q": q, "k": k, "v": v, "causal": causal, "g": g, "out": out, "weights": weights, "dq": dq, "dk": dk, "dv": dv}
    if mask is not None:
        case["mask"] = mask
    return case


def cat_case():
    a, b, c = leaf(2, 3), leaf(2, 1), leaf(2, 2)
    out = torch.cat([a, b, c], 1)
    g = torch.randn(out.shape)
    da, db, dc = grads(out, g, a, b, c)
    return {"a": a, "b": b, "c": c, "g": g, "out": out, "da": da, "db": db, "dc": dc}


def stack_case():
    a, b, c = leaf(2, 3), leaf(2, 3), leaf(2, 3)
    out = torch.stack([a, b, c], 1)
    g = torch.randn(out.shape)
    da, db, dc = grads(out, g, a, b, c)
    return {"a": a, "b": b, "c": c, "g": g, "out": out, "da": da, "db": db, "dc": dc}


def split_case():
    x = leaf(7, 3)
    by_size = x.split(3, 0)
    by_sizes = x.split([1, 4, 2], 0)
    chunks = x.chunk(3, 1)
    pieces = lambda ts: {str(i): t for i, t in enumerate(ts)}
    return {"x": x, "by_size": pieces(by_size), "by_sizes": pieces(by_sizes), "chunks": pieces(chunks)}


def gather_case(dim, x_shape, index):
    x = leaf(*x_shape)
    out = x.gather(dim, index)
    g = torch.randn(out.shape)
    (dx,) = grads(out, g, x)
    return {"x": x, "dim": dim, "index": index, "g": g, "out": out, "dx": dx}


def scatter_add_case(dim, self_shape, index, src_shape):
    s, src = leaf(*self_shape), leaf(*src_shape)
    out = s.scatter_add(dim, index, src)
    g = torch.randn(out.shape)
    if tuple(src_shape) == tuple(index.shape):
        ds, dsrc = grads(out, g, s, src)
    else:
        # PyTorch's backward rejects a source larger than the index; the source gradient is defined here as the
        # gathered output gradient where the source was read and zero elsewhere.
        ds = g
        dsrc = torch.zeros(src_shape)
        dsrc[tuple(slice(0, n) for n in index.shape)] = g.gather(dim, index)
    return {"self": s, "dim": dim, "index": index, "src": src, "g": g, "out": out, "dself": ds, "dsrc": dsrc}


def index_select_case(dim, x_shape, index):
    x = leaf(*x_shape)
    out = x.index_select(dim, index)
    g = torch.randn(out.shape)
    (dx,) = grads(out, g, x)
    return {"x": x, "dim": dim, "index": index, "g": g, "out": out, "dx": dx}


def embedding_case():
    w = leaf(10, 4)
    indices = torch.tensor([[1, 2, 0, 2], [5, 0, 9, 1]])
    out = F.embedding(indices, w, padding_idx=0)
    g = torch.randn(out.shape)
    (dw,) = grads(out, g, w)
    return {"w": w, "indices": indices, "padding": 0, "g": g, "out": out, "dw": dw}


def linear_case():
    x, w, b = leaf(2, 3, 5), leaf(4, 5), leaf(4)
    out = F.linear(x, w, b)
    g = torch.randn(out.shape)
    dx, dw, db = grads(out, g, x, w, b)
    return {"x": x, "w": w, "b": b, "g": g, "out": out, "dx": dx, "dw": dw, "db": db}


key_padding = torch.tensor([[True] * 6, [True] * 4 + [False] * 2]).view(2, 1, 1, 6)
float_mask = torch.randn(5, 6)
float_mask[0, 3] = float("-inf")

save("functional", {
    "softmax": {f"dim{d}": softmax_case(torch.softmax, (3, 4, 5), d) for d in (-1, 0, 1)},
    "log_softmax": {f"dim{d}": softmax_case(torch.log_softmax, (3, 4, 5), d) for d in (-1, 0, 1)},
    "layer_norm": {
        "affine": layer_norm_case((2, 3, 8), (8,), True),
        "plain": layer_norm_case((2, 3, 8), (3, 8), False),
    },
    "rms_norm": rms_norm_case((2, 3, 8), 8, 1e-6),
    "embedding": embedding_case(),
    "linear": linear_case(),
    "attention": {
        "plain": attention_case(),
        "causal": attention_case(causal=True),
        "causal_wide": attention_case(causal=True, lq=3, lk=6),
        "bool_mask": attention_case(mask=key_padding),
        "float_mask": attention_case(mask=float_mask),
    },
    "cat": cat_case(),
    "stack": stack_case(),
    "split": split_case(),
    "gather": {
        "dim1": gather_case(1, (3, 4), torch.tensor([[0, 0], [3, 1], [2, 2]])),
        "dim0": gather_case(0, (3, 4), torch.tensor([[2, 0, 1, 1], [0, 0, 2, 1]])),
    },
    "scatter_add": {
        "same": scatter_add_case(0, (3, 5), torch.tensor([[0, 1, 2, 0, 0], [2, 0, 0, 1, 2]]), (2, 5)),
        "larger_source": scatter_add_case(1, (3, 5), torch.tensor([[4, 4, 0], [1, 2, 1]]), (3, 6)),
    },
    "index_select": {
        "dim0": index_select_case(0, (4, 3), torch.tensor([2, 0, 2])),
        "dim2": index_select_case(2, (2, 3, 4), torch.tensor([3, 3, 1, 0, 2])),
    },
})
