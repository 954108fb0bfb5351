"""Writes src/Forge/Tokenizers/NfdDecompositions.txt: the full canonical decomposition (NFD) of every code point that has one,
except the Hangul syllables (decomposed arithmetically in code). One line per code point: its hex, then the hex of its
decomposition, separated by spaces. Forge runs with invariant globalization, where string.Normalize cannot decompose.

    python3 tools/gen-nfd-table.py
"""

import os
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "src", "Forge", "Tokenizers", "NfdDecompositions.txt")

with open(OUT, "w", encoding="ascii", newline="\n") as f:
    f.write(f"# Unicode {unicodedata.unidata_version} canonical decompositions, made by tools/gen-nfd-table.py\n")
    for c in range(0x110000):
        if 0xAC00 <= c <= 0xD7A3:
            continue
        d = unicodedata.normalize("NFD", chr(c))
        if d != chr(c):
            f.write(" ".join(f"{x:X}" for x in [c] + [ord(ch) for ch in d]) + "\n")
