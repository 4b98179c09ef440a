#!/usr/bin/env python3
"""Parity fixtures for runner's K-quant quantizers (Tests/QuantTests/KQuantParityTests.swift).

The gguf package has no K-quant quantizer, only dequantizers (numpy ports of ggml's
dequantize_row_q*_K), so the bytes under test are runner's own. Three steps:

  1. `--make-input` writes Tests/QuantTests/Fixtures/kquant/input.bin: 4 rows of 512 f32 values
     (Gaussian, heavy-tailed Student-t with rare x20 outliers, a shifted row, and a row of
     zero / constant / ramp / noisy sub-blocks), deterministic.
  2. `RUNNER_UPDATE_KQUANT_FIXTURES=1 swift test --filter KQuantParityTests` has runner quantize it
     as <type>.bin for Q4_K, Q5_K, Q6_K into the same folder.
  3. Without flags, this script dequantizes those bytes with gguf.quants.dequantize and writes
     <type>.dequantized.bin (f32 LE) and reference.json (byte counts, SHA-256 of the dequantized
     values, RMSE vs the input), checking that each block's f16 d is finite and the reconstruction
     is close to the input (else it fails).

Run from the package root:  .venv/bin/python tools/reference/kquant_fixtures.py [--make-input]
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "QuantTests", "Fixtures", "kquant")
TYPES = ["Q4_K", "Q5_K", "Q6_K"]
ROWS, COLUMNS = 4, 512


def make_input():
    rng = np.random.default_rng(2024)
    rows = [
        0.02 * rng.standard_normal(COLUMNS),
        0.02 * np.clip(rng.standard_t(2, COLUMNS), -50, 50) * np.where(rng.random(COLUMNS) < 0.01, 20, 1),
        0.01 + 0.02 * rng.standard_normal(COLUMNS),
    ]
    special = 0.03 * rng.standard_normal(COLUMNS)
    special[0:32] = 0                                  # an all-zero sub-block
    special[32:64] = -0.05                             # a negative constant sub-block
    special[64:96] = np.linspace(-0.1, 0.3, 32)        # a ramp
    special[256:288] = 0.001 * rng.standard_normal(32)  # a tiny sub-block beside large ones
    rows.append(special)
    data = np.stack(rows).astype("<f4")
    os.makedirs(OUT, exist_ok=True)
    data.tofile(os.path.join(OUT, "input.bin"))
    print(f"wrote {OUT}/input.bin: {data.shape}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--make-input", action="store_true")
    args = parser.parse_args()
    if args.make_input:
        make_input()
        return

    from gguf import GGMLQuantizationType as Q, GGML_QUANT_SIZES, quants

    values = np.fromfile(os.path.join(OUT, "input.bin"), dtype="<f4").reshape(ROWS, COLUMNS)
    reference = {"rows": ROWS, "columns": COLUMNS, "types": {}}
    for name in TYPES:
        qtype = Q[name]
        block, size = GGML_QUANT_SIZES[qtype]
        raw = np.fromfile(os.path.join(OUT, f"{name}.bin"), dtype=np.uint8)
        if raw.size != ROWS * COLUMNS // block * size:
            sys.exit(f"{name}.bin: {raw.size} bytes, expected {ROWS * COLUMNS // block * size}")
        out = quants.dequantize(raw.reshape(ROWS, COLUMNS // block * size), qtype).astype("<f4")
        if out.shape != (ROWS, COLUMNS) or not np.isfinite(out).all():
            sys.exit(f"{name}: bad dequantized values")
        rmse = float(np.sqrt(np.mean((out - values) ** 2)))
        rms = float(np.sqrt(np.mean(values ** 2)))
        if rmse > 0.12 * rms:
            sys.exit(f"{name}: reconstruction RMSE {rmse} is not close to the input (rms {rms})")
        out.tofile(os.path.join(OUT, f"{name}.dequantized.bin"))
        reference["types"][name] = {"bytes": int(raw.size),
                                    "dequantized_sha256": hashlib.sha256(out.tobytes()).hexdigest(),
                                    "rmse": rmse, "relative_rmse": rmse / rms}
        print(f"{name}: {raw.size} bytes, relative RMSE {rmse / rms:.4f}")
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
