"""GPT-2 oracle: a tiny random GPT-2 written out in Hugging Face's layout, and its logits and loss.

The forward pass below follows Hugging Face's modeling_gpt2 (Conv1D weights [in, out], gelu_new, pre-norm blocks,
tied embeddings). The weights are saved as model.safetensors written by hand (the format is a little-endian u64
header length, a JSON header, then the raw data), in the old layout: keys without the "transformer." prefix and with
the causal-mask buffers "h.N.attn.bias", both of which a loader must tolerate.
"""
import json
import math
import os
import struct

import torch

from common import FIXTURES, save

CONFIG = {
    "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": 61, "n_positions": 16, "n_ctx": 16,
    "n_embd": 24, "n_layer": 2, "n_head": 3, "n_inner": None, "activation_function": "gelu_new",
    "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1, "layer_norm_epsilon": 1e-5,
    "initializer_range": 0.02, "bos_token_id": 0, "eos_token_id": 0,
}


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def forward(w, ids, c):
    n, e, h = ids.shape[1], c["n_embd"], c["n_head"]
    x = w["wte.weight"][ids] + w["wpe.weight"][torch.arange(n)]
    causal = torch.tril(torch.ones(n, n, dtype=torch.bool))
    for i in range(c["n_layer"]):
        p = f"h.{i}."
        a = torch.nn.functional.layer_norm(x, (e,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], c["layer_norm_epsilon"])
        qkv = torch.addmm(w[p + "attn.c_attn.bias"], a.reshape(-1, e), w[p + "attn.c_attn.weight"]).reshape(a.shape[0], n, 3 * e)
        q, k, v = (t.reshape(a.shape[0], n, h, e // h).transpose(1, 2) for t in qkv.split(e, dim=2))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(e // h)
        scores = scores.masked_fill(~causal, torch.finfo(scores.dtype).min)
        att = torch.softmax(scores, dim=-1) @ v
        att = att.transpose(1, 2).reshape(a.shape[0] * n, e)
        x = x + torch.addmm(w[p + "attn.c_proj.bias"], att, w[p + "attn.c_proj.weight"]).reshape(x.shape)
        m = torch.nn.functional.layer_norm(x, (e,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], c["layer_norm_epsilon"])
        m = gelu_new(torch.addmm(w[p + "mlp.c_fc.bias"], m.reshape(-1, e), w[p + "mlp.c_fc.weight"]))
        x = x + torch.addmm(w[p + "mlp.c_proj.bias"], m, w[p + "mlp.c_proj.weight"]).reshape(x.shape)
    x = torch.nn.functional.layer_norm(x, (e,), w["ln_f.weight"], w["ln_f.bias"], c["layer_norm_epsilon"])
    return x @ w["wte.weight"].T


def write_safetensors(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        data = t.numpy().tobytes() if t.dtype != torch.bool else bytes(t.to(torch.uint8).numpy().tobytes())
        dtype = {torch.float32: "F32", torch.bool: "BOOL", torch.uint8: "U8"}[t.dtype]
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for b in blobs:
            f.write(b)


def main():
    torch.manual_seed(0)
    c, e, inner = CONFIG, CONFIG["n_embd"], 4 * CONFIG["n_embd"]
    w = {"wte.weight": torch.randn(c["vocab_size"], e) * 0.3, "wpe.weight": torch.randn(c["n_positions"], e) * 0.3,
         "ln_f.weight": 1 + 0.1 * torch.randn(e), "ln_f.bias": 0.1 * torch.randn(e)}
    for i in range(c["n_layer"]):
        p = f"h.{i}."
        for norm in ("ln_1", "ln_2"):
            w[p + norm + ".weight"] = 1 + 0.1 * torch.randn(e)
            w[p + norm + ".bias"] = 0.1 * torch.randn(e)
        for name, (nx, nf) in {"attn.c_attn": (e, 3 * e), "attn.c_proj": (e, e), "mlp.c_fc": (e, inner), "mlp.c_proj": (inner, e)}.items():
            w[p + name + ".weight"] = torch.randn(nx, nf) * 0.2
            w[p + name + ".bias"] = torch.randn(nf) * 0.1
    ids = torch.randint(0, c["vocab_size"], (2, 12))
    logits = forward(w, ids, c)
    loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, c["vocab_size"]), ids[:, 1:].reshape(-1))

    directory = os.path.join(FIXTURES, "gpt2-tiny")
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    buffers = {f"h.{i}.attn.bias": torch.tril(torch.ones(16, 16, dtype=torch.uint8)).view(1, 1, 16, 16) for i in range(c["n_layer"])}
    write_safetensors(os.path.join(directory, "model.safetensors"), {**w, **buffers})
    print(f"wrote {os.path.relpath(directory)}")
    save("gpt2_tiny", {"input_ids": ids, "logits": logits, "loss": loss.item()})


if __name__ == "__main__":
    main()
