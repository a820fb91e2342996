extension DashboardPage {
    /// The page's stylesheet: system fonts, light and dark schemes, one layout that stacks on narrow screens.
    /// The chart's SVG elements are styled here by class, so the script sets no inline styles.
    static let css = #"""
:root {
  --bg: #f3f5f9;
  --panel: #ffffff;
  --text: #0f172a;
  --muted: #64748b;
  --muted-on-tint: #475569;
  --faint: #94a3b8;
  --border: #e2e8f0;
  --grid: #edf1f6;
  --axis: #cbd5e1;
  --accent: #2563eb;
  --accent-strong: #1d4ed8;
  --accent-soft: rgba(37, 99, 235, 0.10);
  --objective: #2563eb;
  --objective-fill: rgba(37, 99, 235, 0.16);
  --band: rgba(13, 148, 136, 0.28);
  --range: rgba(13, 148, 136, 0.10);
  --median: #0f766e;
  --history: rgba(100, 116, 139, 0.11);
  --rec: #ea580c;
  --rec-text: #c2410c;
  --rec-label-bg: #c2410c;
  --rec-label-text: #ffffff;
  --rec-soft: #fff7ed;
  --rec-band: rgba(234, 88, 12, 0.30);
  --current: #334155;
  --best: #9a3412;
  --up: #15803d;
  --down: #b91c1c;
  --change: #15803d;
  --keep: #475569;
  --search-hatch: rgba(100, 116, 139, 0.22);
  --warn-text: #92400e;
  --warn-soft: #fffbeb;
  --warn-border: #fde68a;
  --sales-band: rgba(37, 99, 235, 0.16);
  --danger: #b91c1c;
  --danger-soft: #fef2f2;
  --danger-border: #fecaca;
  --focus: 0 0 0 3px rgba(37, 99, 235, 0.35);
  --shadow: 0 1px 2px rgba(15, 23, 42, 0.05), 0 4px 16px rgba(15, 23, 42, 0.05);
  --radius: 12px;
  color-scheme: light dark;
}

@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0b1120;
    --panel: #111827;
    --text: #e5e7eb;
    --muted: #94a3b8;
    --muted-on-tint: #a5b4c8;
    --faint: #64748b;
    --border: #1f2937;
    --grid: #1a2332;
    --axis: #334155;
    --accent: #3b82f6;
    --accent-strong: #60a5fa;
    --accent-soft: rgba(59, 130, 246, 0.16);
    --objective: #60a5fa;
    --objective-fill: rgba(96, 165, 250, 0.18);
    --band: rgba(45, 212, 191, 0.30);
    --range: rgba(45, 212, 191, 0.10);
    --median: #2dd4bf;
    --history: rgba(148, 163, 184, 0.18);
    --rec: #fb923c;
    --rec-text: #fdba74;
    --rec-label-bg: #fb923c;
    --rec-label-text: #111827;
    --rec-soft: rgba(251, 146, 60, 0.12);
    --rec-band: rgba(251, 146, 60, 0.35);
    --current: #cbd5e1;
    --best: #fdba74;
    --up: #4ade80;
    --down: #fca5a5;
    --change: #166534;
    --keep: #334155;
    --search-hatch: rgba(148, 163, 184, 0.22);
    --warn-text: #fcd34d;
    --warn-soft: rgba(245, 158, 11, 0.10);
    --warn-border: rgba(245, 158, 11, 0.35);
    --sales-band: rgba(96, 165, 250, 0.20);
    --danger: #fca5a5;
    --danger-soft: rgba(220, 38, 38, 0.12);
    --danger-border: rgba(248, 113, 113, 0.35);
    --shadow: none;
  }
}

*, *::before, *::after { box-sizing: border-box; }

html, body { margin: 0; }

body {
  background: var(--bg);
  color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif;
  -webkit-font-smoothing: antialiased;
}

code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.92em; }

[hidden] { display: none !important; }

