"""The PyTorch side of `forge bench`: numpy GEMM GFLOP/s, a GPT-2 training step and greedy generation, as JSON.

    /usr/bin/python3 tools/reference/bench_torch.py gemm --m 2048 --n 2048 --k 2048
    /usr/bin/python3 tools/reference/bench_torch.py train --preset gpt2 --batch 4 --seq 64 --steps 5
    /usr/bin/python3 tools/reference/bench_torch.py generate --preset gpt2 --tokens 128

The model is GPT-2 as Forge builds it from a preset (tied embeddings, GELU with the tanh approximation, pre-norm blocks,
the preset's dropout), written with plain torch.nn since Debian's PyTorch 1.13 has neither transformers nor
scaled_dot_product_attention. Training: AdamW (lr 3e-4, weight decay 0.01), cross-entropy, clipping at 1.0, gradients zeroed
with set_to_none=False as Forge's benchmark keeps them. Generation: greedy, fp32, from a one-token prompt, with a per-layer
key/value cache (Hugging Face's past_key_values: the new position's keys and values are concatenated to the cached ones).

Debian links PyTorch and numpy to the reference BLAS (libblas3), which is many times slower than an optimized one; put
OpenBLAS (libopenblas0-pthread, e.g. unpacked with dpkg -x) first on LD_LIBRARY_PATH to measure them at their best, and
run without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (see bench/compare.sh). The "blas" field says which library was loaded.
"""
import argparse
import json
import math
import resource
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    "gpt2": dict(layers=12, width=768, heads=12, positions=1024, vocab=50257, dropout=0.1),
    "gpt2-medium": dict(layers=24, width=1024, heads=16, positions=1024, vocab=50257, dropout=0.1),
    "gpt-mini": dict(layers=6, width=384, heads=6, positions=256, vocab=50257, dropout=0.0),
    "gpt-nano": dict(layers=4, width=256, heads=4, positions=256, vocab=50257, dropout=0.0),
    "gpt-micro": dict(layers=4, width=128, heads=4, positions=128, vocab=50257, dropout=0.1),
}


class Block(nn.Module):
    def __init__(self, width, heads, dropout):
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.ln_1 = nn.LayerNorm(width)
        self.c_attn = nn.Linear(width, 3 * width)
        self.attn_proj = nn.Linear(width, width)
        self.ln_2 = nn.LayerNorm(width)
        self.c_fc = nn.Linear(width, 4 * width)
        self.mlp_proj = nn.Linear(4 * width, width)

    def forward(self, x, causal, cache=None):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        if cache is not None:
            if cache:
                k = torch.cat([cache[0], k], dim=2)
                v = torch.cat([cache[1], v], dim=2)
            cache[:] = [k, v]
        past = k.shape[2] - t
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(c // self.heads))
        if t > 1:
            scores = scores.masked_fill(causal[past:past + t, :past + t], float("-inf"))
        weights = F.dropout(F.softmax(scores, dim=-1), self.dropout, self.training)
        attended = (weights @ v).transpose(1, 2).reshape(b, t, c)
        x = x + F.dropout(self.attn_proj(attended), self.dropout, self.training)
        h = self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))
        return x + F.dropout(h, self.dropout, self.training)


class Gpt(nn.Module):
    def __init__(self, vocab, layers, width, heads, positions, dropout):
        super().__init__()
        self.dropout = dropout
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(positions, width)
        self.blocks = nn.ModuleList(Block(width, heads, dropout) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)
        self.register_buffer("causal", torch.triu(torch.ones(positions, positions, dtype=torch.bool), diagonal=1))
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, ids, caches=None, past=0):
        positions = torch.arange(past, past + ids.shape[1])
        x = F.dropout(self.wte(ids) + self.wpe(positions), self.dropout, self.training)
        for i, block in enumerate(self.blocks):
            x = block(x, self.causal, None if caches is None else caches[i])
        return self.ln_f(x) @ self.wte.weight.t()


def blas_library():
    """The BLAS shared library this process loaded (from /proc/self/maps)."""
    with open("/proc/self/maps") as maps:
        names = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    return ", ".join(sorted(names)) or "unknown"


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def training_flops(cfg, batch, seq):
    """6 flops per matmul weight per token plus the attention products, as Forge's TrainingBenchmark counts them."""
    width, layers = cfg["width"], cfg["layers"]
    matmul_params = layers * (width * 3 * width + width * width + 2 * width * 4 * width) + cfg["vocab"] * width
    tokens = batch * seq
    return 6 * matmul_params * tokens + 12 * layers * seq * width * tokens


