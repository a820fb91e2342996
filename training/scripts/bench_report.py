"""Prints the inference benchmark's comparison: Swift against PyTorch and NumPy, measured in one run.

Usage: bench_report.py SWIFT_JSON TORCH_JSON [BUILDS_DIR] (written by `pricing-server bench --json` and
`python -m pricing_training bench-reference --json`; BUILDS_DIR holds `pricing-server bench --json` runs of
a plain `swift build -c release` binary (plain-N.json) and of `make build`'s (make-N.json), compared).

Three comparisons (training/pricing_training/reference_bench.py describes the workloads):
- the reference network's plain forward pass over 1,200 context rows x 100 prices (120,000 rows):
  Swift's dense kernels against PyTorch, and each layer's kernel against NumPy's sgemm on its shape;
- the reference sweep: the service's answer for that workload (no model reads the price, so one
  forward pass over the 1,200 context rows, then the curve at 100 prices and the decision) against
  PyTorch's forward pass over the 120,000 rows (the old sweep's work) and the same sweep in PyTorch + NumPy;
- the default request for one product on the reference network (forward pass over its own context
  rows, curve, decision): the Swift service against the same request in PyTorch + NumPy.

The dense kernel runs in the variant chosen at load (the widest vector unit of the CPU, or
PRICING_KERNEL); the other variants this CPU runs are measured in the same run (rows named
"variant <name>: ...") and shown next to it.
"""

import json
import sys
from pathlib import Path


def _row(rows: dict, prefix: str):
    """The Swift row whose stage is `prefix` or starts with it (row names carry row counts)."""
    if prefix in rows:
        return rows[prefix]
    return next((r for name, r in rows.items() if name.startswith(prefix)), None)


def _variants(rows: dict) -> list[str]:
    """The other kernel variants the Swift bench measured, in the order it measured them."""
    seen = []
    for name in rows:
        if name.startswith("variant ") and ":" in name:
            variant = name[len("variant "):name.index(":")]
            if variant not in seen:
                seen.append(variant)
    return seen


def _selected_variant(notes: list[str]) -> str:
    note = next((n for n in notes if n.startswith("dense kernel variant: ")), "dense kernel variant: ?")
    return note[len("dense kernel variant: "):].split(" ")[0]


def _build_comparison(selected: str, builds_dir: str) -> None:
    """The default request's stages from a plain `swift build -c release` binary (plain-N.json) and from
    `make build`'s (make-N.json), run alternately; each stage's best run per build, so that a burst of
    load on the shared machine during one run does not decide the ratio."""
    runs = {"plain": [], "make": []}
    for path in sorted(Path(builds_dir).glob("*.json")):
        kind = path.stem.split("-")[0]
        if kind in runs:
            runs[kind].append(json.loads(path.read_text()))
    if not runs["plain"] or not runs["make"]:
        return
    plain_variant = _selected_variant(runs["plain"][0]["notes"])
    print()
    print(f"Release builds, default request, best of {len(runs['plain'])} alternating runs each ({plain_variant} kernel in "
          f"the plain build, {selected} in make build's; ratio = plain / make build, goal <= 1.2x):")
    for label, prefix in [("network forward pass, context rows", "default request: plain forward pass of the same network"),
                          ("network forward pass, sweep's rows", "default request: plain forward pass over the sweep's rows"),
                          ("whole sweep", "default request: whole sweep")]:
        best = {}
        for kind, documents in runs.items():
            times = [r["milliseconds"] for d in documents if (r := _row({x["stage"]: x for x in d["rows"]}, prefix))]
            if times:
                best[kind] = min(times)
        if len(best) == 2:
            print(f"  {label:38s} swift build -c release {best['plain'] * 1000:9.1f} us   make build {best['make'] * 1000:9.1f} us"
                  f"   -> {best['plain'] / best['make']:.2f}x")


def main(swift_path: str, torch_path: str, builds_dir: str | None = None) -> int:
    with open(swift_path) as f:
        swift = json.load(f)
    with open(torch_path) as f:
        torch = json.load(f)
    rows = {r["stage"]: r for r in swift["rows"]}
    selected = _selected_variant(swift["notes"])
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
        print(f"  {'Swift (' + selected + ' kernel):':36s}{plain['milliseconds']:9.1f} ms  {gflops:6.1f} GFLOP/s "
              f"-> {torch_ms / plain['milliseconds']:.2f}x PyTorch")
    for variant in _variants(rows):
        other = rows.get(f"variant {variant}: reference: plain forward pass")
        if other:
            print(f"  {'Swift (' + variant + ' kernel):':36s}{other['milliseconds']:9.1f} ms  {other['gflops']:6.1f} GFLOP/s "
                  f"-> {torch_ms / other['milliseconds']:.2f}x PyTorch")
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
    variants = _variants(rows)
    header = f"{'dense kernel shape, GFLOP/s':32s} {'NumPy sgemm':>12s} {selected:>8s} {'ratio':>6s}"
    header += "".join(f" {v:>8s} {'ratio':>6s}" for v in variants)
    print(header + f"   (goal: {selected} >= 100% of NumPy)")
    for layer in torch["numpy_sgemm"]:
        key = f"kernel: {layer['rows']}x{layer['inputs']} · {layer['inputs']}x{layer['outputs']}"
        if key not in rows or rows[key].get("gflops") is None:
            continue
        numpy = layer["gflops"]
        line = f"{layer['shape']:32s} {numpy:12.1f} {rows[key]['gflops']:8.1f} {100 * rows[key]['gflops'] / numpy:5.0f}%"
        for v in variants:
            other = rows.get(f"variant {v}: {key}")
            line += f" {other['gflops']:8.1f} {100 * other['gflops'] / numpy:5.0f}%" if other else " " * 16
        print(line)
    if builds_dir:
        _build_comparison(selected, builds_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
