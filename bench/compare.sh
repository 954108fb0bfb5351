#!/usr/bin/env bash
# Runs Forge's `forge bench` and PyTorch's tools/reference/bench_torch.py on the same workloads, one after the other, and
# prints each side's numbers and Forge's advantage:
#   gemm 2048³ (Forge's managed GEMM against numpy, in alternating rounds: the medians of both sides are compared, so one
#   side caught in a slow moment of a shared machine does not decide the ratio), training steps of gpt2 at batch 4 × seq 64,
#   greedy generation of 128 tokens of gpt2 with a key-value cache.
# PyTorch runs with OpenBLAS when FORGE_OPENBLAS_DIR (default: /tmp/openblas/root/usr/lib/x86_64-linux-gnu/openblas-pthread,
# where `dpkg -x libopenblas0-pthread_*.deb /tmp/openblas/root` puts it) holds libblas.so.3; otherwise Debian's reference BLAS.
# Options (environment): PRESET (gpt2), BATCH (4), SEQ (64), STEPS (5), TOKENS (128), GEMM (2048), GEMM_ROUNDS (3), THREADS (nproc).
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
preset="${PRESET:-gpt2}" batch="${BATCH:-4}" seq="${SEQ:-64}" steps="${STEPS:-5}" tokens="${TOKENS:-128}" size="${GEMM:-2048}" rounds="${GEMM_ROUNDS:-3}"
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

for round in $(seq "$rounds"); do
    echo "gemm ${size}³, round $round of $rounds ..." >&2
    FORGE_BLAS=managed forge bench gemm --m "$size" --n "$size" --k "$size" --json > "$out/forge-gemm-$round.json"
    torch gemm --m "$size" --n "$size" --k "$size" > "$out/torch-gemm-$round.json"
done
echo "train $preset ${batch}x${seq} ..." >&2
forge bench train --preset "$preset" --batch "$batch" --seq "$seq" --steps "$steps" --json > "$out/forge-train.json"
torch train --preset "$preset" --batch "$batch" --seq "$seq" --steps "$steps" > "$out/torch-train.json"
echo "generate $preset $tokens tokens ..." >&2
forge bench generate --preset "$preset" --tokens "$tokens" --json > "$out/forge-generate.json"
torch generate --preset "$preset" --tokens "$tokens" > "$out/torch-generate.json"

/usr/bin/python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
load = lambda name: json.load(open(f"{out}/{name}.json"))
forge_gemm = [load(f"forge-gemm-{r}")["gflops"] for r in range(1, rounds + 1)]
torch_gemm = [load(f"torch-gemm-{r}")["gflops"] for r in range(1, rounds + 1)]
fg, tg = {"gflops": statistics.median(forge_gemm)}, {"gflops": statistics.median(torch_gemm)}
ft, tt = load("forge-train"), load("torch-train")
fn, tn = load("forge-generate"), load("torch-generate")
print(f"PyTorch {tt['torch']} with {tt['blas']}, {tt['threads']} threads; Forge {ft['threads']} threads")
rows = [
    ("gemm GFLOP/s, median (numpy)", fg["gflops"], tg["gflops"], fg["gflops"] / tg["gflops"]),
    ("train ms/step", ft["ms_per_step"], tt["ms_per_step"], tt["ms_per_step"] / ft["ms_per_step"]),
    ("train CPU ms/step", ft["cpu_ms_per_step"], tt["cpu_ms_per_step"], tt["cpu_ms_per_step"] / ft["cpu_ms_per_step"]),
    ("train peak RSS MB", ft["peak_rss_mb"], tt["peak_rss_mb"], tt["peak_rss_mb"] / ft["peak_rss_mb"]),
    ("generate tokens/s", fn["tokens_per_s"], tn["tokens_per_s"], fn["tokens_per_s"] / tn["tokens_per_s"]),
    ("generate CPU s", fn["cpu_seconds"], tn["cpu_seconds"], tn["cpu_seconds"] / fn["cpu_seconds"]),
]
print(f"{'':30} {'Forge':>10} {'PyTorch':>10} {'Forge advantage':>16}")
for name, f, t, ratio in rows:
    print(f"{name:30} {f:10.1f} {t:10.1f} {ratio:15.2f}x")
print(f"gemm rounds (Forge / numpy GFLOP/s): " + ", ".join(f"{f:.1f} / {t:.1f} = {f / t:.2f}x" for f, t in zip(forge_gemm, torch_gemm)))
print(f"train: Forge MFU {ft['mfu']:.1%} of {ft['peak_gflops']:.0f} GFLOP/s ({ft['clock_ghz']} GHz)")
PY