.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}

.app { min-height: 100vh; display: flex; flex-direction: column; }

/* Header */
.topbar {
  display: flex; align-items: center; justify-content: space-between; gap: 24px;
  padding: 12px 24px;
  background: var(--panel);
  border-bottom: 1px solid var(--border);
}
.brand { display: flex; align-items: center; gap: 12px; min-width: 0; }
.logo { width: 34px; height: 34px; flex: none; }
.logo-bg { fill: var(--accent); }
.logo-line { fill: none; stroke: #fff; stroke-width: 2.6; stroke-linecap: round; stroke-linejoin: round; }
.logo-dot { fill: #fbbf24; }
h1 { margin: 0; font-size: 17px; font-weight: 650; letter-spacing: -0.01em; }
.subtitle { margin: 0; color: var(--muted); font-size: 12.5px; }

.meta { display: flex; gap: 8px; margin: 0; flex-wrap: wrap; justify-content: flex-end; }
.meta > div {
  display: flex; align-items: baseline; gap: 6px;
  padding: 4px 10px; border: 1px solid var(--border); border-radius: 999px; background: var(--bg);
  max-width: 320px;
}
.meta dt { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: 0.06em; }
.meta dd { margin: 0; font-weight: 600; font-size: 12.5px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.meta dd.fallback { color: var(--rec); }

/* Layout */
.layout {
  flex: 1;
  display: grid; grid-template-columns: 300px minmax(0, 1fr); gap: 16px; align-items: start;
  padding: 16px 24px;
  width: 100%; max-width: 1600px; margin: 0 auto;
}
.panel {
  background: var(--panel);
  border: 1px solid var(--border);
  border-radius: var(--radius);
  box-shadow: var(--shadow);
  padding: 16px 18px;
  min-width: 0;
}
.panel-title { margin: 0 0 2px; font-size: 13px; font-weight: 650; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); }

/* Form */
.controls .panel-title { margin-bottom: 10px; }
form { display: flex; flex-direction: column; gap: 12px; }
.field { display: flex; flex-direction: column; gap: 4px; min-width: 0; }
label, legend { font-weight: 600; font-size: 12.5px; }
.optional { font-weight: 400; color: var(--faint); margin-left: 4px; }
input {
  font: inherit; color: inherit;
  width: 100%; padding: 7px 10px;
  background: var(--panel);
  border: 1px solid var(--axis); border-radius: 8px;
  transition: border-color 0.15s, box-shadow 0.15s;
}
input::placeholder { color: var(--faint); }
input:focus { outline: none; border-color: var(--accent); box-shadow: var(--focus); }
.hint { margin: 0; color: var(--muted); font-size: 12px; }
fieldset.group { border: 0; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 8px; }
fieldset.group legend { padding: 0; margin-bottom: 6px; }
.row2 { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }

.combo { position: relative; }
.listbox {
  position: absolute; top: 58px; left: 0; right: 0; z-index: 20;
  margin: 0; padding: 4px; list-style: none;
  max-height: 320px; overflow-y: auto;
  background: var(--panel); border: 1px solid var(--border); border-radius: 10px;
  box-shadow: 0 10px 30px rgba(15, 23, 42, 0.16);
}
.listbox li {
  display: grid; grid-template-columns: auto 1fr; column-gap: 8px; align-items: baseline;
  padding: 6px 8px; border-radius: 6px; cursor: pointer;
}
.listbox li[aria-selected="true"], .listbox li:hover { background: var(--accent-soft); }
.listbox .opt-code { font-weight: 650; font-variant-numeric: tabular-nums; font-size: 12.5px; }
.listbox .opt-desc { color: var(--text); font-size: 12.5px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.listbox .opt-range { grid-column: 2; color: var(--muted); font-size: 11.5px; }
.listbox .opt-empty { display: block; color: var(--muted); cursor: default; }
.listbox .opt-empty:hover { background: none; }

.product-card {
  border: 1px solid var(--border); border-radius: 10px; padding: 10px 12px; background: var(--bg);
}
.product-code { font-weight: 700; font-size: 13px; }
.product-desc { font-size: 12.5px; margin-top: 1px; }
.product-facts { color: var(--muted); font-size: 12px; margin-top: 4px; }

button.primary {
  display: inline-flex; align-items: center; justify-content: center; gap: 8px;
  font: inherit; font-weight: 650;
  padding: 9px 14px; margin-top: 2px;
  color: #fff; background: var(--accent);
  border: 1px solid var(--accent-strong); border-radius: 8px; cursor: pointer;
  transition: background 0.15s, box-shadow 0.15s;
}
button.primary:hover { background: var(--accent-strong); }
button.primary:focus-visible { outline: none; box-shadow: var(--focus); }
.button-spinner { display: none; width: 14px; height: 14px; border: 2px solid rgba(255, 255, 255, 0.45); border-top-color: #fff; border-radius: 50%; animation: spin 0.8s linear infinite; }
[data-state="loading"] .button-spinner { display: inline-block; }

/* Results */
.results { display: flex; flex-direction: column; gap: 12px; }
.results-head { display: flex; align-items: flex-start; justify-content: space-between; gap: 16px; }
.results-subtitle { margin: 0; font-size: 16px; font-weight: 650; }
.status-line { display: flex; align-items: center; gap: 10px; color: var(--muted); white-space: nowrap; }
.status { margin: 0; font-size: 13px; }
.rows-pill {
  font-size: 12px; font-variant-numeric: tabular-nums;
  padding: 2px 9px; border-radius: 999px; border: 1px solid var(--border); background: var(--bg);
}
.spinner {
  display: none; width: 16px; height: 16px;
  border: 2px solid var(--accent-soft); border-top-color: var(--accent); border-radius: 50%;
  animation: spin 0.8s linear infinite;
}
[data-state="loading"] .spinner { display: inline-block; }
[data-state="done"] .status { color: var(--text); }
[data-state="error"] .status { color: var(--danger); }
@keyframes spin { to { transform: rotate(360deg); } }

.error-box {
  display: flex; gap: 10px; align-items: flex-start;
  padding: 10px 12px; border-radius: 10px;
  color: var(--danger); background: var(--danger-soft); border: 1px solid var(--danger-border);
}
.error-icon { width: 20px; height: 20px; flex: none; margin-top: 1px; }
.error-icon circle { fill: none; stroke: currentColor; stroke-width: 1.6; }
.error-icon path { fill: none; stroke: currentColor; stroke-width: 1.8; stroke-linecap: round; }
.error-title { font-weight: 650; }
.error-message { color: var(--text); overflow-wrap: anywhere; }

/* Summary: the decision and its evidence */
.summary { display: flex; flex-direction: column; gap: 10px; }
.decision-line { display: flex; align-items: baseline; gap: 10px; margin: 0; font-size: 14px; font-weight: 500; }
.decision-badge {
  flex: none; padding: 1px 10px; border-radius: 999px;
  font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: 0.06em; color: #fff;
}
.decision-badge[data-decision="change"] { background: var(--change); }
.decision-badge[data-decision="keep_current"] { background: var(--keep); }
.decision-text { color: var(--text); }
.decision-text::first-letter { text-transform: uppercase; }

.kpis { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; }
.kpi { border: 1px solid var(--border); border-radius: 10px; padding: 9px 14px; background: var(--panel); min-width: 0; }
.kpi-accent { border-color: rgba(234, 88, 12, 0.35); background: var(--rec-soft); }
.kpi-label { color: var(--muted); font-size: 12px; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.kpi-value { font-size: 24px; font-weight: 700; letter-spacing: -0.02em; font-variant-numeric: tabular-nums; line-height: 1.25; white-space: nowrap; }
.kpi-accent .kpi-value { color: var(--rec-text); }
.kpi-sub { font-size: 14px; font-weight: 600; color: var(--muted); letter-spacing: 0; }
.kpi-value .up { color: var(--up); }
.kpi-value .down { color: var(--down); }
.kpi-note { color: var(--muted); font-size: 12px; min-height: 1.45em; font-variant-numeric: tabular-nums; }
.kpi-accent .kpi-note, .kpi-accent .kpi-label { color: var(--muted-on-tint); }
.kpi-note.warn, .kpi-accent .kpi-note.warn { color: var(--rec-text); }
[data-state="loading"] .kpi-value { opacity: 0.45; }

.evidence {
  display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 4px 12px; margin: 0;
  padding: 8px 14px; border: 1px solid var(--border); border-radius: 10px; background: var(--panel);
}
.evidence-item { min-width: 0; }
.evidence dt { color: var(--muted); font-size: 12px; font-weight: 600; }
.evidence dd { margin: 0; font-size: 14px; font-weight: 650; font-variant-numeric: tabular-nums; }
.evidence .dt-sub, .evidence .dd-sub { color: var(--muted); font-weight: 400; font-size: 12px; }
.evidence .dd-note { color: var(--muted); font-weight: 400; font-size: 12px; }

.flags { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
.flag {
  padding: 6px 10px 6px 30px; border-radius: 8px; position: relative;
  color: var(--warn-text); background: var(--warn-soft); border: 1px solid var(--warn-border); font-size: 13px;
}
.flag::before {
  content: "!"; position: absolute; left: 9px; top: 7px; width: 14px; height: 14px; border-radius: 50%;
  background: var(--warn-text); color: var(--panel); font-size: 10px; font-weight: 800; line-height: 14px; text-align: center;
}

/* Chart */
.chart-figure { position: relative; margin: 0; }
.chart { width: 100%; min-height: 300px; }
.chart svg { display: block; width: 100%; height: auto; overflow: visible; font-variant-numeric: tabular-nums; }
.chart text { fill: var(--muted); font-size: 11px; }
.chart .grid line { stroke: var(--grid); stroke-width: 1; }
.chart .axis line, .chart .axis path { stroke: var(--axis); stroke-width: 1; fill: none; }
.chart .axis-title { fill: var(--text); font-size: 11.5px; font-weight: 600; }
.chart .panel-label { fill: var(--muted); font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: 0.05em; }
.chart .area { fill: var(--objective-fill); stroke: none; }
.chart .sales-band { fill: var(--sales-band); stroke: none; }
.chart .hatch { stroke: var(--search-hatch); stroke-width: 1.2; }
.chart .search-range path { stroke: var(--muted); stroke-width: 1.5; fill: none; }
.chart .best-interval { fill: var(--rec-band); stroke: var(--rec); stroke-width: 1; }
.chart .cur-line { stroke: var(--current); stroke-width: 1.6; }
.chart .cur-dot { fill: var(--current); stroke: var(--panel); stroke-width: 2; }
.chart .cur-label-bg { fill: var(--current); }
.chart .cur-label { fill: var(--panel); font-size: 12px; font-weight: 700; }
.chart .best-line { stroke: var(--best); stroke-width: 1.4; stroke-dasharray: 1 3; stroke-linecap: round; }
.chart .best-dot { fill: var(--panel); stroke: var(--best); stroke-width: 2; }
.chart .best-label-bg { fill: var(--panel); stroke: var(--best); stroke-width: 1; }
.chart .best-label { fill: var(--best); font-size: 12px; font-weight: 700; }
.chart .line { fill: none; stroke: var(--objective); stroke-width: 2.2; stroke-linejoin: round; stroke-linecap: round; }
.chart .line-secondary { fill: none; stroke: var(--objective); stroke-width: 1.4; stroke-dasharray: 4 3; opacity: 0.55; }
.chart .q-range { fill: var(--range); stroke: none; }
.chart .q-band { fill: var(--band); stroke: none; }
.chart .q-median { fill: none; stroke: var(--median); stroke-width: 1.8; stroke-linejoin: round; }
.chart .history { fill: var(--history); }
.chart .zero { stroke: var(--faint); stroke-dasharray: 3 3; }
.chart .rec-line { stroke: var(--rec); stroke-width: 1.6; stroke-dasharray: 5 4; }
.chart .rec-dot { fill: var(--rec); stroke: var(--panel); stroke-width: 2; }
.chart .rec-label-bg { fill: var(--rec-label-bg); }
.chart .rec-label { fill: var(--rec-label-text); font-size: 12px; font-weight: 700; }
.chart .placeholder { fill: var(--faint); font-size: 13px; }
.chart .hover-line { stroke: var(--faint); stroke-width: 1; }
.chart .hover-dot { fill: var(--panel); stroke-width: 2; }
.chart .hover-dot.objective { stroke: var(--objective); }
.chart .hover-dot.median { stroke: var(--median); }
.chart .overlay { fill: transparent; cursor: crosshair; }
[data-state="loading"] .chart .line { stroke-dasharray: none; }

.tooltip {
  position: absolute; top: 0; left: 0; z-index: 10; pointer-events: none;
  min-width: 180px; padding: 8px 10px;
  background: var(--panel); border: 1px solid var(--border); border-radius: 8px;
  box-shadow: 0 8px 24px rgba(15, 23, 42, 0.16);
  font-size: 12px; font-variant-numeric: tabular-nums;
}
.tooltip .tt-title { font-weight: 700; margin-bottom: 4px; }
.tooltip .tt-row { display: flex; justify-content: space-between; gap: 14px; color: var(--muted); }
.tooltip .tt-row b { color: var(--text); font-weight: 600; }

.legend { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 16px; margin-top: 6px; color: var(--muted); font-size: 12px; }
.legend-item { display: inline-flex; align-items: center; gap: 6px; white-space: nowrap; }
.legend .key { display: inline-block; width: 14px; height: 10px; border-radius: 3px; }
.key-objective { background: var(--objective-fill); border-top: 2px solid var(--objective); }
.key-sales { height: 0 !important; border-top: 2px dashed var(--objective); opacity: 0.6; }
.key-band { background: var(--band); }
.key-range { background: var(--range); border: 1px solid var(--band); }
.key-median { height: 2px !important; background: var(--median); }
.key-history { background: var(--history); }
.key-rec { width: 2px !important; height: 14px !important; background: var(--rec); }
.key-sales-band { background: var(--sales-band); border-top: 2px solid var(--objective); }
.key-current { width: 2px !important; height: 14px !important; background: var(--current); }
.key-best { width: 0 !important; height: 14px !important; border-left: 2px dotted var(--best); border-radius: 0 !important; }
.key-best-interval { background: var(--rec-band); border: 1px solid var(--rec); }
.key-search { height: 8px !important; border: 1.5px solid var(--muted); border-top: 0; border-radius: 0 !important; }
.key-not-searched { background: repeating-linear-gradient(45deg, var(--search-hatch) 0 1.5px, transparent 1.5px 5px); border: 1px solid var(--border); }

.footer { padding: 4px 24px 16px; color: var(--muted); font-size: 12px; text-align: center; }
.footer a { color: var(--accent); }

@media (max-width: 900px) {
  .layout { grid-template-columns: 1fr; padding: 12px; }
  .topbar { flex-direction: column; align-items: flex-start; padding: 12px; }
  .meta { justify-content: flex-start; }
  .results-head { flex-direction: column; }
  .kpis, .evidence { grid-template-columns: 1fr 1fr; }
}

@media (prefers-reduced-motion: reduce) {
  .spinner, .button-spinner { animation-duration: 2s; }
  input, button.primary { transition: none; }
}
"""#
}
