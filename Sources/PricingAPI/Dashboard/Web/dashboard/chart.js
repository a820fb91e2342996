// The price-curve chart, as inline SVG redrawn from the state: the objective (revenue, or profit) with
// its posterior band on top, the units per week below, and once the answer is complete its decision
// (current and recommended prices, the model's best price and its interval, the prices searched) and,
// for a link from the catalogue view, the rules that bounded the price.

import { bandOf, nearest, objectiveAt, objectiveOf } from './curve.js';
import { compact, money, num } from './format.js';
import { bandPath, linePath, niceDomain, scale, svg, text, ticks } from './chart-svg.js';
import { hideTooltip, showTooltip } from './chart-tooltip.js';
import { app, el, productInView, state } from './page.js';

/// The rules a link from the catalogue view carries (rule_allowed_min, rule_allowed_max, rule_floor,
/// rule_ceiling, rule_price, binding_rule): drawn on that product's curve, so the reviewer sees what
/// bounded the price. Absent for a plain product query.
const linkedRules = (() => {
  const p = new URLSearchParams(location.search);
  const value = (name) => { const v = parseFloat(p.get(name)); return Number.isFinite(v) ? v : null; };
  if (!p.has('binding_rule')) return null;
  return { stockcode: (p.get('stockcode') || '').trim(), min: value('rule_allowed_min'), max: value('rule_allowed_max'),
    floor: value('rule_floor'), ceiling: value('rule_ceiling'), price: value('rule_price'), binding: p.get('binding_rule') };
})();

/// Redraws the chart from the state.
export function draw() {
  const chart = frame();
  drawAxes(chart);
  drawHistory(chart);
  if (chart.rows.length === 0) {
    const message = app.dataset.state === 'loading' ? 'Waiting for the first rows\u2026'
      : app.dataset.state === 'error' ? 'No data' : 'Pick a product and press Run';
    text(message, { x: (chart.x0 + chart.x1) / 2, y: (chart.top0 + chart.top1) / 2, 'text-anchor': 'middle', class: 'placeholder' }, chart.root);
    el.chart.setAttribute('aria-label', 'Price curve chart: no data yet');
    showLegend(chart.legend);
    el.chart.replaceChildren(chart.root);
    return;
  }
  drawSearchRange(chart);
  drawRules(chart);
  drawCurves(chart);
  drawBestPriceInterval(chart);
  const labels = drawMarkers(chart);
  const placed = labels.map((label) => addLabel(chart, label));
  showLegend(chart.legend);
  el.chart.replaceChildren(chart.root);
  // Labels are placed once the SVG is in the page, where their text can be measured.
  for (const { label, bg, caption } of placed) placeLabel(chart, label, bg, caption);
  addHover(chart);
  el.chart.setAttribute('aria-label', describe(chart));
}

