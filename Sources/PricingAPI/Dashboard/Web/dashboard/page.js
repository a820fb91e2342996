// The page's elements, the state of the current query, and the status line and error box every other
// module reports through.

const $ = (id) => document.getElementById(id);

/// The page's root: `data-state` is idle, loading, done or error.
export const app = $('app');

/// The elements the modules read and fill, by role.
export const el = {
  form: $('query-form'), search: $('product-search'), list: $('product-list'),
  card: $('product-card'), cardCode: $('product-code'), cardDesc: $('product-desc'), cardFacts: $('product-facts'),
  min: $('unitprice-min'), max: $('unitprice-max'), bins: $('num-price-bins'), cost: $('unit-cost'), run: $('run'),
  subtitle: $('results-subtitle'), status: $('status'), rows: $('rows'), rowsOf: $('rows-of'),
  errorBox: $('error-box'), errorTitle: $('error-title'), error: $('error'),
  recommended: $('recommended-price'), recommendedNote: $('recommended-note'),
  bestObjective: $('best-objective'), bestObjectiveLabel: $('best-objective-label'), bestObjectiveNote: $('best-objective-note'),
  bestQuantity: $('best-quantity'), bestQuantityLabel: $('best-quantity-label'), bestQuantityNote: $('best-quantity-note'),
  summary: $('summary'), decision: $('decision'), decisionText: $('decision-text'),
  current: $('current-price'), currentNote: $('current-price-note'),
  gainLabel: $('gain-label'), gain: $('expected-gain'), gainPct: $('expected-gain-pct'), gainInterval: $('gain-interval'),
  probability: $('probability-of-gain'), probabilityNote: $('probability-note'),
  bestPrice: $('best-price'), bestPriceInterval: $('best-price-interval-text'),
  elasticity: $('elasticity'), elasticityInterval: $('elasticity-interval'), elasticityNote: $('elasticity-note'),
  flags: $('flags'),
  evidence: document.querySelectorAll('[data-evidence]'),
  chart: $('chart'), tooltip: $('tooltip'), legendObjective: $('legend-objective'), legendSalesBand: $('legend-sales-band'), legendSalesText: $('legend-sales'),
  legendMedian: $('legend-median'), legendQuantityBand: $('legend-quantity-band'),
  legendHistory: document.querySelectorAll('.legend-history'), legendSales: document.querySelectorAll('.legend-sales'),
  legendDecision: {
    band: document.querySelectorAll('.legend-sales-band'), current: document.querySelectorAll('.legend-current'),
    best: document.querySelectorAll('.legend-best'), interval: document.querySelectorAll('.legend-best-interval'),
    search: document.querySelectorAll('.legend-search'),
  },
  model: $('model'), version: $('model-version'), cache: $('cache'),
};

/// The query in view.
export const state = {
  product: null,          // the selected catalogue entry, when known
  rows: [],               // rows received for the current run, in price order
  expected: 0,            // rows asked for
  objective: 'sales',     // or 'profit' with a unit cost
  stockcode: '',
  optimal: null,          // the recommended row once the stream is complete
  answer: null,           // the product-level fields (the last row) once the stream is complete
  run: null,              // AbortController of the request in flight
  started: 0,
  range: null,            // [min, max] of the candidate prices when known before the rows arrive
  drawTimer: 0,
  geometry: null,         // the last drawn chart's scales, for the hover read-out
};

/// The selected catalogue entry when it is the product in view, else null.
export function productInView() {
  const p = state.product;
  return p && p.stockcode.toUpperCase() === state.stockcode.toUpperCase() ? p : null;
}

export function setState(name) {
  app.dataset.state = name;
  el.chart.setAttribute('aria-busy', name === 'loading' ? 'true' : 'false');
}

export function setStatus(text) { el.status.textContent = text; }

export function showError(message, code, httpStatus) {
  el.errorTitle.textContent = httpStatus ? 'The request failed (HTTP ' + httpStatus + ')' : 'The request failed';
  el.error.textContent = message;
  el.error.dataset.code = code || '';
  el.errorBox.hidden = false;
  if (app.dataset.state !== 'done') {
    el.decisionText.textContent = 'No recommendation.';
    el.decisionText.dataset.reason = '';
  }
  setStatus(code === 'page_error' ? 'Page error' : 'Request failed');
  setState('error');
}

export function clearError() {
  el.errorBox.hidden = true;
  el.error.textContent = '';
  el.error.dataset.code = '';
}

/// The model, version and cache status from an answer's headers.
export function showModel(headers) {
  const model = headers.get('X-Model');
  const version = headers.get('X-Model-Version');
  const cache = headers.get('X-Cache');
  const reasons = headers.get('X-Fallback-Reasons');
  if (model) el.model.textContent = model;
  if (version) { el.version.textContent = version; el.version.title = version; }
  if (cache) el.cache.textContent = cache;
  el.model.classList.toggle('fallback', Boolean(reasons));
  el.model.title = reasons ? 'A backup model answered: ' + reasons : '';
}
