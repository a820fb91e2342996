// The dashboard's entry module: plain JavaScript as native ES modules, no libraries and no build step
// (the modules are in /dashboard/, each served by this binary). It searches /v1/products, streams
// /v1/predict-price/{stockcode} as NDJSON (drawing the rows as they arrive), and draws the curve as
// inline SVG. ?stockcode=... (and the query's other parameters) in the page's URL fill the form and run
// it at once. Once the stream is complete it presents the answer as a decision with its evidence
// (summary.js) and marks it on the chart (chart.js).
//
// Modules: page.js (elements, state, status), format.js (numbers), api.js (the service's routes),
// product-search.js (the product picker), curve.js (reading the rows), summary.js (the decision),
// chart.js with chart-svg.js and chart-tooltip.js (the chart).

import { errorOf, fetchReadiness, readRows, requestPrices } from './dashboard/api.js';
import { draw } from './dashboard/chart.js';
import { rowAt } from './dashboard/curve.js';
import { describeProduct, chosenStockcode, closeList, lookUp, searchProducts, startProductSearch } from './dashboard/product-search.js';
import { clearError, el, productInView, setState, setStatus, showError, showModel, state } from './dashboard/page.js';
import { resetSummary, showSummary } from './dashboard/summary.js';

window.addEventListener('error', (event) => showError(String(event.message || event.error), 'page_error'));
window.addEventListener('unhandledrejection', (event) => showError(String(event.reason && event.reason.message || event.reason), 'page_error'));

function numberParam(input) {
  const text = input.value.trim();
  return text === '' ? null : text;
}

function describeRun() {
  const p = productInView();
  el.subtitle.textContent = p ? describeProduct(p) : state.stockcode;
}

function resetResults() {
  state.rows = [];
  state.optimal = null;
  state.answer = null;
  state.geometry = null;
  resetSummary();
}

/// Runs the form's query: streams the curve, redrawing as rows arrive, then shows the decision.
async function run() {
  const stockcode = chosenStockcode();
  clearError();
  if (!stockcode) {
    showError('Pick a product first: search the catalogue or type a stockcode.', 'no_product');
    el.search.focus();
    return;
  }
  if (state.run) state.run.abort();
  const controller = new AbortController();
  state.run = controller;

  const params = new URLSearchParams();
  const min = numberParam(el.min), max = numberParam(el.max), bins = numberParam(el.bins), cost = numberParam(el.cost);
  if (min !== null) params.set('unitprice_min', min);
  if (max !== null) params.set('unitprice_max', max);
  if (bins !== null) params.set('num_price_bins', bins);
  if (cost !== null) params.set('unit_cost', cost);
  const pageParams = new URLSearchParams(params);
  pageParams.set('stockcode', stockcode);
  history.replaceState(null, '', '?' + pageParams.toString());

  resetResults();
  state.stockcode = stockcode;
  state.objective = cost !== null ? 'profit' : 'sales';
  state.expected = bins !== null && /^\d+$/.test(bins) ? Number(bins) : 100;
  const lo = min !== null ? Number(min) : state.product ? state.product.price_min : NaN;
  const hi = max !== null ? Number(max) : state.product ? state.product.price_max : NaN;
  state.range = Number.isFinite(lo) && Number.isFinite(hi) && hi > lo ? [lo, hi] : null;
  el.rowsOf.textContent = 'of ' + state.expected + ' ';
  el.legendSales.forEach((node) => { node.hidden = state.objective !== 'profit'; });
  el.bestObjectiveLabel.textContent = state.objective === 'profit' ? 'Profit at the recommended price' : 'Revenue at the recommended price';
  el.bestQuantityLabel.textContent = 'Units at the recommended price';
  describeRun();
  setState('loading');
  setStatus('Predicting\u2026');
  state.started = performance.now();
  draw();

  let response;
  try {
    response = await requestPrices(stockcode, params, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) return;
    showError('Could not reach the service: ' + error.message, 'network');
    return;
  }
  showModel(response.headers);
  if (!response.ok) {
    const { message, code } = await errorOf(response);
    if (!controller.signal.aborted) { showError(message, code, response.status); draw(); }
    return;
  }

  try {
    await readRows(response, controller.signal, (row) => {
      state.rows.push(row);
      el.rows.textContent = String(state.rows.length);
    }, scheduleDraw);
  } catch (error) {
    if (controller.signal.aborted) return;
    showError('The response stopped after ' + state.rows.length + ' rows: ' + error.message, 'stream');
    draw();
    return;
  }
  if (controller.signal.aborted) return;
  if (state.rows.length === 0) { showError('The service returned no rows.', 'empty'); draw(); return; }
  finish();
}

/// Redraws at most every 50 ms while rows stream in.
function scheduleDraw() {
  if (state.drawTimer) return;
  state.drawTimer = setTimeout(() => { state.drawTimer = 0; draw(); }, 50);
}

/// The stream is complete: the rows in price order, the decision, the chart with its markers.
function finish() {
  clearTimeout(state.drawTimer);
  state.drawTimer = 0;
  state.rows.sort((a, b) => a.unit_price - b.unit_price);
  const rows = state.rows;
  const answer = rows[rows.length - 1];
  const best = rowAt(rows, answer.optimal_unit_price);
  state.optimal = best;
  state.answer = answer;
  const elapsed = performance.now() - state.started;
  showSummary(answer, best);
  setStatus('Done: ' + rows.length + ' prices in ' + Math.round(elapsed) + ' ms');
  setState('done');
  draw();
}

/// The active model and version before the first answer's headers say it (best effort).
async function showActiveModel() {
  try {
    const ready = await fetchReadiness();
    if (!ready) return;
    if (el.model.textContent === '\u2014') el.model.textContent = ready.active_model;
    if (el.version.textContent === '\u2014') { el.version.textContent = ready.model_version; el.version.title = ready.model_version; }
  } catch (error) { /* the response headers fill it in */ }
}

// ---------------------------------------------------------------- start
startProductSearch();
el.form.addEventListener('submit', (event) => { event.preventDefault(); closeList(); run(); });
let resizeTimer = 0;
window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(draw, 80); });

const initial = new URLSearchParams(location.search);
const fields = { unitprice_min: el.min, unitprice_max: el.max, num_price_bins: el.bins, unit_cost: el.cost };
for (const name in fields) if (initial.has(name)) fields[name].value = initial.get(name);
showActiveModel();
draw();
const preset = (initial.get('stockcode') || '').trim();
if (preset) {
  el.search.value = preset;
  lookUp(preset, () => {
    if (state.stockcode) describeRun();
    if (state.rows.length > 0) draw();
  });
  run();
} else if (initial.has('q')) {
  el.search.value = initial.get('q');
  el.search.focus();
  searchProducts(el.search.value.trim());
}