/// The chart's size, panels, domains and scales for the rows in view.
function frame() {
  const rows = state.rows;
  const done = app.dataset.state === 'done';
  const answer = done ? state.answer : null;
  const weekly = rows.length > 0 && rows[0].demand_unit === 'units_per_week';
  const width = Math.max(320, Math.round(el.chart.clientWidth || 800));
  const height = Math.round(Math.max(380, Math.min(470, width * 0.52)));
  const m = { top: 30, right: 20, bottom: 42, left: 62 };
  const gap = 54;
  const inner = height - m.top - m.bottom - gap;
  const topHeight = Math.round(inner * 0.64);
  const x0 = m.left, x1 = width - m.right;
  const top0 = m.top, top1 = m.top + topHeight;
  const bottom0 = top1 + gap, bottom1 = height - m.bottom;
  // The row between the panels: the best-price interval above the bracket of the prices searched.
  const strip = top1 + 12, bracket = top1 + 24;

  const root = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, width: width, height: height, id: 'chart-svg' });
  const profit = state.objective === 'profit';
  // Before the first row the page does not know the server's unit yet: neutral names.
  const objectiveName = rows.length === 0 ? (profit ? 'Profit (\u00a3)' : 'Revenue (\u00a3)')
    : weekly ? (profit ? 'Profit per week (\u00a3)' : 'Revenue per week (\u00a3)')
    : (profit ? 'Predicted profit (\u00a3)' : 'Predicted sales (\u00a3)');

  // Domains: x from the request's range while rows stream in, then from the rows (widened to show
  // the current price when the request left it out).
  let xd;
  if (rows.length > 1 && (done || !state.range)) xd = [rows[0].unit_price, rows[rows.length - 1].unit_price];
  else if (state.range) xd = state.range;
  else if (rows.length === 1) xd = [rows[0].unit_price * 0.9, rows[0].unit_price * 1.1];
  else xd = [0, 1];
  if (answer && num(answer.current_price) && answer.current_price > 0 && rows.length > 1) {
    const pad = (xd[1] - xd[0]) * 0.03;
    if (answer.current_price < xd[0]) xd = [answer.current_price - pad, xd[1]];
    if (answer.current_price > xd[1]) xd = [xd[0], answer.current_price + pad];
  }
  if (!(xd[1] > xd[0])) xd = [xd[0] - 0.5, xd[0] + 0.5];
  const bands = rows.map(bandOf);
  const hasBand = rows.length > 0 && bands.every((b) => b !== null);
  const objectives = rows.map(objectiveOf).concat(profit ? rows.map((r) => r.predicted_sales) : [])
    .concat(hasBand ? bands.flat() : []);
  const yd = rows.length
    ? niceDomain(Math.min(0, ...objectives), Math.max(...objectives), 5) : [0, 1];
  const qd = rows.length
    ? niceDomain(0, Math.max(...rows.map((r) => r.quantity_max)), 3) : [0, 1];
  const x = scale(xd[0], xd[1], x0, x1);
  const y = scale(yd[0], yd[1], top1, top0);
  const q = scale(qd[0], qd[1], bottom1, bottom0);
  state.geometry = { x0, x1, top0, bottom1, xd, x, y, q, width };
  const clampX = (v) => Math.max(x0, Math.min(x1, x(v)));
  // Which decision keys of the legend the drawing used.
  const legend = { band: false, current: false, best: false, interval: false, search: false };
  return { rows, done, answer, weekly, profit, width, height, x0, x1, top0, top1, bottom0, bottom1, strip, bracket,
    root, objectiveName, xd, yd, qd, x, y, q, clampX, bands, hasBand, legend };
}

function showLegend(legend) {
  for (const key in legend) el.legendDecision[key].forEach((node) => { node.hidden = !legend[key]; });
}

