"""Prints the inference benchmark's comparison: Swift against PyTorch and NumPy, measured in one run.

Usage: bench_report.py SWIFT_JSON TORCH_JSON (written by `pricing-server bench --json` and
`python -m pricing_training bench-reference --json`).

Three comparisons (training/pricing_training/reference_bench.py describes the workloads):
- the reference network's plain forward pass over 1,200 context rows x 100 prices (120,000 rows):
  Swift's dense kernels against PyTorch, and each layer's kernel against NumPy's sgemm on its shape;
- the reference sweep: the service's answer for that workload (no model reads the price, so one
  forward pass over the 1,200 context rows, then the curve at 100 prices and the decision) against
  PyTorch's forward pass over the 120,000 rows (the old sweep's work) and the same sweep in PyTorch + NumPy;
- the default request for one product on the reference network (forward pass over its own context
  rows, curve, decision): the Swift service against the same request in PyTorch + NumPy.
"""

import json
import sys


def _row(rows: dict, prefix: str):
    """The Swift row whose stage is `prefix` or starts with it (row names carry row counts)."""
    if prefix in rows:
        return rows[prefix]
    return next((r for name, r in rows.items() if name.startswith(prefix)), None)


def main(swift_path: str, torch_path: str) -> int:
    with open(swift_path) as f:
        swift = json.load(f)
    with open(torch_path) as f:
        torch = json.load(f)
    rows = {r["stage"]: r for r in swift["rows"]}
    print("\n".join(swift["notes"]))
    print()
    plain = _row(rows, "reference: plain forward pass")
    torch_ms = torch["torch_forward_seconds"] * 1000
    print(f"Reference forward pass, {torch['context_rows']:,} context rows x {torch['prices']} prices = {torch['rows']:,} rows, "
          f"{torch['flops_full_forward'] / 1e9:.2f} GFLOP:")
    label = f"PyTorch ({torch['torch_threads']} threads):"
    print(f"  {label:36s}{torch_ms:9.1f} ms  {torch['torch_gflops']:6.1f} GFLOP/s")
    if plain:
        gflops = plain["gflops"] if plain.get("gflops") is not None else float("nan")
        print(f"  {'Swift:':36s}{plain['milliseconds']:9.1f} ms  {gflops:6.1f} GFLOP/s "
              f"-> {torch_ms / plain['milliseconds']:.2f}x PyTorch")
    sweep = _row(rows, "reference: whole sweep")
    py_sweep = torch.get("sweep")
    if sweep:
        print()
        print("Reference sweep (forward pass over the context rows once, curve at 100 prices, decision):")
        print(f"  Swift whole sweep:                   {sweep['milliseconds']:9.1f} ms  -> {torch_ms / sweep['milliseconds']:.1f}x "
              f"faster than PyTorch's forward pass over the {torch['rows']:,} rows alone (goal >= 3x)")
        if py_sweep:
            py_ms = py_sweep["python_sweep_seconds"] * 1000
            print(f"  PyTorch + NumPy, same sweep:         {py_ms:9.1f} ms  (its forward pass over "
                  f"{py_sweep['context_rows']:,} rows: {py_sweep['torch_forward_seconds'] * 1000:.1f} ms) "
                  f"-> Swift {py_ms / sweep['milliseconds']:.1f}x faster")
    request = torch.get("request")
    swift_request = _row(rows, "reference network request: whole sweep")
    if request:
        py_ms = request["python_request_seconds"] * 1000
        print()
        print(f"Default request on the reference network: {request['stockcode']}, {request['context_rows']} context rows, "
              f"curve {request['prices']} prices, decision {request['grid_points']} grid prices x {request['draws']} draws:")
        print(f"  PyTorch forward pass alone:          {request['torch_forward_seconds'] * 1000:9.3f} ms")
        print(f"  PyTorch + NumPy whole request:       {py_ms:9.3f} ms")
        if swift_request:
            print(f"  Swift whole request:                 {swift_request['milliseconds']:9.3f} ms  "
                  f"-> {py_ms / swift_request['milliseconds']:.1f}x faster than Python, "
                  f"{request['torch_forward_seconds'] * 1000 / swift_request['milliseconds']:.1f}x than PyTorch's forward pass alone")
    default = _row(rows, "default request: whole sweep")
    if default:
        print(f"  (trained network, Swift whole request: {default['milliseconds']:.3f} ms)")
    load = _row(rows, "load default artifact set")
    if load:
        print()
        print(f"Loading the default artifact set:    {load['milliseconds']:9.1f} ms  (goal < 200 ms)")
    print()
    print(f"{'dense kernel shape':32s} {'Swift GFLOP/s':>14s} {'NumPy sgemm':>12s} {'ratio':>7s}  (goal >= 50%)")
    for layer in torch["numpy_sgemm"]:
        key = f"kernel: {layer['rows']}x{layer['inputs']} · {layer['inputs']}x{layer['outputs']}"
        if key not in rows or rows[key].get("gflops") is None:
            continue
        s = rows[key]["gflops"]
        print(f"{layer['shape']:32s} {s:14.1f} {layer['gflops']:12.1f} {100 * s / layer['gflops']:6.0f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
