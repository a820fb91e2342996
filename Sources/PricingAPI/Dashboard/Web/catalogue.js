// The catalogue view's script: plain JavaScript, no libraries. It asks GET /v1/recommendations for
// every row of the run that matches the form (the service computes the run once per model version and
// rules, so asking again is cheap), shows the run's totals, and sorts and pages the rows in the page.
// The download link asks the same query for CSV. Each stockcode opens the product view with the
// rules that applied to it, which draws them on the product's curve.
import { cell } from './dashboard/table.js';

(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const app = $('catalogue');
  const el = {
    form: $('catalogue-form'), q: $('filter-q'), minGain: $('filter-min-gain'), maxChange: $('rule-max-change'),
    ending: $('rule-ending'), changed: $('filter-changed'), download: $('download-csv'),
    rows: $('catalogue-rows'), status: $('catalogue-status'), error: $('catalogue-error'),
    products: $('total-products'), changedCount: $('total-changed'), gain: $('total-gain'), gainInterval: $('total-gain-interval'),
    revenue: $('total-revenue'), revenueNote: $('total-revenue-note'),
    prev: $('page-prev'), next: $('page-next'), pageInfo: $('page-info'), version: $('model-version'), cache: $('cache'),
  };
  const pageSize = 50;
  const state = { rows: [], sort: 'expected_gain', descending: true, page: 0, retries: 0 };

  const amountFormat = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const countFormat = new Intl.NumberFormat('en-GB');
  const money = (v) => (v < 0 ? '\u2212\u00a3' : '\u00a3') + amountFormat.format(Math.abs(v));
  const signed = (v) => (v > 0 ? '+' : v < 0 ? '\u2212' : '') + '\u00a3' + amountFormat.format(Math.abs(v));
  const percent = (v) => (v > 0 ? '+' : v < 0 ? '\u2212' : '') + amountFormat.format(Math.abs(v)) + '%';
  const num = (v) => typeof v === 'number' && Number.isFinite(v);

  /// The query of the form: filters and rule overrides, as the API names them.
  function query() {
    const params = new URLSearchParams();
    if (el.q.value.trim()) params.set('q', el.q.value.trim());
    if (el.minGain.value.trim()) params.set('min_gain', el.minGain.value.trim());
    if (el.maxChange.value.trim()) params.set('max_change_pct', el.maxChange.value.trim());
    if (el.ending.value) params.set('price_ending', el.ending.value);
    if (el.changed.checked) params.set('changed_only', 'true');
    return params;
  }

  function showError(message) {
    app.dataset.state = 'error';
    el.error.textContent = message;
    el.error.hidden = false;
    el.status.textContent = 'The run could not be shown.';
  }

  async function load() {
    app.dataset.state = 'loading';
    el.error.hidden = true;
    el.status.textContent = 'Computing the run\u2026';
    const params = query();
    const csv = new URLSearchParams(params);
    csv.set('format', 'csv');
    csv.set('sort', state.sort === 'change' || state.sort === 'stockcode' ? state.sort : 'expected_gain');
    // The download is the API's own CSV, not one built here: the server neutralises cells that a
    // spreadsheet would run as formulas (CSVField.swift), and a second writer could forget to.
    el.download.href = '/v1/recommendations?' + csv.toString();
    let response;
    try {
      response = await fetch('/v1/recommendations?' + params.toString(), { headers: { Accept: 'application/json' } });
    } catch (error) {
      return showError('The service did not answer: ' + error.message);
    }
    let body;
    try {
      body = await response.json();
    } catch (error) {
      return showError('The service sent an answer that is not JSON (status ' + response.status + ').');
    }
    // The service answers 503 while its models load: ask again shortly instead of giving up.
    if (response.status === 503 && state.retries++ < 30) { el.status.textContent = 'The models are loading\u2026'; setTimeout(load, 1000); return; }
    if (!response.ok) return showError(body && body.error ? body.error.message : 'Error ' + response.status);
    el.version.textContent = body.model_version;
    el.cache.textContent = response.headers.get('X-Cache') || '\u2014';
    state.rows = body.rows;
    state.page = 0;
    showTotals(body.totals, body.skipped || []);
    render();
    app.dataset.state = 'done';
  }

  function showTotals(totals, skipped) {
    el.products.textContent = countFormat.format(totals.products);
    el.changedCount.textContent = countFormat.format(totals.changed);
    el.gain.textContent = signed(totals.expected_gain);
    el.gain.dataset.value = totals.expected_gain;
    el.gain.dataset.p10 = totals.gain_p10;
    el.gain.dataset.p90 = totals.gain_p90;
    el.gainInterval.textContent = '10\u201390%: ' + signed(totals.gain_p10) + ' to ' + signed(totals.gain_p90);
    el.revenue.textContent = money(totals.revenue_recommended);
    el.revenueNote.textContent = 'now ' + money(totals.revenue_current);
    el.status.textContent = countFormat.format(totals.products) + ' products' +
      (skipped.length ? ', ' + skipped.length + ' skipped: ' + skipped.map((s) => s.message).slice(0, 3).join('; ') : '');
  }

  /// The value a column sorts by.
  function key(row, column) {
    if (column === 'change') return Math.abs(row.change_pct);
    return row[column];
  }

  function sortRows() {
    const column = state.sort, sign = state.descending ? -1 : 1;
    state.rows.sort((a, b) => {
      const x = key(a, column), y = key(b, column);
      if (x !== y) return (x < y ? -1 : 1) * sign;
      return a.stockcode < b.stockcode ? -1 : a.stockcode > b.stockcode ? 1 : 0;
    });
  }

  /// The product view with the rules that applied to this row, drawn on its curve.
  function productLink(row) {
    const params = new URLSearchParams({ stockcode: row.stockcode, rule_price: row.recommended_price, binding_rule: row.binding_rule,
      current: row.current_price });
    for (const name of ['allowed_min', 'allowed_max', 'floor', 'ceiling', 'unit_cost']) if (num(row[name])) params.set(name === 'unit_cost' ? name : 'rule_' + name, row[name]);
    return '/?' + params.toString();
  }

  function render() {
    sortRows();
    for (const th of document.querySelectorAll('th[data-sort]')) {
      th.setAttribute('aria-sort', th.dataset.sort === state.sort ? (state.descending ? 'descending' : 'ascending') : 'none');
    }
    const pages = Math.max(1, Math.ceil(state.rows.length / pageSize));
    state.page = Math.min(state.page, pages - 1);
    const shown = state.rows.slice(state.page * pageSize, (state.page + 1) * pageSize);
    el.rows.replaceChildren();
    for (const row of shown) {
      const tr = document.createElement('tr');
      tr.dataset.stockcode = row.stockcode;
      tr.dataset.decision = row.decision;
      const code = cell(tr, '', null, 'code');
      const link = document.createElement('a');
      link.href = productLink(row);
      link.textContent = row.stockcode;
      code.appendChild(link);
      cell(tr, row.description, null, 'desc');
      cell(tr, money(row.current_price), row.current_price, 'num');
      cell(tr, money(row.recommended_price), row.recommended_price, 'num ' + (row.decision === 'change' ? 'changed' : 'kept'));
      cell(tr, percent(row.change_pct), row.change_pct, 'num ' + (row.change_pct > 0 ? 'up' : row.change_pct < 0 ? 'down' : ''));
      cell(tr, row.binding_rule.replace(/_/g, ' '), row.binding_rule, 'rule rule-' + row.binding_rule);
      cell(tr, money(row.unconstrained_price), row.unconstrained_price, 'num');
      cell(tr, signed(row.expected_gain), row.expected_gain, 'num');
      cell(tr, row.decision === 'change' ? signed(row.gain_p10) + ' to ' + signed(row.gain_p90) : '\u2014', null, 'num interval');
      cell(tr, row.decision === 'change' ? Math.round(row.probability_of_gain * 100) + '%' : '\u2014', row.probability_of_gain, 'num');
      cell(tr, row.flags.replace(/_/g, ' ').replace(/;/g, ', '), row.flags, 'flags');
      el.rows.appendChild(tr);
    }
    el.pageInfo.textContent = state.rows.length
      ? 'Rows ' + (state.page * pageSize + 1) + '\u2013' + (state.page * pageSize + shown.length) + ' of ' + countFormat.format(state.rows.length)
      : 'No rows match';
    el.prev.disabled = state.page === 0;
    el.next.disabled = state.page >= pages - 1;
  }

  for (const th of document.querySelectorAll('th[data-sort]')) {
    th.querySelector('button').addEventListener('click', () => {
      const column = th.dataset.sort;
      state.descending = state.sort === column ? !state.descending : column !== 'stockcode' && column !== 'binding_rule';
      state.sort = column;
      state.page = 0;
      render();
    });
  }
  el.prev.addEventListener('click', () => { state.page -= 1; render(); });
  el.next.addEventListener('click', () => { state.page += 1; render(); });
  el.form.addEventListener('submit', (event) => { event.preventDefault(); load(); });
  const initial = new URLSearchParams(location.search);
  if (initial.has('q')) el.q.value = initial.get('q');
  if (initial.has('max_change_pct')) el.maxChange.value = initial.get('max_change_pct');
  if (initial.has('price_ending')) el.ending.value = initial.get('price_ending');
  if (initial.get('changed_only') === 'true') el.changed.checked = true;
  load();
})();