/// The grid, the axes with their ticks, the panels' titles, and the legend's wording.
function drawAxes(c) {
  const { rows, weekly, profit, x0, x1, top0, top1, bottom0, bottom1, xd, yd, qd, x, y, q, root } = c;
  const grid = svg('g', { class: 'grid' }, root);
  const axes = svg('g', { class: 'axis' }, root);
  // Without rows the frame is drawn without numbers; x ticks show once the range is known.
  const labelled = rows.length > 0;
  const yt = ticks(yd[0], yd[1], 5);
  for (const v of yt.values) {
    svg('line', { x1: x0, x2: x1, y1: y(v).toFixed(1), y2: y(v).toFixed(1) }, grid);
    if (labelled) text(compact(v, yt.decimals), { x: x0 - 8, y: y(v) + 4, 'text-anchor': 'end' }, axes);
  }
  const qt = ticks(qd[0], qd[1], 3);
  for (const v of qt.values) {
    svg('line', { x1: x0, x2: x1, y1: q(v).toFixed(1), y2: q(v).toFixed(1) }, grid);
    if (labelled) text(compact(v, qt.decimals), { x: x0 - 8, y: q(v) + 4, 'text-anchor': 'end' }, axes);
  }
  if (labelled || state.range) {
    const xt = ticks(xd[0], xd[1], Math.max(3, Math.min(10, Math.floor((x1 - x0) / 90))));
    for (const v of xt.values) {
      if (v < xd[0] - 1e-9 || v > xd[1] + 1e-9) continue;
      svg('line', { x1: x(v).toFixed(1), x2: x(v).toFixed(1), y1: bottom1, y2: bottom1 + 5 }, axes);
      svg('line', { x1: x(v).toFixed(1), x2: x(v).toFixed(1), y1: top1, y2: top1 + 4 }, axes);
      text('\u00a3' + v.toFixed(Math.max(2, xt.decimals)), { x: x(v), y: bottom1 + 18, 'text-anchor': 'middle' }, axes);
    }
  }
  svg('path', { d: 'M' + x0 + ',' + top0 + 'V' + top1 + 'H' + x1 }, axes);
  svg('path', { d: 'M' + x0 + ',' + bottom0 + 'V' + bottom1 + 'H' + x1 }, axes);
  text(c.objectiveName, { x: x0, y: top0 - 12, class: 'panel-label' }, root);
  const quantityName = rows.length === 0 ? 'Units'
    : !weekly ? 'Quantity per context row (units): median, p10\u2013p90, min\u2013max'
    : c.width < 700 ? 'Units per week' : 'Units per week: expected, p10\u2013p90 and min\u2013max over recent weeks';
  text(quantityName, { x: x0, y: bottom0 - 10, class: 'panel-label' }, root);
  text(weekly || rows.length === 0 ? 'List price (\u00a3)' : 'Unit price (\u00a3)', { x: (x0 + x1) / 2, y: c.height - 6, 'text-anchor': 'middle', class: 'axis-title' }, root);
  const older = rows.length > 0 && !weekly;   // an older server: quantities per context row
  el.legendMedian.textContent = older ? 'median' : 'expected';
  el.legendQuantityBand.textContent = older ? 'Quantity p10\u2013p90' : weekly ? 'Units p10\u2013p90 over recent weeks' : 'Units p10\u2013p90';
  el.legendObjective.textContent = older ? (profit ? 'Predicted profit' : 'Predicted sales')
    : (profit ? 'Profit' : 'Revenue') + (weekly ? ' per week' : '');
  el.legendSalesText.textContent = older ? 'Predicted sales' : weekly ? 'Revenue per week' : 'Revenue';
}

/// The product's historical prices, shaded behind both panels when the candidate prices go beyond them
/// (there the models extrapolate).
function drawHistory(c) {
  const { x0, x1, top0, top1, bottom0, bottom1, xd, x, root } = c;
  const p = productInView();
  let history = false;
  if (p && c.rows.length > 0 && (p.price_min > xd[0] + 1e-9 || p.price_max < xd[1] - 1e-9)) {
    const h0 = Math.max(x0, x(p.price_min)), h1 = Math.min(x1, x(p.price_max));
    if (h1 > h0) {
      history = true;
      svg('rect', { class: 'history', x: h0.toFixed(1), width: (h1 - h0).toFixed(1), y: top0, height: top1 - top0 }, root);
      svg('rect', { class: 'history', x: h0.toFixed(1), width: (h1 - h0).toFixed(1), y: bottom0, height: bottom1 - bottom0 }, root);
    }
  }
  el.legendHistory.forEach((node) => { node.hidden = !history; });
}

/// The prices searched for the best price: the rest of the top panel is hatched, and a bracket between
/// the panels spans them.
function drawSearchRange(c) {
  const { answer, x0, x1, top0, top1, bracket, clampX, root, legend } = c;
  if (answer && num(answer.search_min) && num(answer.search_max) && answer.search_max >= answer.search_min) {
    const s0 = clampX(answer.search_min), s1 = clampX(answer.search_max);
    const hatch = svg('pattern', { id: 'not-searched', patternUnits: 'userSpaceOnUse', width: 7, height: 7, patternTransform: 'rotate(45)' },
      svg('defs', {}, root));
    svg('line', { class: 'hatch', x1: 0, y1: 0, x2: 0, y2: 7 }, hatch);
    const outside = { class: 'search-outside', fill: 'url(#not-searched)', y: top0, height: top1 - top0 };
    if (s0 > x0 + 0.5) svg('rect', Object.assign({ x: x0, width: (s0 - x0).toFixed(1) }, outside), root);
    if (s1 < x1 - 0.5) svg('rect', Object.assign({ x: s1.toFixed(1), width: (x1 - s1).toFixed(1) }, outside), root);
    const range = svg('g', { id: 'search-range', class: 'search-range', 'data-min': answer.search_min, 'data-max': answer.search_max }, root);
    svg('path', { d: 'M' + s0.toFixed(1) + ',' + (bracket - 5) + 'V' + bracket + 'H' + s1.toFixed(1) + 'V' + (bracket - 5) }, range);
    svg('title', {}, range).textContent = 'Prices searched: ' + money(answer.search_min) + '\u2013' + money(answer.search_max);
    legend.search = true;
  }
}

