"""Reference safetensors files for Forge's reader and writer.

There is no safetensors package here, so write_safetensors() below writes the format by hand, exactly as the
specification and the reference (Rust) writer do: an 8-byte little-endian header length, a compact UTF-8 JSON
header with "__metadata__" first and the tensors sorted by name, padded with spaces to a multiple of 8 bytes,
then the row-major little-endian tensor bytes, each tensor's data_offsets relative to the start of the buffer.

Writes:
  tests/fixtures/reference.safetensors        torch-generated F32, F16, BF16, I64 and BOOL tensors with metadata
  tests/fixtures/writer_expected.safetensors  every dtype Forge supports, 0-d and empty tensors, awkward names;
                                              Forge's writer must produce exactly these bytes
  tests/fixtures/safetensors.json             the names, dtypes, shapes, values and metadata of both files
"""
import json
import os
import struct
import sys

import torch

from common import FIXTURES, save

DTYPES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
    torch.int32: "I32", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}


def tensor_bytes(t):
    """Row-major little-endian bytes of a tensor."""
    assert sys.byteorder == "little"
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = {k: metadata[k] for k in sorted(metadata)}
    offset = 0
    chunks = []
    for name in sorted(tensors):
        t = tensors[name]
        data = tensor_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        chunks.append(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)
    print(f"wrote {os.path.relpath(path)}")


def describe(tensors, metadata):
    """Names, dtypes, shapes and exact values (float types as float32 values, which hold F16/BF16 exactly)."""
    result = {}
    for name, t in tensors.items():
        values = t.float() if t.is_floating_point() else t
        data = values.flatten().tolist()
        result[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data": data}
    return {"metadata": metadata, "tensors": result}


def main():
    torch.manual_seed(0)
    reference = {
        "weight": torch.randn(3, 4),
        "half": torch.randn(2, 3).half(),
        "bf": torch.randn(5).bfloat16(),
        "ids": torch.tensor([[-3, 0, 2 ** 40], [7, 8, -(2 ** 62)]], dtype=torch.int64),
        "mask": torch.tensor([True, False, False, True]),
    }
    reference_metadata = {"format": "pt", "note": "weights from torch"}
    write_safetensors(os.path.join(FIXTURES, "reference.safetensors"), reference, reference_metadata)

    writer = {
        "z.f32": torch.tensor([[1.5, -2.25, 3.0], [0.1, 1e-30, -7.0]], dtype=torch.float32),
        "A.f16": torch.tensor([0.5, -1.0, 65504.0, 0.000061035156], dtype=torch.float16),
        "b.bf16": torch.tensor([1.0, -3.140625, 256.0], dtype=torch.bfloat16),
        "ids.i64": torch.tensor([5, -9, 2 ** 40], dtype=torch.int64),
        "counts.i32": torch.tensor([[1, -2], [2 ** 31 - 1, -(2 ** 31)]], dtype=torch.int32),
        "q.i8": torch.tensor([-128, -1, 0, 127], dtype=torch.int8),
        "bytes.u8": torch.tensor([0, 1, 200, 255, 7], dtype=torch.uint8),
        "mask.bool": torch.tensor([[True, False, True]], dtype=torch.bool),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
        "caf\u00e9 \"quoted\"\\": torch.tensor([9], dtype=torch.int8),
        "\u00fcber": torch.tensor([1, 2], dtype=torch.int64),
    }
    writer_metadata = {"format": "pt", "tab\tnew\nline": "ctrl\u0001 \u00e9\u00e8 \U0001F600", "empty": ""}
    write_safetensors(os.path.join(FIXTURES, "writer_expected.safetensors"), writer, writer_metadata)

    save("safetensors", {
        "reference": describe(reference, reference_metadata),
        "writer": describe(writer, writer_metadata),
    })


if __name__ == "__main__":
    main()
