"""Shared helpers for the scripts that write Forge's oracle fixtures.

Each script builds inputs with a fixed seed, runs PyTorch (Debian's python3-torch), and writes
tests/fixtures/NAME.json. Tensors are written as {"shape": [...], "data": [...], "dtype": ...}.
Run every script with: python3 tools/reference/generate_all.py
"""
import json
import math
import os

import torch

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures")


def tensor(t):
    """A tensor as JSON: float32 values (nan/inf as strings), int64 or bool."""
    t = t.detach().cpu()
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "dtype": "bool", "data": [bool(v) for v in t.flatten().tolist()]}
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "dtype": "int64", "data": [int(v) for v in t.flatten().tolist()]}
    values = []
    for v in t.to(torch.float32).flatten().tolist():
        if math.isnan(v):
            values.append("nan")
        elif math.isinf(v):
            values.append("inf" if v > 0 else "-inf")
        else:
            values.append(v)
    return {"shape": list(t.shape), "dtype": "float32", "data": values}


def encode(value):
    if isinstance(value, torch.Tensor):
        return tensor(value)
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value


def save(name, content):
    """Writes tests/fixtures/NAME.json."""
    os.makedirs(FIXTURES, exist_ok=True)
    path = os.path.join(FIXTURES, name + ".json")
    with open(path, "w") as f:
        json.dump(encode(content), f, separators=(",", ":"))
    print(f"wrote {os.path.relpath(path)}")