/// The rules from the catalogue view: the band they allow, the floor and ceiling, and the price they
/// set, labelled with the rule that set it (at the foot of the panel, clear of the markers' labels).
function drawRules(c) {
  const { answer, x0, x1, top0, top1, x, clampX, root } = c;
  if (answer && linkedRules && linkedRules.stockcode === state.stockcode) {
    const rules = svg('g', { id: 'rules', 'data-binding-rule': linkedRules.binding }, root);
    const lo = linkedRules.min !== null ? clampX(linkedRules.min) : x0, hi = linkedRules.max !== null ? clampX(linkedRules.max) : x1;
    if (hi > lo) {
      const band = svg('rect', { id: 'rule-band', class: 'rule-band', x: lo.toFixed(1), width: (hi - lo).toFixed(1), y: top0, height: top1 - top0,
        'data-min': linkedRules.min, 'data-max': linkedRules.max }, rules);
      svg('title', {}, band).textContent = 'Prices the rules allow' +
        (linkedRules.min !== null ? ' from ' + money(linkedRules.min) : '') + (linkedRules.max !== null ? ' to ' + money(linkedRules.max) : '');
    }
    for (const [id, price, name] of [['floor-line', linkedRules.floor, 'Floor'], ['ceiling-line', linkedRules.ceiling, 'Ceiling']]) {
      if (price === null || x(price) < x0 || x(price) > x1) continue;
      const line = svg('line', { id: id, class: 'rule-bound-line', x1: x(price).toFixed(1), x2: x(price).toFixed(1), y1: top0, y2: top1, 'data-price': price }, rules);
      svg('title', {}, line).textContent = name + ' ' + money(price);
    }
    if (linkedRules.price !== null && x(linkedRules.price) >= x0 && x(linkedRules.price) <= x1) {
      const px = x(linkedRules.price);
      svg('line', { id: 'rule-price-line', class: 'rule-price-line', x1: px.toFixed(1), x2: px.toFixed(1), y1: top0, y2: top1,
        'data-price': linkedRules.price }, rules);
      const label = text('Under the rules ' + money(linkedRules.price) + ' (' + linkedRules.binding.replace(/_/g, ' ') + ')',
        { id: 'rule-label', class: 'rule-label', x: (px > (x0 + x1) / 2 ? px - 6 : px + 6).toFixed(1), y: top1 - 8,
          'text-anchor': px > (x0 + x1) / 2 ? 'end' : 'start' }, rules);
      label.dataset.bindingRule = linkedRules.binding;
    }
  }
}

/// The objective (its posterior band, or the area under it, and its line) and the units (min-max
/// range, p10-p90 band, median line).
function drawCurves(c) {
  const { rows, profit, x0, x1, yd, x, y, q, bands, hasBand, root, legend } = c;
  // Zero line when profit goes negative.
  if (yd[0] < 0) svg('line', { class: 'zero', x1: x0, x2: x1, y1: y(0).toFixed(1), y2: y(0).toFixed(1) }, root);

  // Objective: its posterior band, area and line.
  const objectivePoints = rows.map((r) => [x(r.unit_price), y(objectiveOf(r))]);
  const baseline = y(Math.max(yd[0], 0));
  if (hasBand) {
    svg('path', { id: 'sales-band', class: 'sales-band',
      d: bandPath(rows.map((r, i) => [x(r.unit_price), y(bands[i][1])]), rows.map((r, i) => [x(r.unit_price), y(bands[i][0])])) }, root);
    el.legendSalesBand.textContent = (profit ? 'Profit' : 'Revenue') + ' 10\u201390%';
    legend.band = true;
  } else {
    const area = linePath(objectivePoints) + 'L' + objectivePoints[objectivePoints.length - 1][0].toFixed(1) + ',' + baseline.toFixed(1) +
      'L' + objectivePoints[0][0].toFixed(1) + ',' + baseline.toFixed(1) + 'Z';
    svg('path', { id: 'sales-area', class: 'area', d: area }, root);
  }
  if (profit) svg('path', { id: 'sales-context-line', class: 'line-secondary', d: linePath(rows.map((r) => [x(r.unit_price), y(r.predicted_sales)])) }, root);
  svg('path', { id: 'sales-line', class: 'line', d: linePath(objectivePoints), 'data-points': rows.length }, root);

  // Quantity: min-max range, p10-p90 band, median line.
  const at = (key) => rows.map((r) => [x(r.unit_price), q(r[key])]);
  svg('path', { id: 'quantity-range', class: 'q-range', d: bandPath(at('quantity_max'), at('quantity_min')) }, root);
  svg('path', { id: 'quantity-band', class: 'q-band', d: bandPath(at('quantity_p90'), at('quantity_p10')) }, root);
  svg('path', { id: 'quantity-line', class: 'q-median', d: linePath(at('quantity')), 'data-points': rows.length }, root);
}

