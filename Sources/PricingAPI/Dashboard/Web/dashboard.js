// The dashboard's script: plain JavaScript, no libraries. It searches /v1/products, streams
// /v1/predict-price/{stockcode} as NDJSON (drawing the rows as they arrive), and draws the curve as
// inline SVG. ?stockcode=... (and the query's other parameters) in the page's URL fill the form and run
// it at once.
//
// Once the stream is complete it presents the answer as a decision with its evidence (the product-level
// fields of docs/price-response.md, the same on every row): current and recommended price, change or
// keep and why, the expected gain per week with its 10-90% interval, P(gain), the best-price interval,
// the elasticity at the current price and the warnings; on the chart the posterior band of the
// objective, the current and recommended prices, the best-price interval and the searched range. Every
// one of these fields is optional: an older server's rows lack them, and the page then shows what there is.
'use strict';
(function () {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  const app = $('app');
  const el = {
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

  // ---------------------------------------------------------------- formatting
  const priceFormat = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 3 });
  const amountFormat = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const quantityFormat = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 });
  const money = (v) => (v < 0 ? '\u2212\u00a3' : '\u00a3') + priceFormat.format(Math.abs(v));
  const amount = (v) => (v < 0 ? '\u2212\u00a3' : '\u00a3') + amountFormat.format(Math.abs(v));
  const units = (v) => quantityFormat.format(v);
  const signFormat = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const percentFormat = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  /// A finite number (the fields an older server does not send are undefined; a server may send null).
  const num = (v) => typeof v === 'number' && Number.isFinite(v);
  /// A gain: "+£1.20", "−£0.35", "£0.00".
  const signedAmount = (v) => {
    const text = amountFormat.format(Math.abs(v));
    return text === '0.00' ? '\u00a30.00' : (v < 0 ? '\u2212\u00a3' : '+\u00a3') + text;
  };
  /// A fraction as a signed percentage: 0.0512 is "+5.1%".
  const signedPercent = (f) => {
    const text = percentFormat.format(Math.abs(f * 100));
    return (text === '0.0' ? '' : f < 0 ? '\u2212' : '+') + text + '%';
  };
  /// A probability as a whole percentage, never rounding a possibility away: "<1%", "63%", ">99%".
  const chance = (p) => (p > 0 && p < 0.005 ? '<1%' : p < 1 && p >= 0.995 ? '>99%' : Math.round(p * 100) + '%');
  /// An elasticity: "−1.84".
  const signed = (v) => {
    const text = signFormat.format(Math.abs(v));
    return (text === '0.00' || v >= 0 ? '' : '\u2212') + text;
  };

  // ---------------------------------------------------------------- state
  const state = {
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

  function setState(name) {
    app.dataset.state = name;
    el.chart.setAttribute('aria-busy', name === 'loading' ? 'true' : 'false');
  }

  function setStatus(text) { el.status.textContent = text; }

  function showError(message, code, httpStatus) {
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

  function clearError() {
    el.errorBox.hidden = true;
    el.error.textContent = '';
    el.error.dataset.code = '';
  }

  window.addEventListener('error', (event) => showError(String(event.message || event.error), 'page_error'));
  window.addEventListener('unhandledrejection', (event) => showError(String(event.reason && event.reason.message || event.reason), 'page_error'));

  function showModel(headers) {
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

  // ---------------------------------------------------------------- product search
  let searchTimer = 0;
  let searchRun = null;
  let options = [];
  let active = -1;

  function describeProduct(p) {
    return p.stockcode + ' \u2014 ' + p.description;
  }

  function selectProduct(p, keepText) {
    state.product = p;
    if (!keepText) el.search.value = describeProduct(p);
    el.card.hidden = false;
    el.cardCode.textContent = p.stockcode;
    el.cardDesc.textContent = p.description;
    el.cardFacts.textContent = 'Sold ' + money(p.price_min) + '\u2013' + money(p.price_max) + ' (median ' + money(p.price_median) +
      ') \u00b7 ' + p.lines + ' lines \u00b7 last ' + p.last_sold;
    el.min.placeholder = priceFormat.format(p.price_min);
    el.max.placeholder = priceFormat.format(p.price_max);
    closeList();
  }

  function closeList() {
    el.list.hidden = true;
    el.search.setAttribute('aria-expanded', 'false');
    el.search.removeAttribute('aria-activedescendant');
    active = -1;
  }

  function highlight(index) {
    const items = el.list.querySelectorAll('[role="option"]');
    items.forEach((item, i) => item.setAttribute('aria-selected', i === index ? 'true' : 'false'));
    active = index;
    if (index >= 0 && items[index]) {
      el.search.setAttribute('aria-activedescendant', items[index].id);
      items[index].scrollIntoView({ block: 'nearest' });
    } else {
      el.search.removeAttribute('aria-activedescendant');
    }
  }

  function renderList(products, total) {
    options = products;
    el.list.replaceChildren();
    if (products.length === 0) {
      const li = document.createElement('li');
      li.className = 'opt-empty';
      li.textContent = 'No product matches';
      el.list.append(li);
    }
    products.forEach((p, i) => {
      const li = document.createElement('li');
      li.id = 'product-option-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', 'false');
      const code = document.createElement('span'); code.className = 'opt-code'; code.textContent = p.stockcode;
      const desc = document.createElement('span'); desc.className = 'opt-desc'; desc.textContent = p.description;
      const range = document.createElement('span'); range.className = 'opt-range';
      range.textContent = money(p.price_min) + '\u2013' + money(p.price_max) + ' \u00b7 ' + p.lines + ' lines';
      li.append(code, desc, range);
      li.addEventListener('mousedown', (event) => { event.preventDefault(); selectProduct(p); });
      el.list.append(li);
    });
    if (total > products.length) {
      const li = document.createElement('li');
      li.className = 'opt-empty';
      li.textContent = (total - products.length) + ' more \u2014 refine the search';
      el.list.append(li);
    }
    el.list.hidden = false;
    el.search.setAttribute('aria-expanded', 'true');
    active = -1;
  }

  async function searchProducts(text) {
    if (searchRun) searchRun.abort();
    const run = new AbortController();
    searchRun = run;
    try {
      const response = await fetch('/v1/products?limit=20&q=' + encodeURIComponent(text), { signal: run.signal });
      if (!response.ok) return;
      const page = await response.json();
      if (run.signal.aborted || document.activeElement !== el.search) return;
      renderList(page.products, page.total);
    } catch (error) {
      if (error.name !== 'AbortError') closeList();
    }
  }

  el.search.addEventListener('input', () => {
    state.product = null;
    el.card.hidden = true;
    clearTimeout(searchTimer);
    const text = el.search.value.trim();
    searchTimer = setTimeout(() => searchProducts(text), 220);
  });
  el.search.addEventListener('focus', () => {
    if (!state.product && el.search.value.trim() === '') searchProducts('');
  });
  el.search.addEventListener('blur', () => setTimeout(closeList, 120));
  el.search.addEventListener('keydown', (event) => {
    const open = !el.list.hidden && options.length > 0;
    if (event.key === 'ArrowDown' && open) { event.preventDefault(); highlight(Math.min(options.length - 1, active + 1)); }
    else if (event.key === 'ArrowUp' && open) { event.preventDefault(); highlight(Math.max(0, active - 1)); }
    else if (event.key === 'Enter' && open && active >= 0) { event.preventDefault(); selectProduct(options[active]); }
    else if (event.key === 'Escape') { closeList(); }
  });

  /// The stockcode to query: the picked product, or what was typed (its first word).
  function chosenStockcode() {
    if (state.product) return state.product.stockcode;
    return el.search.value.trim().split(/\s+/)[0];
  }

  /// Looks a stockcode up in the catalogue to show its description and price history (best effort).
  async function lookUp(stockcode) {
    try {
      const response = await fetch('/v1/products?limit=50&q=' + encodeURIComponent(stockcode));
      if (!response.ok) return;
      const page = await response.json();
      const match = page.products.find((p) => p.stockcode.toUpperCase() === stockcode.toUpperCase());
      if (match && chosenStockcode().toUpperCase() === match.stockcode.toUpperCase()) {
        selectProduct(match, document.activeElement === el.search);
        if (state.stockcode) describeRun();
        if (state.rows.length > 0) draw();
      }
    } catch (error) { /* the description is a nicety */ }
  }

  // ---------------------------------------------------------------- running a query
  function numberParam(input) {
    const text = input.value.trim();
    return text === '' ? null : text;
  }

  function describeRun() {
    const p = state.product;
    el.subtitle.textContent = p && p.stockcode.toUpperCase() === state.stockcode.toUpperCase()
      ? describeProduct(p) : state.stockcode;
  }

  function resetResults() {
    state.rows = [];
    state.optimal = null;
    state.answer = null;
    state.geometry = null;
    el.rows.textContent = '0';
    for (const node of [el.recommended, el.current, el.gain, el.probability, el.bestPrice, el.elasticity]) {
      node.textContent = '\u2014';
      node.dataset.value = '';
    }
    for (const node of [el.recommendedNote, el.currentNote, el.gainPct, el.probabilityNote, el.bestPriceInterval,
                        el.elasticityInterval, el.elasticityNote, el.bestObjectiveNote, el.bestQuantityNote]) node.textContent = '';
    el.gainPct.dataset.value = '';
    el.gainInterval.textContent = '';
    el.gainInterval.dataset.p10 = el.gainInterval.dataset.p90 = '';
    el.bestPriceInterval.dataset.p10 = el.bestPriceInterval.dataset.p90 = '';
    el.gain.classList.remove('up', 'down');
    el.recommendedNote.classList.remove('warn');
    el.recommendedNote.title = '';
    el.bestObjective.textContent = '\u2014';
    el.bestQuantity.textContent = '\u2014';
    el.evidence.forEach((node) => { node.hidden = false; });
    el.decision.hidden = true;
    el.decision.textContent = '';
    el.decision.dataset.decision = '';
    el.summary.dataset.decision = '';
    el.decisionText.textContent = 'Waiting for the answer\u2026';
    el.decisionText.dataset.reason = '';
    el.flags.replaceChildren();
    el.flags.hidden = true;
    el.tooltip.hidden = true;
  }

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

    const query = params.toString();
    const url = '/v1/predict-price/' + encodeURIComponent(stockcode) + (query ? '?' + query : '');
    let response;
    try {
      response = await fetch(url, { headers: { Accept: 'application/x-ndjson' }, signal: controller.signal });
    } catch (error) {
      if (controller.signal.aborted) return;
      showError('Could not reach the service: ' + error.message, 'network');
      return;
    }
    showModel(response.headers);
    if (!response.ok) {
      let message = 'HTTP ' + response.status + ' ' + response.statusText, code = 'http_' + response.status;
      try {
        const body = await response.json();
        if (body && body.error) { message = body.error.message; code = body.error.code; }
      } catch (error) { /* keep the status line */ }
      if (!controller.signal.aborted) { showError(message, code, response.status); draw(); }
      return;
    }

    try {
      await readLines(response, controller, (row) => {
        state.rows.push(row);
        el.rows.textContent = String(state.rows.length);
      });
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

  /// Reads an NDJSON body line by line as it arrives, redrawing at most every 50 ms meanwhile.
  async function readLines(response, controller, onRow) {
    const decoder = new TextDecoder();
    let buffer = '';
    const take = () => {
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line) onRow(JSON.parse(line));
      }
    };
    if (!response.body || !response.body.getReader) {
      buffer = await response.text() + '\n';
      take();
      return;
    }
    const reader = response.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (controller.signal.aborted) { reader.cancel(); return; }
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      take();
      scheduleDraw();
    }
    buffer += decoder.decode() + '\n';
    take();
  }

  function scheduleDraw() {
    if (state.drawTimer) return;
    state.drawTimer = setTimeout(() => { state.drawTimer = 0; draw(); }, 50);
  }

  function objectiveOf(row) {
    return state.objective === 'profit' ? row.predicted_profit : row.predicted_sales;
  }

  /// The row nearest a price.
  function rowAt(price) {
    let best = state.rows[0];
    for (const row of state.rows) {
      if (Math.abs(row.unit_price - price) < Math.abs(best.unit_price - price)) best = row;
    }
    return best;
  }

  function finish() {
    clearTimeout(state.drawTimer);
    state.drawTimer = 0;
    state.rows.sort((a, b) => a.unit_price - b.unit_price);
    const rows = state.rows;
    const answer = rows[rows.length - 1];
    const optimalPrice = answer.optimal_unit_price;
    const best = rowAt(optimalPrice);
    state.optimal = best;
    state.answer = answer;
    const elapsed = performance.now() - state.started;

    el.recommended.textContent = money(optimalPrice);
    el.recommended.dataset.value = String(optimalPrice);
    showSummary(answer, best);

    setStatus('Done: ' + rows.length + ' prices in ' + Math.round(elapsed) + ' ms');
    setState('done');
    draw();
  }

  /// Sets a value's text and its `data-value` (the API's number, exactly), or a dash when absent.
  function showValue(node, value, format) {
    const known = num(value);
    node.textContent = known ? format(value) : '\u2014';
    node.dataset.value = known ? String(value) : '';
    return known;
  }

  function addFlag(kind, message) {
    const item = document.createElement('li');
    item.className = 'flag';
    item.dataset.flag = kind;
    item.textContent = message;
    el.flags.append(item);
    el.flags.hidden = false;
  }

  /// The decision and its evidence from the product-level fields; whatever the server did not send
  /// stays out of view (an older server sends only the curve and `optimal_unit_price`).
  function showSummary(answer, best) {
    const rows = state.rows;
    const price = answer.optimal_unit_price;
    const profit = state.objective === 'profit';
    const weekly = answer.demand_unit === 'units_per_week';
    const objectiveWord = profit ? 'profit' : 'revenue';
    const current = answer.current_price;
    const hasCurrent = num(current);
    const decided = answer.decision === 'change' || answer.decision === 'keep_current';
    const keep = answer.decision === 'keep_current';
    const bestPrice = num(answer.best_price) ? answer.best_price : null;
    el.evidence.forEach((node) => { node.hidden = !num(answer[node.dataset.evidence]); });

    // Current price.
    if (showValue(el.current, current, money)) {
      el.currentNote.textContent = 'recent list price';
    }

    // Recommended price: how it compares with the current one.
    const notes = [];
    if (hasCurrent && current > 0) {
      const change = price / current - 1;
      if (keep || Math.abs(change) < 0.0005) notes.push('keep the current price');
      else notes.push(signedPercent(change) + ' vs the current price');
    } else if (!decided) {
      // An older server: the best of the candidate prices, with the warnings it cannot give.
      if (price <= rows[0].unit_price) notes.push('Lowest price tried: try a lower min');
      else if (price >= rows[rows.length - 1].unit_price) notes.push('Highest price tried: try a higher max');
      const p = state.product;
      if (p && p.stockcode.toUpperCase() === state.stockcode.toUpperCase() && (price < p.price_min || price > p.price_max)) {
        notes.push('beyond the prices sold at (extrapolated)');
      }
      el.recommendedNote.classList.toggle('warn', notes.length > 0);
      if (notes.length === 0) notes.push('Best of ' + rows.length + ' candidate prices');
    }
    el.recommendedNote.textContent = notes.join('; ');
    el.recommendedNote.title = el.recommendedNote.textContent;

    // The decision in words.
    const pGain = num(answer.probability_of_gain) ? ' (P(gain) ' + chance(answer.probability_of_gain) + ')' : '';
    const reason = typeof answer.decision_reason === 'string' ? answer.decision_reason : '';
    let sentence;
    if (!decided) {
      sentence = 'This server reports the recommended price without the evidence behind it.';
    } else if (reason === 'insufficient_evidence') {
      sentence = 'the evidence for a change is not strong enough' + pGain +
        (bestPrice !== null ? '; the model\u2019s best price would be ' + money(bestPrice) : '') + '.';
    } else if (reason === 'at_current_price') {
      sentence = 'the current price is already the model\u2019s best' +
        (bestPrice !== null ? ' (' + money(bestPrice) + ' is within 0.5% of it)' : '') + '.';
    } else if (reason === 'evidence_limited' && !keep) {
      sentence = 'the evidence supports a step' + (hasCurrent ? ' from ' + money(current) : '') + ' to ' + money(price) + pGain +
        (bestPrice !== null ? ', part of the way toward the model\u2019s best price ' + money(bestPrice) : '') + '.';
    } else if (reason === 'model' && !keep) {
      sentence = 'the evidence supports a change' + (hasCurrent ? ' from ' + money(current) : '') + ' to ' + money(price) + pGain + '.';
    } else {
      sentence = (reason ? reason.replace(/_/g, ' ') : keep ? 'keep the current price' : 'change the price') + pGain + '.';
    }
    el.decision.hidden = !decided;
    el.decision.dataset.decision = decided ? answer.decision : '';
    el.decision.replaceChildren();
    if (decided) {
      el.decision.append(keep ? 'Keep' : 'Change');
      const colon = document.createElement('span');
      colon.className = 'visually-hidden';
      colon.textContent = ':';
      el.decision.append(colon);
    }
    el.summary.dataset.decision = decided ? answer.decision : '';
    el.decisionText.textContent = sentence;
    el.decisionText.dataset.reason = reason;

    // Expected gain per week: the model's best price against the current one (when the decision is to
    // keep, what a change would have gained).
    // The label stays short (one line in its card); its title says it in full.
    const perWeek = weekly ? ' per week' : '';
    const atBest = keep && bestPrice !== null && reason !== 'at_current_price';
    el.gainLabel.textContent = profit
      ? 'Profit gain' + (atBest ? ' at ' + money(bestPrice) : perWeek)
      : (atBest ? 'Gain' : 'Expected gain') + perWeek + (atBest ? ' at ' + money(bestPrice) : '');
    el.gainLabel.title = 'Expected ' + objectiveWord + ' gain' + perWeek + (atBest ? ' if the price changed to ' + money(bestPrice) : '') +
      ', against the current price';
    if (showValue(el.gain, answer.expected_gain, signedAmount)) {
      el.gain.classList.toggle('up', answer.expected_gain > 0 && el.gain.textContent !== '\u00a30.00');
      el.gain.classList.toggle('down', answer.expected_gain < 0 && el.gain.textContent !== '\u00a30.00');
    }
    if (num(answer.expected_gain_pct)) {
      el.gainPct.textContent = '(' + signedPercent(answer.expected_gain_pct) + ')';
      el.gainPct.dataset.value = String(answer.expected_gain_pct);
    }
    if (num(answer.gain_p10) && num(answer.gain_p90)) {
      el.gainInterval.textContent = '10\u201390%: ' + signedAmount(answer.gain_p10) + ' to ' + signedAmount(answer.gain_p90);
      el.gainInterval.dataset.p10 = String(answer.gain_p10);
      el.gainInterval.dataset.p90 = String(answer.gain_p90);
    }
    el.gainInterval.title = objectiveWord[0].toUpperCase() + objectiveWord.slice(1) + perWeek + ' at ' +
      (bestPrice !== null ? money(bestPrice) : 'the best price') + ' minus at ' + (hasCurrent ? money(current) : 'the current price') +
      '; the interval holds 80% of the model\u2019s uncertainty';

    // Probability of gain.
    if (showValue(el.probability, answer.probability_of_gain, chance)) {
      el.probabilityNote.textContent = 'chance the best price beats the current';
    }

    // Evidence: the best-price interval and the elasticity.
    if (showValue(el.bestPrice, bestPrice, money) && num(answer.best_price_p10) && num(answer.best_price_p90)) {
      el.bestPriceInterval.textContent = money(answer.best_price_p10) + '\u2013' + money(answer.best_price_p90);
      el.bestPriceInterval.dataset.p10 = String(answer.best_price_p10);
      el.bestPriceInterval.dataset.p90 = String(answer.best_price_p90);
    }
    if (showValue(el.elasticity, answer.elasticity, signed)) {
      if (num(answer.elasticity_p10) && num(answer.elasticity_p90)) {
        el.elasticityInterval.textContent = '(' + signed(answer.elasticity_p10) + ' to ' + signed(answer.elasticity_p90) + ')';
      }
      const e = answer.elasticity;
      const size = quantityFormat.format(Math.abs(e));
      el.elasticityNote.textContent = size === '0'
        ? 'a 1% higher price leaves sales about unchanged'
        : '1% higher price: about ' + size + '% ' + (e < 0 ? 'fewer' : 'more') + ' units';
    }

    // The objective and the volume at the recommended price.
    const where = weekly ? ' per week at ' + money(price) : ' at that price';
    el.bestObjectiveLabel.textContent = weekly
      ? (profit ? 'Profit' : 'Revenue') + where
      : (profit ? 'Predicted profit' : 'Predicted sales') + where;
    el.bestQuantityLabel.textContent = weekly ? 'Units' + where : 'Predicted quantity';
    // Exactly at the recommended price when the server reports its revenue (max_predicted_sales); the
    // realized price ratio is the rows' revenue over price times units. Otherwise the nearest row.
    let revenue = best.predicted_sales, volume = best.quantity, objective = objectiveOf(best);
    const ratio = best.predicted_sales / (best.unit_price * best.quantity);
    if (weekly && num(answer.max_predicted_sales) && num(ratio) && ratio > 0 && price > 0) {
      revenue = answer.max_predicted_sales;
      volume = revenue / (ratio * price);
      const cost = profit && num(best.predicted_profit) ? (best.predicted_sales - best.predicted_profit) / best.quantity : 0;
      objective = profit ? revenue - cost * volume : revenue;
    }
    el.bestObjective.textContent = amount(objective);
    el.bestObjectiveNote.textContent = weekly
      ? (profit ? '(revenue ' + amount(revenue) + ')' : '')
      : profit ? 'sales ' + amount(best.predicted_sales) + ' per context row' : 'per context row, price \u00d7 median quantity';
    el.bestQuantity.textContent = units(volume);
    el.bestQuantityNote.textContent = num(best.quantity_p10) && num(best.quantity_p90)
      ? '(' + units(best.quantity_p10) + '\u2013' + units(best.quantity_p90) + ' across recent weeks)' : '';
    if (!weekly) el.bestQuantityNote.textContent = 'p10\u2013p90 ' + units(best.quantity_p10) + '\u2013' + units(best.quantity_p90) + ' units';

    // Warnings.
    const searched = num(answer.search_min) && num(answer.search_max)
      ? ' (' + money(answer.search_min) + '\u2013' + money(answer.search_max) + ')' : '';
    if (answer.at_search_edge === 'lower' || answer.at_search_edge === 'upper') {
      const lower = answer.at_search_edge === 'lower';
      addFlag('at_search_edge', 'The model\u2019s best price is at the ' + (lower ? 'lowest' : 'highest') + ' price searched' + searched +
        ': the optimum may lie ' + (lower ? 'below' : 'above') + ' it, beyond the prices the data supports or the request allows.');
    }
    if (answer.outside_support === true) {
      addFlag('outside_support', 'The requested prices are outside the range this product\u2019s sales history supports' +
        (hasCurrent ? ' (around the current ' + money(current) + ')' : '') + ': the curve and the recommendation are extrapolated.');
    }
  }

  el.form.addEventListener('submit', (event) => { event.preventDefault(); closeList(); run(); });

  // ---------------------------------------------------------------- chart
  function svg(name, attributes, parent) {
    const node = document.createElementNS(SVG_NS, name);
    for (const key in attributes) node.setAttribute(key, attributes[key]);
    if (parent) parent.append(node);
    return node;
  }

  function text(content, attributes, parent) {
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

  function niceDomain(lo, hi, count) {
    if (!(hi > lo)) { const pad = Math.abs(lo) * 0.1 || 1; lo -= pad; hi += pad; }
    const step = niceStep(hi - lo, count);
    return [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
  }

  function ticks(lo, hi, count) {
    const step = niceStep(hi - lo, count);
    const values = [];
    for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) values.push(Number((i * step).toFixed(10)));
    const decimals = Math.max(0, Math.min(4, -Math.floor(Math.log10(step) + 1e-9)));
    return { values, decimals };
  }

  function scale(d0, d1, r0, r1) {
    const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
    return (v) => r0 + (v - d0) * k;
  }

  function linePath(points) {
    return points.map((p, i) => (i ? 'L' : 'M') + p[0].toFixed(1) + ',' + p[1].toFixed(1)).join('');
  }

  function bandPath(upper, lower) {
    if (upper.length === 0) return '';
    return linePath(upper) + lower.slice().reverse().map((p) => 'L' + p[0].toFixed(1) + ',' + p[1].toFixed(1)).join('') + 'Z';
  }

  function compact(v, decimals) {
    const abs = Math.abs(v);
    if (abs >= 1e6) return (v / 1e6).toFixed(abs >= 1e7 ? 0 : 1) + 'M';
    if (abs >= 1e4) return (v / 1e3).toFixed(abs >= 1e5 ? 0 : 1) + 'k';
    return v.toFixed(decimals);
  }

  /// The objective's 10-90% posterior band at a row: `sales_p10`..`sales_p90` for revenue; for profit
  /// the same draws scaled by profit / revenue at that price (1 − cost / realized price, the same
  /// factor for every draw, so the percentiles carry over). Null when the row has no band.
  function bandOf(row) {
    if (!num(row.sales_p10) || !num(row.sales_p90)) return null;
    if (state.objective !== 'profit') return [row.sales_p10, row.sales_p90];
    if (!num(row.predicted_profit) || !(row.predicted_sales > 0)) return null;
    const factor = row.predicted_profit / row.predicted_sales;
    const a = row.sales_p10 * factor, b = row.sales_p90 * factor;
    return a <= b ? [a, b] : [b, a];
  }

  /// The objective at a price between rows (linear), or null outside them.
  function objectiveAt(rows, price) {
    if (rows.length === 0 || price < rows[0].unit_price || price > rows[rows.length - 1].unit_price) return null;
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1], b = rows[i];
      if (price <= b.unit_price) {
        const t = b.unit_price === a.unit_price ? 0 : (price - a.unit_price) / (b.unit_price - a.unit_price);
        return objectiveOf(a) + t * (objectiveOf(b) - objectiveOf(a));
      }
    }
    return objectiveOf(rows[0]);
  }

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

  function draw() {
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

    // Grid and y axes.
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
    text(objectiveName, { x: x0, y: top0 - 12, class: 'panel-label' }, root);
    const quantityName = rows.length === 0 ? 'Units'
      : !weekly ? 'Quantity per context row (units): median, p10\u2013p90, min\u2013max'
      : width < 700 ? 'Units per week' : 'Units per week: expected, p10\u2013p90 and min\u2013max over recent weeks';
    text(quantityName, { x: x0, y: bottom0 - 10, class: 'panel-label' }, root);
    text(weekly || rows.length === 0 ? 'List price (\u00a3)' : 'Unit price (\u00a3)', { x: (x0 + x1) / 2, y: height - 6, 'text-anchor': 'middle', class: 'axis-title' }, root);
    const older = rows.length > 0 && !weekly;   // an older server: quantities per context row
    el.legendMedian.textContent = older ? 'median' : 'expected';
    el.legendQuantityBand.textContent = older ? 'Quantity p10\u2013p90' : weekly ? 'Units p10\u2013p90 over recent weeks' : 'Units p10\u2013p90';
    el.legendObjective.textContent = older ? (profit ? 'Predicted profit' : 'Predicted sales')
      : (profit ? 'Profit' : 'Revenue') + (weekly ? ' per week' : '');
    el.legendSalesText.textContent = older ? 'Predicted sales' : weekly ? 'Revenue per week' : 'Revenue';

    // The product's historical prices, shaded behind both panels when the candidate prices go beyond them
    // (there the models extrapolate).
    const p = state.product;
    let history = false;
    if (p && rows.length > 0 && p.stockcode.toUpperCase() === state.stockcode.toUpperCase() &&
        (p.price_min > xd[0] + 1e-9 || p.price_max < xd[1] - 1e-9)) {
      const h0 = Math.max(x0, x(p.price_min)), h1 = Math.min(x1, x(p.price_max));
      if (h1 > h0) {
        history = true;
        svg('rect', { class: 'history', x: h0.toFixed(1), width: (h1 - h0).toFixed(1), y: top0, height: top1 - top0 }, root);
        svg('rect', { class: 'history', x: h0.toFixed(1), width: (h1 - h0).toFixed(1), y: bottom0, height: bottom1 - bottom0 }, root);
      }
    }
    el.legendHistory.forEach((node) => { node.hidden = !history; });

    const legend = { band: false, current: false, best: false, interval: false, search: false };
    const showLegend = () => {
      for (const key in legend) el.legendDecision[key].forEach((node) => { node.hidden = !legend[key]; });
    };

    if (rows.length === 0) {
      const message = app.dataset.state === 'loading' ? 'Waiting for the first rows\u2026'
        : app.dataset.state === 'error' ? 'No data' : 'Pick a product and press Run';
      text(message, { x: (x0 + x1) / 2, y: (top0 + top1) / 2, 'text-anchor': 'middle', class: 'placeholder' }, root);
      el.chart.setAttribute('aria-label', 'Price curve chart: no data yet');
      showLegend();
      el.chart.replaceChildren(root);
      return;
    }

    // The prices searched for the best price: the rest of the top panel is hatched, and a bracket between
    // the panels spans them.
    const clampX = (v) => Math.max(x0, Math.min(x1, x(v)));
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

    // The rules from the catalogue view: the band they allow, the floor and ceiling, and the price they
    // set, labelled with the rule that set it (at the foot of the panel, clear of the markers' labels).
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

    // The best-price interval, on the x axis of the top panel.
    if (answer && num(answer.best_price_p10) && num(answer.best_price_p90)) {
      const b0 = clampX(Math.min(answer.best_price_p10, answer.best_price_p90));
      const b1 = Math.max(b0 + 3, clampX(Math.max(answer.best_price_p10, answer.best_price_p90)));
      const interval = svg('rect', { id: 'best-price-interval', class: 'best-interval', x: (b0 - (b1 - b0 <= 3 ? 1.5 : 0)).toFixed(1),
        width: (b1 - b0).toFixed(1), y: strip - 5, height: 10, rx: 3,
        'data-p10': answer.best_price_p10, 'data-p90': answer.best_price_p90 }, root);
      svg('title', {}, interval).textContent = 'The model\u2019s best price, 10\u201390%: ' + money(answer.best_price_p10) + '\u2013' + money(answer.best_price_p90);
      legend.interval = true;
    }

    // The markers, once the stream is complete: current price, recommended price, and the model's best
    // price when the decision keeps the current one. Their labels are placed once the SVG is in the page
    // (to measure them), each in its own row so they never overlap.
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
    const placed = labels.map((label) => {
      const group = svg('g', label.id ? { class: 'marker-label', id: label.id } : { class: 'marker-label' }, root);
      const bg = svg('rect', { class: label.cls + '-label-bg', rx: 5, height: 20, y: top0 + label.row * 24 }, group);
      const caption = text(label.caption, { class: label.cls + '-label', y: top0 + label.row * 24 + 14 }, group);
      return { label, bg, caption };
    });
    showLegend();
    el.chart.replaceChildren(root);
    for (const { label, bg, caption } of placed) {
      let labelWidth = label.caption.length * 7 + 16;
      try { labelWidth = caption.getComputedTextLength() + 16; } catch (error) { /* keep the estimate */ }
      const left = label.mx + 8 + labelWidth > x1 ? label.mx - 8 - labelWidth : label.mx + 8;
      bg.setAttribute('x', left.toFixed(1));
      bg.setAttribute('width', labelWidth.toFixed(1));
      caption.setAttribute('x', (left + 8).toFixed(1));
    }

    // Hover read-out.
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
    overlay.addEventListener('pointerleave', () => { hover.setAttribute('visibility', 'hidden'); el.tooltip.hidden = true; });

    const last = rows[rows.length - 1];
    let description = objectiveName + ' against ' + (weekly ? 'list' : 'unit') + ' price for ' + rows.length + ' prices from ' +
      money(rows[0].unit_price) + ' to ' + money(last.unit_price);
    if (hasBand) description += ', with its 10\u201390% band';
    if (answer && num(answer.current_price)) description += '; current price ' + money(answer.current_price);
    if (best && done) description += '; recommended price ' + money(state.answer.optimal_unit_price);
    if (answer && num(answer.best_price_p10) && num(answer.best_price_p90)) {
      description += '; best price 10\u201390% ' + money(answer.best_price_p10) + '\u2013' + money(answer.best_price_p90);
    }
    if (answer && num(answer.search_min) && num(answer.search_max)) {
      description += '; prices searched ' + money(answer.search_min) + '\u2013' + money(answer.search_max);
    }
    el.chart.setAttribute('aria-label', description);
  }

  function nearest(rows, price) {
    let lo = 0, hi = rows.length - 1;
    if (hi < 0) return null;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (rows[mid].unit_price < price) lo = mid; else hi = mid;
    }
    return Math.abs(rows[lo].unit_price - price) <= Math.abs(rows[hi].unit_price - price) ? rows[lo] : rows[hi];
  }

  function showTooltip(row, left, box) {
    const tip = el.tooltip;
    tip.replaceChildren();
    const title = document.createElement('div');
    title.className = 'tt-title';
    title.textContent = money(row.unit_price);
    tip.append(title);
    const line = (label, value) => {
      const div = document.createElement('div');
      div.className = 'tt-row';
      const name = document.createElement('span'); name.textContent = label;
      const number = document.createElement('b'); number.textContent = value;
      div.append(name, number);
      tip.append(div);
    };
    const weekly = row.demand_unit === 'units_per_week';
    const band = bandOf(row);
    if (state.objective === 'profit') line(weekly ? 'Profit per week' : 'Profit', amount(row.predicted_profit));
    if (state.objective === 'profit' && band) line('10\u201390%', amount(band[0]) + '\u2013' + amount(band[1]));
    line(weekly ? 'Revenue per week' : 'Sales', amount(row.predicted_sales));
    if (num(row.sales_p10) && num(row.sales_p90)) line('10\u201390%', amount(row.sales_p10) + '\u2013' + amount(row.sales_p90));
    line(weekly ? 'Units per week' : 'Quantity (median)', units(row.quantity));
    line('p10\u2013p90', units(row.quantity_p10) + '\u2013' + units(row.quantity_p90));
    line('min\u2013max', units(row.quantity_min) + '\u2013' + units(row.quantity_max));
    tip.hidden = false;
    const tipWidth = tip.offsetWidth;
    const x = left + 14 + tipWidth > box.width ? left - 14 - tipWidth : left + 14;
    tip.style.left = Math.max(0, x) + 'px';
    tip.style.top = '36px';
  }

  let resizeTimer = 0;
  window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(draw, 80); });

  // ---------------------------------------------------------------- start
  async function showActiveModel() {
    try {
      const response = await fetch('/readyz');
      if (!response.ok) return;
      const ready = await response.json();
      if (el.model.textContent === '\u2014') el.model.textContent = ready.active_model;
      if (el.version.textContent === '\u2014') { el.version.textContent = ready.model_version; el.version.title = ready.model_version; }
    } catch (error) { /* the response headers fill it in */ }
  }

  const initial = new URLSearchParams(location.search);
  const fields = { unitprice_min: el.min, unitprice_max: el.max, num_price_bins: el.bins, unit_cost: el.cost };
  for (const name in fields) if (initial.has(name)) fields[name].value = initial.get(name);
  showActiveModel();
  draw();
  const preset = (initial.get('stockcode') || '').trim();
  if (preset) {
    el.search.value = preset;
    lookUp(preset);
    run();
  } else if (initial.has('q')) {
    el.search.value = initial.get('q');
    el.search.focus();
    searchProducts(el.search.value.trim());
  }
})();
