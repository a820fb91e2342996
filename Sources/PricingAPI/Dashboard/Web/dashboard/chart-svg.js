// Drawing primitives for the chart: SVG elements, "nice" axis domains and ticks, linear scales, and
// the path data of a line and of a band between two lines.

const SVG_NS = 'http://www.w3.org/2000/svg';

/// A new SVG element with `attributes`, appended to `parent` when given.
export function svg(name, attributes, parent) {
  const node = document.createElementNS(SVG_NS, name);
  for (const key in attributes) node.setAttribute(key, attributes[key]);
  if (parent) parent.append(node);
  return node;
}

/// An SVG text element.
export function text(content, attributes, parent) {
  const node = svg('text', attributes, parent);
  node.textContent = content;
  return node;
}

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / power;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * power;
}

/// [lo, hi] widened to whole steps of about `count` ticks (and to a span when lo == hi).
export function niceDomain(lo, hi, count) {
  if (!(hi > lo)) { const pad = Math.abs(lo) * 0.1 || 1; lo -= pad; hi += pad; }
  const step = niceStep(hi - lo, count);
  return [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
}

/// About `count` round tick values in [lo, hi], and the decimals that write them.
export function ticks(lo, hi, count) {
  const step = niceStep(hi - lo, count);
  const values = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) values.push(Number((i * step).toFixed(10)));
  const decimals = Math.max(0, Math.min(4, -Math.floor(Math.log10(step) + 1e-9)));
  return { values, decimals };
}

/// The linear map of [d0, d1] onto [r0, r1].
export function scale(d0, d1, r0, r1) {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/// Path data through `points` ([x, y] pairs).
export function linePath(points) {
  return points.map((p, i) => (i ? 'L' : 'M') + p[0].toFixed(1) + ',' + p[1].toFixed(1)).join('');
}

/// Path data of the closed band between `upper` and `lower` (same x order).
export function bandPath(upper, lower) {
  if (upper.length === 0) return '';
  return linePath(upper) + lower.slice().reverse().map((p) => 'L' + p[0].toFixed(1) + ',' + p[1].toFixed(1)).join('') + 'Z';
}