def config(args):
    cfg = dict(PRESETS[args.preset])
    if getattr(args, "vocab", None):
        cfg["vocab"] = args.vocab
    return cfg


def bench_gemm(args):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((args.k, args.m) if args.layout[0] == "T" else (args.m, args.k), dtype=np.float32)
    b = rng.standard_normal((args.n, args.k) if args.layout[1] == "T" else (args.k, args.n), dtype=np.float32)
    left = a.T if args.layout[0] == "T" else a
    right = b.T if args.layout[1] == "T" else b
    out = np.empty((args.m, args.n), dtype=np.float32)
    np.matmul(left, right, out=out)
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < 0.05 or calls < 2:
        np.matmul(left, right, out=out)
        calls += 1
    per_run = max(1, math.ceil(0.2 / ((time.perf_counter() - start) / calls)))
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for _ in range(per_run):
            np.matmul(left, right, out=out)
        times.append((time.perf_counter() - t0) / per_run)
    seconds = statistics.median(times)
    return dict(m=args.m, n=args.n, k=args.k, layout=args.layout, ms=seconds * 1000,
                gflops=2.0 * args.m * args.n * args.k / seconds / 1e9, numpy=np.__version__)


def bench_train(args):
    torch.manual_seed(1)
    cfg = config(args)
    model = Gpt(cfg["vocab"], cfg["layers"], cfg["width"], cfg["heads"], cfg["positions"], cfg["dropout"])
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    inputs = torch.randint(0, cfg["vocab"], (args.batch, args.seq))
    targets = torch.randint(0, cfg["vocab"], (args.batch, args.seq))

    def step():
        optimizer.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(inputs).view(-1, cfg["vocab"]), targets.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    times, cpu0 = [], cpu_seconds()
    for _ in range(args.steps):
        start = time.perf_counter()
        loss = step()
        times.append((time.perf_counter() - start) * 1000)
    ms = statistics.median(times)
    flops = training_flops(cfg, args.batch, args.seq)
    return dict(preset=args.preset, parameters=sum(p.numel() for p in model.parameters()), batch=args.batch, seq=args.seq,
                ms_per_step=ms, best_ms_per_step=min(times), tokens_per_s=args.batch * args.seq / ms * 1000,
                gflops=flops / ms / 1e6, cpu_ms_per_step=(cpu_seconds() - cpu0) * 1000 / args.steps,
                peak_rss_mb=peak_rss_mb(), loss=loss)


def bench_generate(args):
    torch.manual_seed(1)
    cfg = config(args)
    model = Gpt(cfg["vocab"], cfg["layers"], cfg["width"], cfg["heads"], cfg["positions"], cfg["dropout"])
    model.eval()

    def generate(count):
        caches = [[] for _ in model.blocks]
        token, out = torch.tensor([[cfg["vocab"] - 1]]), []
        for past in range(count):
            logits = model(token, caches, past)
            token = logits[:, -1, :].argmax(dim=-1, keepdim=True)
            out.append(int(token))
        return out

    with torch.no_grad():
        generate(min(8, args.tokens))
        cpu0, start = cpu_seconds(), time.perf_counter()
        generate(args.tokens)
        seconds = time.perf_counter() - start
    return dict(preset=args.preset, tokens=args.tokens, tokens_per_s=args.tokens / seconds, ms_per_token=seconds * 1000 / args.tokens,
                cpu_seconds=cpu_seconds() - cpu0, peak_rss_mb=peak_rss_mb())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own choice)")
    sub = parser.add_subparsers(dest="mode", required=True)
    gemm = sub.add_parser("gemm")
    for name in ("m", "n", "k"):
        gemm.add_argument(f"--{name}", type=int, default=2048)
    gemm.add_argument("--layout", default="NN", choices=["NN", "NT", "TN"])
    gemm.add_argument("--repeat", type=int, default=7)
    train = sub.add_parser("train")
    train.add_argument("--preset", default="gpt2", choices=sorted(PRESETS))
    train.add_argument("--vocab", type=int)
    train.add_argument("--batch", type=int, default=4)
    train.add_argument("--seq", type=int, default=64)
    train.add_argument("--steps", type=int, default=5)
    train.add_argument("--warmup", type=int, default=2)
    generate = sub.add_parser("generate")
    generate.add_argument("--preset", default="gpt2", choices=sorted(PRESETS))
    generate.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    result = {"gemm": bench_gemm, "train": bench_train, "generate": bench_generate}[args.mode](args)
    result.update(torch=torch.__version__, threads=torch.get_num_threads(), blas=blas_library())
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