/// The best-price interval, on the x axis of the top panel.
function drawBestPriceInterval(c) {
  const { answer, strip, clampX, root, legend } = c;
  if (answer && num(answer.best_price_p10) && num(answer.best_price_p90)) {
    const b0 = clampX(Math.min(answer.best_price_p10, answer.best_price_p90));
    const b1 = Math.max(b0 + 3, clampX(Math.max(answer.best_price_p10, answer.best_price_p90)));
    const interval = svg('rect', { id: 'best-price-interval', class: 'best-interval', x: (b0 - (b1 - b0 <= 3 ? 1.5 : 0)).toFixed(1),
      width: (b1 - b0).toFixed(1), y: strip - 5, height: 10, rx: 3,
      'data-p10': answer.best_price_p10, 'data-p90': answer.best_price_p90 }, root);
    svg('title', {}, interval).textContent = 'The model\u2019s best price, 10\u201390%: ' + money(answer.best_price_p10) + '\u2013' + money(answer.best_price_p90);
    legend.interval = true;
  }
}

/// The markers, once the stream is complete: current price, recommended price, and the model's best
/// price when the decision keeps the current one. Returns their labels, each in its own row so they
/// never overlap; `placeLabel` positions them once the SVG is in the page (to measure them).
function drawMarkers(c) {
  const { rows, done, answer, x0, x1, top0, bottom1, x, y, q, root, legend } = c;
  const labels = [];
  const marker = (id, cls, price, y0, caption, row) => {
    const mx = x(price);
    if (mx < x0 - 0.5 || mx > x1 + 0.5) return;
    svg('line', { id: id, class: cls + '-line', x1: mx.toFixed(1), x2: mx.toFixed(1), y1: y0, y2: bottom1, 'data-price': price }, root);
    const value = objectiveAt(rows, price);
    if (value !== null) svg('circle', { class: cls + '-dot', cx: mx.toFixed(1), cy: y(value).toFixed(1), r: 5 }, root);
    if (caption) labels.push({ cls, mx, caption, row });
  };
  const best = state.optimal;
  if (best && done) {
    const rec = state.answer.optimal_unit_price;
    const current = answer && num(answer.current_price) ? answer.current_price : null;
    const same = current !== null && Math.abs(rec - current) <= 1e-9 * Math.max(1, current);
    if (current !== null) {
      marker('current-price-line', 'cur', current, top0 - 2, same ? '' : 'Current ' + money(current), 1);
      legend.current = true;
    }
    const bestPrice = answer && num(answer.best_price) ? answer.best_price : null;
    if (bestPrice !== null && Math.abs(bestPrice - rec) > 0.005 * rec) {
      marker('best-price-line', 'best', bestPrice, top0 - 2, 'Model\u2019s best ' + money(bestPrice), same ? 1 : 2);
      legend.best = true;
    }
    const bx = x(rec);
    svg('line', { id: 'recommended-line', class: 'rec-line', x1: bx.toFixed(1), x2: bx.toFixed(1), y1: top0 - 2, y2: bottom1, 'data-price': rec }, root);
    svg('circle', { class: 'rec-dot', cx: bx.toFixed(1), cy: y(objectiveAt(rows, rec) ?? objectiveOf(best)).toFixed(1), r: 5 }, root);
    svg('circle', { class: 'rec-dot', cx: bx.toFixed(1), cy: q(best.quantity).toFixed(1), r: 4 }, root);
    labels.push({ cls: 'rec', mx: bx, caption: (same ? 'Keep ' : 'Recommended ') + money(rec), row: 0, id: 'recommended-label' });
  }
  return labels;
}

