#!/usr/bin/env bash
# Runs Forge's `forge bench` and PyTorch's tools/reference/bench_torch.py on the same workloads, one after the other, and
# prints each side's numbers and Forge's advantage:
#   gemm 2048³ (Forge's managed GEMM against numpy), training steps of gpt2 at batch 4 × seq 64, greedy generation of 128
#   tokens of gpt2 with a key-value cache. Both sides run each workload in alternating rounds (GEMM_ROUNDS for the GEMM, a few
#   seconds each; ROUNDS for the others) and their medians are compared (peak memory: the highest), so one side caught in a
#   slow moment of a shared machine does not decide a ratio; every round's ratios are printed too.
# PyTorch runs with OpenBLAS when FORGE_OPENBLAS_DIR (default: /tmp/openblas/root/usr/lib/x86_64-linux-gnu/openblas-pthread,
# where `dpkg -x libopenblas0-pthread_*.deb /tmp/openblas/root` puts it) holds libblas.so.3; otherwise Debian's reference BLAS.
# Options (environment): PRESET (gpt2), BATCH (4), SEQ (64), STEPS (5), TOKENS (128), GEMM (2048), ROUNDS (3), GEMM_ROUNDS (7),
# THREADS (nproc).
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
preset="${PRESET:-gpt2}" batch="${BATCH:-4}" seq="${SEQ:-64}" steps="${STEPS:-5}" tokens="${TOKENS:-128}" size="${GEMM:-2048}" rounds="${ROUNDS:-3}"
gemm_rounds="${GEMM_ROUNDS:-7}"
threads="${THREADS:-$(nproc)}"
openblas="${FORGE_OPENBLAS_DIR:-/tmp/openblas/root/usr/lib/x86_64-linux-gnu/openblas-pthread}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

forge() { FORGE_THREADS="$threads" "$root/forge" "$@"; }
torch() {
    local path="${LD_LIBRARY_PATH:-}"
    [[ -f "$openblas/libblas.so.3" ]] && path="$openblas${path:+:$path}"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE LD_LIBRARY_PATH="$path" OPENBLAS_NUM_THREADS="$threads" \
        /usr/bin/python3 "$root/tools/reference/bench_torch.py" --threads "$threads" "$@"
}

for round in $(seq "$gemm_rounds"); do
    echo "round $round of $gemm_rounds: gemm ${size}³ ..." >&2
    FORGE_BLAS=managed forge bench gemm --m "$size" --n "$size" --k "$size" --json > "$out/forge-gemm-$round.json"
    torch gemm --m "$size" --n "$size" --k "$size" > "$out/torch-gemm-$round.json"
done
for round in $(seq "$rounds"); do
    echo "round $round of $rounds: train $preset ${batch}x${seq} ..." >&2
    forge bench train --preset "$preset" --batch "$batch" --seq "$seq" --steps "$steps" --json > "$out/forge-train-$round.json"
    torch train --preset "$preset" --batch "$batch" --seq "$seq" --steps "$steps" > "$out/torch-train-$round.json"
    echo "round $round of $rounds: generate $preset $tokens tokens ..." >&2
    forge bench generate --preset "$preset" --tokens "$tokens" --json > "$out/forge-generate-$round.json"
    torch generate --preset "$preset" --tokens "$tokens" > "$out/torch-generate-$round.json"
done

/usr/bin/python3 - "$out" "$rounds" "$gemm_rounds" <<'PY'
import json, statistics, sys
out, rounds, gemm_rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
runs = lambda side, mode: [json.load(open(f"{out}/{side}-{mode}-{r}.json")) for r in range(1, (gemm_rounds if mode == "gemm" else rounds) + 1)]
forge = {mode: runs("forge", mode) for mode in ("gemm", "train", "generate")}
torch = {mode: runs("torch", mode) for mode in ("gemm", "train", "generate")}
median = lambda results, key: statistics.median(r[key] for r in results)
highest = lambda results, key: max(r[key] for r in results)
# name, mode, key, how the rounds combine, whether more is better (the advantage is Forge's either way)
metrics = [
    ("gemm GFLOP/s (numpy)", "gemm", "gflops", median, True),
    ("train ms/step", "train", "ms_per_step", median, False),
    ("train CPU ms/step", "train", "cpu_ms_per_step", median, False),
    ("train peak RSS MB", "train", "peak_rss_mb", highest, False),
    ("generate tokens/s", "generate", "tokens_per_s", median, True),
    ("generate CPU s", "generate", "cpu_seconds", median, False),
]
advantage = lambda f, t, more: f / t if more else t / f
tt, ft = torch["train"][0], forge["train"][0]
print(f"PyTorch {tt['torch']} with {tt['blas']}, {tt['threads']} threads; Forge {ft['threads']} threads; {gemm_rounds} GEMM rounds, {rounds} of the others")
print(f"{'':24} {'Forge':>10} {'PyTorch':>10} {'Forge advantage':>16}   each round")
for name, mode, key, combine, more in metrics:
    f, t = combine(forge[mode], key), combine(torch[mode], key)
    each = " ".join(f"{advantage(a[key], b[key], more):.2f}x" for a, b in zip(forge[mode], torch[mode]))
    print(f"{name:24} {f:10.1f} {t:10.1f} {advantage(f, t, more):15.2f}x   {each}")
mfu = median(forge["train"], "mfu")
print(f"train: Forge MFU {mfu:.1%} of {ft['peak_gflops']:.0f} GFLOP/s ({ft['clock_ghz']} GHz)")
PY
