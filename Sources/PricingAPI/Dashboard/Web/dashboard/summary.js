// The decision and its evidence, from the product-level fields of the answer (docs/price-response.md,
// the same on every row): current and recommended price, change or keep and why, the expected gain per
// week with its 10-90% interval, P(gain), the best-price interval, the elasticity and the warnings.
// Every field is optional: an older server's rows lack them, and the summary then shows what there is.

import { objectiveOf } from './curve.js';
import { amount, chance, money, num, signed, signedAmount, signedPercent, units } from './format.js';
import { el, productInView, state } from './page.js';

/// Empties every value of the summary, ready for a new answer.
export function resetSummary() {
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

/// The decision and its evidence from the product-level fields (`answer`, the last row) and the row
/// nearest the recommended price (`best`); whatever the server did not send stays out of view (an
/// older server sends only the curve and `optimal_unit_price`).
export function showSummary(answer, best) {
  el.recommended.textContent = money(answer.optimal_unit_price);
  el.recommended.dataset.value = String(answer.optimal_unit_price);
  const profit = state.objective === 'profit';
  const s = {
    answer, best, rows: state.rows, price: answer.optimal_unit_price, profit,
    weekly: answer.demand_unit === 'units_per_week', objectiveWord: profit ? 'profit' : 'revenue',
    current: answer.current_price, hasCurrent: num(answer.current_price),
    decided: answer.decision === 'change' || answer.decision === 'keep_current', keep: answer.decision === 'keep_current',
    bestPrice: num(answer.best_price) ? answer.best_price : null,
    reason: typeof answer.decision_reason === 'string' ? answer.decision_reason : '',
  };
  el.evidence.forEach((node) => { node.hidden = !num(answer[node.dataset.evidence]); });
  showPrices(s);
  showDecision(s);
  showGain(s);
  showEvidence(s);
  showVolume(s);
  showWarnings(s);
}

/// The current price, and how the recommended one compares with it.
function showPrices({ rows, price, current, hasCurrent, decided, keep }) {
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
    const p = productInView();
    if (p && (price < p.price_min || price > p.price_max)) {
      notes.push('beyond the prices sold at (extrapolated)');
    }
    el.recommendedNote.classList.toggle('warn', notes.length > 0);
    if (notes.length === 0) notes.push('Best of ' + rows.length + ' candidate prices');
  }
  el.recommendedNote.textContent = notes.join('; ');
  el.recommendedNote.title = el.recommendedNote.textContent;
}

/// The decision in words.
function showDecision({ answer, price, current, hasCurrent, decided, keep, bestPrice, reason }) {
  const pGain = num(answer.probability_of_gain) ? ' (P(gain) ' + chance(answer.probability_of_gain) + ')' : '';
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
}

/// Expected gain per week: the model's best price against the current one (when the decision is to
/// keep, what a change would have gained), and the chance of a gain.
function showGain({ answer, profit, weekly, objectiveWord, current, hasCurrent, keep, bestPrice, reason }) {
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
}

/// Evidence: the best-price interval and the elasticity.
function showEvidence({ answer, bestPrice }) {
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
    const size = units(Math.abs(e));
    el.elasticityNote.textContent = size === '0'
      ? 'a 1% higher price leaves sales about unchanged'
      : '1% higher price: about ' + size + '% ' + (e < 0 ? 'fewer' : 'more') + ' units';
  }
}

/// The objective and the volume at the recommended price.
function showVolume({ answer, best, price, profit, weekly }) {
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
}

/// Warnings: the best price at an end of the searched range, prices outside the data's support.
function showWarnings({ answer, current, hasCurrent }) {
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