/// A marker's label in the SVG, not yet placed.
function addLabel(c, label) {
  const group = svg('g', label.id ? { class: 'marker-label', id: label.id } : { class: 'marker-label' }, c.root);
  const bg = svg('rect', { class: label.cls + '-label-bg', rx: 5, height: 20, y: c.top0 + label.row * 24 }, group);
  const caption = text(label.caption, { class: label.cls + '-label', y: c.top0 + label.row * 24 + 14 }, group);
  return { label, bg, caption };
}

/// Puts a label beside its marker, on the side where it fits, measuring its text.
function placeLabel(c, label, bg, caption) {
  let labelWidth = label.caption.length * 7 + 16;
  try { labelWidth = caption.getComputedTextLength() + 16; } catch (error) { /* keep the estimate */ }
  const left = label.mx + 8 + labelWidth > c.x1 ? label.mx - 8 - labelWidth : label.mx + 8;
  bg.setAttribute('x', left.toFixed(1));
  bg.setAttribute('width', labelWidth.toFixed(1));
  caption.setAttribute('x', (left + 8).toFixed(1));
}

/// The hover read-out: a line and dots at the row nearest the pointer, and the tooltip.
function addHover(c) {
  const { rows, width, x0, x1, top0, bottom1, xd, x, y, q, root } = c;
  const hover = svg('g', { class: 'hover', visibility: 'hidden' }, root);
  const hoverLine = svg('line', { class: 'hover-line', y1: top0, y2: bottom1 }, hover);
  const hoverObjective = svg('circle', { class: 'hover-dot objective', r: 4 }, hover);
  const hoverMedian = svg('circle', { class: 'hover-dot median', r: 3.5 }, hover);
  const overlay = svg('rect', { class: 'overlay', x: x0, y: top0, width: x1 - x0, height: bottom1 - top0 }, root);
  overlay.addEventListener('pointermove', (event) => {
    const box = root.getBoundingClientRect();
    const px = (event.clientX - box.left) * (width / box.width);
    const row = nearest(rows, xd[0] + (px - x0) / (x1 - x0) * (xd[1] - xd[0]));
    if (!row) return;
    const rx = x(row.unit_price);
    hover.setAttribute('visibility', 'visible');
    hoverLine.setAttribute('x1', rx); hoverLine.setAttribute('x2', rx);
    hoverObjective.setAttribute('cx', rx); hoverObjective.setAttribute('cy', y(objectiveOf(row)));
    hoverMedian.setAttribute('cx', rx); hoverMedian.setAttribute('cy', q(row.quantity));
    showTooltip(row, rx * box.width / width, box);
  });
  overlay.addEventListener('pointerleave', () => { hover.setAttribute('visibility', 'hidden'); hideTooltip(); });
}

/// The chart in words, for its aria-label.
function describe(c) {
  const { rows, done, answer, weekly, hasBand } = c;
  const last = rows[rows.length - 1];
  let description = c.objectiveName + ' against ' + (weekly ? 'list' : 'unit') + ' price for ' + rows.length + ' prices from ' +
    money(rows[0].unit_price) + ' to ' + money(last.unit_price);
  if (hasBand) description += ', with its 10\u201390% band';
  if (answer && num(answer.current_price)) description += '; current price ' + money(answer.current_price);
  if (state.optimal && done) description += '; recommended price ' + money(state.answer.optimal_unit_price);
  if (answer && num(answer.best_price_p10) && num(answer.best_price_p90)) {
    description += '; best price 10\u201390% ' + money(answer.best_price_p10) + '\u2013' + money(answer.best_price_p90);
  }
  if (answer && num(answer.search_min) && num(answer.search_max)) {
    description += '; prices searched ' + money(answer.search_min) + '\u2013' + money(answer.search_max);
  }
  return description;
}
