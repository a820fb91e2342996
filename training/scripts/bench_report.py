"""Prints the inference benchmark's comparison: Swift against PyTorch and NumPy, measured in one run.

Usage: bench_report.py SWIFT_JSON TORCH_JSON (written by `pricing-server bench --json` and
`python -m pricing_training bench-reference --json`).
"""

import json
import sys


def main(swift_path: str, torch_path: str) -> int:
    swift = json.load(open(swift_path))
    torch = json.load(open(torch_path))
    rows = {r["stage"]: r for r in swift["rows"]}
    print("\n".join(swift["notes"]))
    sweep = rows["reference: whole sweep (features, forward, aggregation)"]["milliseconds"]
    plain = rows["reference: plain forward pass (all layers, as PyTorch)"]
    torch_ms = torch["torch_forward_seconds"] * 1000
    load = rows["load default artifact set"]["milliseconds"]
    print()
    print(f"PyTorch forward pass ({torch['torch_threads']} threads): {torch_ms:9.1f} ms  {torch['torch_gflops']:6.1f} GFLOP/s "
          f"on {torch['flops_full_forward'] / 1e9:.2f} GFLOP")
    print(f"Swift plain forward pass:            {plain['milliseconds']:9.1f} ms  {plain['gflops']:6.1f} GFLOP/s "
          f"-> {torch_ms / plain['milliseconds']:.2f}x PyTorch")
    print(f"Swift whole sweep:                   {sweep:9.1f} ms  -> {torch_ms / sweep:.2f}x faster than PyTorch's "
          f"forward pass alone (goal >= 3x)")
    print(f"Loading the default artifact set:    {load:9.1f} ms  (goal < 200 ms)")
    print()
    print(f"{'dense kernel shape':32s} {'Swift GFLOP/s':>14s} {'NumPy sgemm':>12s} {'ratio':>7s}  (goal >= 50%)")
    for layer in torch["numpy_sgemm"]:
        key = f"kernel: {layer['rows']}x{layer['inputs']} · {layer['inputs']}x{layer['outputs']}"
        if key not in rows:
            continue
        s = rows[key]["gflops"]
        print(f"{layer['shape']:32s} {s:14.1f} {layer['gflops']:12.1f} {100 * s / layer['gflops']:6.0f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
