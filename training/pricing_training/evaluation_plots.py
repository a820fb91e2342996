"""The evaluation report's figures (`python -m pricing_training evaluate`): true against predicted revenue
curves for a few products (curves.png), the P(gain) reliability diagram and interval coverage
(calibration.png), and the decision rule's harm-against-capture frontier next to the information oracle's
(frontier.png). Calibration and frontier are drawn from the figures pooled over the report seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import decision


def _pyplot():
    """matplotlib's pyplot on the file-only Agg backend (no display needed), loaded on first use."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _grid_axes(count: int, width: float = 4.2, height: float = 3.6):
    plt = _pyplot()
    cols = min(count, 4)
    rows = (count + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return plt, fig, axes


def plot_calibration(results: dict, path: Path) -> None:
    """Reliability diagram (promised P(gain) against the realized share of gains, one line per scenario, the
    diagonal) and the elasticity intervals' coverage against their nominal level."""
    plt = _pyplot()
    named = {n: r["summary"]["calibration"] for n, r in results.items() if "calibration" in r["summary"]}
    fig, (rel, cov) = plt.subplots(1, 2, figsize=(13, 5.5))
    colors = plt.cm.tab20(np.linspace(0, 1, max(len(named), 2)))
    for color, (name, cal) in zip(colors, named.items()):
        bins = [b for b in cal["reliability"] if b["count"]]
        style = "--" if name.endswith("-twin") else "-"
        rel.plot([b["promised"] for b in bins], [b["realized"] for b in bins], style, marker="o", color=color, label=name)
        levels = [int(k) / 100 for k in cal["elasticity_coverage"]]
        cov.plot(levels, list(cal["elasticity_coverage"].values()), style, marker="o", color=color, label=name)
    for ax in (rel, cov):
        ax.plot([0, 1], [0, 1], color="black", lw=0.8, label="calibrated")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
    rel.set_title("P(gain) reliability: moves binned by promised P(gain)")
    rel.set_xlabel("promised P(gain) (mean in bin)")
    rel.set_ylabel("realized share that gains on the true curve")
    cov.fill_between([0.78, 0.82], 0.70, 0.90, color="tab:green", alpha=0.2, label="bar: 80% holds 70–90%")
    cov.set_title("Elasticity interval coverage at the current price")
    cov.set_xlabel("nominal level of the central interval")
    cov.set_ylabel("share of products whose true elasticity lies inside")
    rel.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_frontier(results: dict, path: Path, harm_bar: float) -> None:
    """Harm rate against aggregate capture per scenario: the method over q and over α, the oracle over q, the
    default rule marked, the harm bar drawn."""
    named = {n: r["summary"]["frontier"] for n, r in results.items() if "frontier" in r["summary"]}
    plt, fig, axes = _grid_axes(len(named))
    for ax, (name, f) in zip(axes.flat, named.items()):
        for prefix, label, color in (("q", "method, P(gain) ≥ q", "tab:blue"), ("alpha", "method, P(loss>1%) ≤ α", "tab:orange")):
            pts = [p for k, p in f["method"].items() if k.startswith(prefix)]
            ax.plot([p["aggregate_capture"] for p in pts], [p["harm_rate"] for p in pts], marker=".", color=color, label=label)
        if "oracle" in f:
            pts = list(f["oracle"].values())
            ax.plot([p["aggregate_capture"] for p in pts], [p["harm_rate"] for p in pts], marker=".", color="tab:gray",
                    label="information oracle, q")
        if "realistic_oracle" in f:
            pts = list(f["realistic_oracle"].values())
            ax.plot([p["aggregate_capture"] for p in pts], [p["harm_rate"] for p in pts], marker=".", color="tab:green",
                    label="realistic oracle, q")
        d = f["method"][f["default_rule"]]
        ax.plot([d["aggregate_capture"]], [d["harm_rate"]], marker="*", ms=14, color="tab:red", ls="none",
                label=f"default ({f['default_rule']})")
        ax.axhline(harm_bar, color="black", lw=0.8, ls=":", label="harm bar")
        ax.axvline(0.0, color="black", lw=0.5)
        ax.set_title(name)
        ax.set_xlabel("aggregate gain capture (mispriced)")
        ax.set_ylabel("harm rate")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_curves(name: str, seed: int, per_product: pd.DataFrame, meta: dict, path: Path, count: int = 6) -> None:
    """True vs predicted revenue (relative to the current price) for a few products, with the posterior band."""
    plt = _pyplot()
    picked = per_product.sort_values("lines", ascending=False).head(count // 2)["stockcode"].tolist()
    picked += per_product[per_product["mispriced"]].sort_values("lines").head(count - len(picked))["stockcode"].tolist()
    fig, axes = plt.subplots(2, (len(picked) + 1) // 2, figsize=(5 * ((len(picked) + 1) // 2), 8), squeeze=False)
    for ax, code in zip(axes.flat, picked):
        resp = meta["responses"][code]
        truth = meta["truth"]
        p_now = resp.current_price
        grid = np.linspace(p_now * 0.5, p_now * 2.0, 200)
        true_rel = truth.revenue(code, grid) / truth.revenue(code, np.array([p_now]))[0]
        m = decision.multipliers(resp, grid) * grid[None, :]
        m_now = decision.multipliers(resp, np.array([resp.current_price]))[:, 0] * resp.current_price
        rel = m / m_now.mean()
        ax.plot(grid, true_rel, color="black", label="true")
        ax.plot(grid, rel.mean(axis=0), color="tab:blue", label="model (posterior mean)")
        ax.fill_between(grid, np.quantile(rel, 0.1, axis=0), np.quantile(rel, 0.9, axis=0), color="tab:blue", alpha=0.2,
                        label="10–90%")
        row = per_product.set_index("stockcode").loc[code]
        ax.axvline(p_now, color="gray", ls="--", label="current")
        ax.axvline(row["recommended_price"], color="tab:green", label="decided")
        ax.axvline(row["best_price"], color="tab:red", ls=":", label="true best")
        ax.axvspan(resp.support[0], resp.support[1], color="gray", alpha=0.07)
        ax.set_title(f"{code} ({int(row['lines'])} lines)")
        ax.set_xlabel("list price (£)")
        ax.set_ylabel("revenue / revenue at current price")
        ax.set_ylim(0, max(1.5, float(np.nanmax(true_rel)) * 1.1))
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"{name}, seed {seed}: true vs predicted weekly revenue")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
