"""The PyTorch counterpart of `Forge.Benchmarks gpt-step`: the same GPT-2 training step on random tokens.

GPT-2 (gpt-nano by default: 6 layers, 384 wide, 6 heads, 256 positions, vocabulary 4096, dropout 0.1, tied embeddings,
GELU with the tanh approximation), AdamW (lr 3e-4, weight decay 0.01), cross-entropy, gradient clipping at 1.0, written out
with torch.nn so it runs on Debian's PyTorch 1.13 (which has no scaled_dot_product_attention).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/gpt_step_torch.py --threads 2 --batch 8 --seq 128
"""
import argparse
import math
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    "gpt-nano": dict(layers=6, width=384, heads=6, positions=256),
    "gpt-micro": dict(layers=4, width=128, heads=4, positions=128),
}


class Block(nn.Module):
    def __init__(self, width, heads, dropout):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(width)
        self.c_attn = nn.Linear(width, 3 * width)
        self.attn_proj = nn.Linear(width, width)
        self.ln_2 = nn.LayerNorm(width)
        self.c_fc = nn.Linear(width, 4 * width)
        self.mlp_proj = nn.Linear(4 * width, width)
        self.dropout = dropout

    def forward(self, x, causal):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(c // self.heads))
        weights = F.softmax(scores.masked_fill(causal[:t, :t], float("-inf")), dim=-1)
        weights = F.dropout(weights, self.dropout, self.training)
        attended = (weights @ v).transpose(1, 2).reshape(b, t, c)
        x = x + F.dropout(self.attn_proj(attended), self.dropout, self.training)
        h = self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))
        return x + F.dropout(h, self.dropout, self.training)


class Gpt(nn.Module):
    def __init__(self, vocab, layers, width, heads, positions, dropout):
        super().__init__()
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(positions, width)
        self.blocks = nn.ModuleList(Block(width, heads, dropout) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)
        self.dropout = dropout
        self.register_buffer("causal", torch.triu(torch.ones(positions, positions, dtype=torch.bool), diagonal=1))
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, ids):
        positions = torch.arange(ids.shape[1])
        x = F.dropout(self.wte(ids) + self.wpe(positions), self.dropout, self.training)
        for block in self.blocks:
            x = block(x, self.causal)
        return self.ln_f(x) @ self.wte.weight.t()


def training_flops(vocab, layers, width, batch, seq):
    """6 flops per matmul weight per token, plus the attention products (as the Forge harness counts them)."""
    matmul_params = layers * (width * 3 * width + width * width + 2 * width * 4 * width) + vocab * width
    tokens = batch * seq
    return 6 * matmul_params * tokens + 12 * layers * seq * width * tokens


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="gpt-nano", choices=sorted(PRESETS))
    parser.add_argument("--vocab", type=int, default=4096)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.manual_seed(1)
    torch.set_num_threads(args.threads)
    shape = PRESETS[args.preset]
    model = Gpt(args.vocab, dropout=args.dropout, **shape)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    inputs = torch.randint(0, args.vocab, (args.batch, args.seq))
    targets = torch.randint(0, args.vocab, (args.batch, args.seq))
    tokens = args.batch * args.seq
    flops = training_flops(args.vocab, shape["layers"], shape["width"], args.batch, args.seq)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(inputs).view(-1, args.vocab), targets.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss.item()

    print(f"PyTorch {torch.__version__} GPT training step: preset {args.preset} "
          f"({sum(p.numel() for p in model.parameters()):,} parameters), batch {args.batch} x seq {args.seq} = {tokens} tokens, "
          f"{torch.get_num_threads()} threads; {flops / 1e9:.2f} GFLOP per step")
    for _ in range(args.warmup):
        step()
    times = []
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(args.steps):
        start = time.perf_counter()
        loss = step()
        times.append((time.perf_counter() - start) * 1000)
    cpu_end = resource.getrusage(resource.RUSAGE_SELF)
    cpu_ms = ((cpu_end.ru_utime - cpu_start.ru_utime) + (cpu_end.ru_stime - cpu_start.ru_stime)) * 1000 / args.steps
    median, best = statistics.median(times), min(times)
    print(f"ms/step      median {median:.0f}, best {best:.0f}, worst {max(times):.0f} over {args.steps} steps (loss {loss:.4f})")
    print(f"tokens/s     median {tokens / median * 1000:.0f}, best {tokens / best * 1000:.0f}")
    print(f"CPU time     {cpu_ms:.0f} ms/step: {tokens / cpu_ms * 1000:.0f} tokens and {flops / cpu_ms / 1e6:.1f} GFLOP per CPU-second")
    print(f"GFLOP/s      median {flops / median / 1e6:.1f}, best {flops / best / 1e6:.1f}")


if __name__ == "__main__":
    main()
