// The experiments view's script: plain JavaScript, no libraries. It shows the model version's price-test
// plan (GET /v1/experiments) and, for the product picked in the table (or ?stockcode=), its test with the
// week-by-week history (GET /v1/experiments/{stockcode}) drawn as three small SVG charts: the price path
// with the arms, the units sold, and the elasticity posterior's standard deviation narrowing from its
// value at the start. Everything is built with DOM calls (no HTML strings, no inline styles: the policy).
import { cell } from './dashboard/table.js';

(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const app = $('experiments');
  const el = {
    version: $('model-version'), planId: $('plan-id'), week: $('plan-week'), weeksRun: $('plan-weeks-run'),
    tests: $('plan-tests'), statuses: $('plan-statuses'), givenUp: $('plan-given-up'), guardrails: $('plan-guardrails'),
    lift: $('plan-lift'), liftInterval: $('plan-lift-interval'), status: $('experiments-status'), error: $('experiments-error'),
    rows: $('experiment-rows'), detail: $('experiment-detail'), title: $('detail-title'), facts: $('detail-facts'),
    price: $('chart-price'), units: $('chart-units'), sd: $('chart-sd'),
  };
  const SVG = 'http://www.w3.org/2000/svg';
  const amountFormat = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const money = (v) => (v < 0 ? '\u2212\u00a3' : '\u00a3') + amountFormat.format(Math.abs(v));
  const percent = (v) => (v > 0 ? '+' : v < 0 ? '\u2212' : '') + (Math.abs(v) * 100).toFixed(1) + '%';
  const num = (v) => typeof v === 'number' && Number.isFinite(v);
  let retries = 0;

  function showError(message) {
    app.dataset.state = 'error';
    el.error.textContent = message;
    el.error.hidden = false;
    el.status.textContent = 'The plan could not be shown.';
  }

  /// GET `path` as JSON: [response, body], or null after showing why not.
  async function getJSON(path) {
    let response, body;
    try {
      response = await fetch(path, { headers: { Accept: 'application/json' } });
      body = await response.json();
    } catch (error) {
      showError('The service did not answer with JSON: ' + error.message);
      return null;
    }
    return [response, body];
  }

  async function load() {
    app.dataset.state = 'loading';
    const got = await getJSON('/v1/experiments');
    if (!got) return;
    const [response, plan] = got;
    // The service answers 503 while its models load: ask again shortly instead of giving up.
    if (response.status === 503 && retries++ < 30) { el.status.textContent = 'The models are loading\u2026'; setTimeout(load, 1000); return; }
    if (!response.ok) return showError(plan && plan.error ? plan.error.message : 'Error ' + response.status);
    el.version.textContent = response.headers.get('X-Model-Version') || '\u2014';
    showPlan(plan);
    renderRows(plan.tests);
    renderHoldout(plan.holdout ? plan.holdout.members || [] : []);
    const wanted = new URLSearchParams(location.search).get('stockcode');
    if (wanted && plan.tests.some((t) => t.stockcode === wanted)) await showTest(wanted);
    app.dataset.state = 'done';
  }

  function showPlan(plan) {
    el.planId.textContent = plan.plan_id || 'none';
    el.week.textContent = plan.week_start || '\u2014';
    el.weeksRun.textContent = plan.plan_id ? plan.weeks_run + ' weeks of testing so far' : '';
    el.tests.textContent = String(plan.tests.length);
    const counts = {};
    for (const t of plan.tests) counts[t.status] = (counts[t.status] || 0) + 1;
    el.statuses.textContent = Object.keys(counts).sort().map((s) => counts[s] + ' ' + s).join(', ');
    el.givenUp.textContent = money(plan.revenue_given_up);
    el.givenUp.dataset.value = plan.revenue_given_up;
    const g = plan.guardrails;
    el.guardrails.textContent = g ? 'budget ' + g.max_revenue_at_risk_pct + '% of tested revenue; steps \u2264 ' + g.max_step_pct +
      '%; \u2264 ' + Math.round(g.max_share_under_test * 100) + '% of products' : '';
    const h = plan.holdout;
    if (h && num(h.lift)) {
      el.lift.textContent = percent(h.lift);
      el.lift.dataset.value = h.lift;
      if (num(h.lift_p5) && num(h.lift_p95)) {
        el.lift.dataset.p5 = h.lift_p5;
        el.lift.dataset.p95 = h.lift_p95;
        el.liftInterval.textContent = '90%: ' + percent(h.lift_p5) + ' to ' + percent(h.lift_p95) + ' (' + h.products + ' held out)';
      }
    } else {
      el.lift.textContent = '\u2014';
      el.liftInterval.textContent = h ? 'no data yet (' + h.products + ' held out)' : '';
    }
    el.status.textContent = plan.plan_id ? 'Plan ' + plan.plan_id + ' for the week of ' + plan.week_start
      : 'This model version has no experiment plan: no product is under test.';
  }

  function renderRows(tests) {
    el.rows.replaceChildren();
    for (const t of tests) {
      const tr = document.createElement('tr');
      tr.dataset.stockcode = t.stockcode;
      tr.dataset.status = t.status;
      // π, its chance of having been held out instead (absent from plans written before tests carried it).
      if (num(t.holdout_probability)) tr.dataset.holdoutProbability = t.holdout_probability;
      const pick = document.createElement('button');
      pick.type = 'button';
      pick.className = 'code-link';
      pick.textContent = t.stockcode;
      pick.addEventListener('click', () => showTest(t.stockcode));
      cell(tr, '', null, 'code').appendChild(pick);
      cell(tr, t.description || '', null, 'desc');
      cell(tr, t.status, t.status, 'status-' + t.status);
      cell(tr, t.arms.map(money).join(' / '), null, 'num');
      cell(tr, money(t.price_this_week) + ' (' + t.arm_this_week + ')', t.price_this_week, 'num');
      cell(tr, String(t.weeks_run), t.weeks_run, 'num');
      const narrowed = t.elasticity_sd_start > 0 ? 1 - t.elasticity_sd_now / t.elasticity_sd_start : 0;
      cell(tr, t.elasticity_sd_start.toFixed(2) + ' \u2192 ' + t.elasticity_sd_now.toFixed(2) + ' (\u2212' + Math.round(narrowed * 100) + '%)',
        t.elasticity_sd_now, 'num');
      cell(tr, Math.round(t.probability_best_arm_gains * 100) + '%', t.probability_best_arm_gains, 'num');
      cell(tr, money(t.revenue_given_up), t.revenue_given_up, 'num');
      el.rows.appendChild(tr);
    }
  }

  /// The held-out products after the tests: kept at their current price this week, no test to open.
  /// Their π (the probability they were held out with) is the row's data-holdout-probability, as a test's
  /// is: the table has no column for it, and the elasticity column's cell only says it in words (no
  /// data-value, so a sort by that column keeps holdout rows with the other cells that have no sd).
  function renderHoldout(members) {
    for (const m of members) {
      const tr = document.createElement('tr');
      tr.dataset.stockcode = m.stockcode;
      tr.dataset.status = 'holdout';
      tr.dataset.holdoutProbability = m.assignment_probability;
      cell(tr, m.stockcode, null, 'code');
      cell(tr, m.description || '', null, 'desc');
      cell(tr, 'holdout', 'holdout', 'status-holdout');
      cell(tr, '\u2014', null, 'num');
      cell(tr, money(m.price_this_week) + ' (kept)', m.price_this_week, 'num');
      cell(tr, 'since ' + m.assigned_week, null, 'num');
      cell(tr, 'drawn with ' + Math.round(m.assignment_probability * 100) + '%', null, 'num');
      cell(tr, '', null, 'num');
      cell(tr, '', null, 'num');
      el.rows.appendChild(tr);
    }
  }

  async function showTest(stockcode) {
    const got = await getJSON('/v1/experiments/' + encodeURIComponent(stockcode));
    if (!got) return;
    const [response, test] = got;
    if (!response.ok) return showError(test && test.error ? test.error.message : 'Error ' + response.status);
    for (const tr of el.rows.children) tr.setAttribute('aria-selected', tr.dataset.stockcode === stockcode ? 'true' : 'false');
    el.detail.hidden = false;
    el.detail.dataset.stockcode = stockcode;
    el.title.textContent = stockcode + (test.description ? ' \u2014 ' + test.description : '');
    el.facts.textContent = test.status + ' since ' + test.started_week + '; this week ' + money(test.price_this_week) + ' (' + test.arm_this_week +
      ' arm, drawn with probability ' + Math.round(test.assignment_probability * 100) + '%)';
    const weeks = test.history.map((w) => w.week_start);
    draw(el.price, weeks, test.history.map((w) => w.price), { references: test.arms, format: money, line: 'step' });
    draw(el.units, weeks, test.history.map((w) => w.units), { bars: true, format: (v) => v.toFixed(0) });
    draw(el.sd, weeks, test.history.map((w) => w.elasticity_sd), { references: [test.elasticity_sd_start], format: (v) => v.toFixed(2), zero: true });
  }

  function node(name, attributes, parent, text) {
    const n = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attributes)) n.setAttribute(k, String(v));
    if (text !== undefined) n.textContent = text;
    parent.appendChild(n);
    return n;
  }

  /// One small chart of `values` by week into `svg` (viewBox 320×150): a line (a step line for prices)
  /// or bars, dashed horizontal reference values, the value range on the left and the first and last
  /// week below.
  function draw(svg, weeks, values, options) {
    svg.replaceChildren();
    svg.dataset.points = String(values.length);
    const W = 320, H = 150, left = 48, right = 8, top = 10, bottom = 22;
    if (!values.length) { node('text', { x: left, y: H / 2, class: 'tick' }, svg, 'No weeks yet'); return; }
    const all = values.concat(options.references || []);
    let lo = options.bars || options.zero ? 0 : Math.min(...all), hi = Math.max(...all);
    if (hi === lo) { hi += Math.abs(hi) * 0.1 || 1; lo -= options.bars || options.zero ? 0 : Math.abs(lo) * 0.1 || 1; }
    const pad = (hi - lo) * 0.08;
    hi += pad;
    if (!(options.bars || options.zero)) lo -= pad;
    const n = values.length, band = (W - left - right) / n;
    const x = (i) => left + band * (i + 0.5);
    const y = (v) => top + (H - top - bottom) * (1 - (v - lo) / (hi - lo));
    node('line', { x1: left, x2: W - right, y1: H - bottom, y2: H - bottom, class: 'axis' }, svg);
    node('line', { x1: left, x2: left, y1: top, y2: H - bottom, class: 'axis' }, svg);
    node('text', { x: left - 4, y: y(hi - pad) + 4, 'text-anchor': 'end', class: 'tick' }, svg, options.format(hi - pad));
    node('text', { x: left - 4, y: H - bottom, 'text-anchor': 'end', class: 'tick' }, svg, options.format(lo + (options.bars || options.zero ? 0 : pad)));
    node('text', { x: x(0), y: H - 6, 'text-anchor': 'middle', class: 'tick' }, svg, weeks[0].slice(5));
    if (n > 1) node('text', { x: x(n - 1), y: H - 6, 'text-anchor': 'middle', class: 'tick' }, svg, weeks[n - 1].slice(5));
    for (const r of options.references || []) node('line', { x1: left, x2: W - right, y1: y(r).toFixed(1), y2: y(r).toFixed(1), class: 'reference' }, svg);
    if (options.bars) {
      values.forEach((v, i) => node('rect', { x: (x(i) - band * 0.35).toFixed(1), width: (band * 0.7).toFixed(1), y: y(v).toFixed(1),
        height: Math.max(0, y(0) - y(v)).toFixed(1), class: 'bar' }, svg, undefined));
      return;
    }
    let path = '';
    values.forEach((v, i) => {
      if (i === 0) path = 'M' + x(i).toFixed(1) + ' ' + y(v).toFixed(1);
      else if (options.line === 'step') path += ' H' + (x(i) - band / 2).toFixed(1) + ' V' + y(v).toFixed(1) + ' H' + x(i).toFixed(1);
      else path += ' L' + x(i).toFixed(1) + ' ' + y(v).toFixed(1);
    });
    node('path', { d: path, class: 'series' }, svg);
    values.forEach((v, i) => node('circle', { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3, class: 'dot' }, svg));
  }

  load();
})();
