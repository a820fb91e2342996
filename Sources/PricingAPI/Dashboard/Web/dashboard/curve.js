// Reading the curve's rows: the objective (revenue, or profit with a unit cost) and its posterior band
// at a row, the objective between rows, and the row nearest a price.

import { num } from './format.js';
import { state } from './page.js';

/// The objective the query maximizes at a row: profit with a unit cost, else revenue.
export function objectiveOf(row) {
  return state.objective === 'profit' ? row.predicted_profit : row.predicted_sales;
}

/// The objective's 10-90% posterior band at a row: `sales_p10`..`sales_p90` for revenue; for profit
/// the same draws scaled by profit / revenue at that price (1 − cost / realized price, the same
/// factor for every draw, so the percentiles carry over). Null when the row has no band.
export function bandOf(row) {
  if (!num(row.sales_p10) || !num(row.sales_p90)) return null;
  if (state.objective !== 'profit') return [row.sales_p10, row.sales_p90];
  if (!num(row.predicted_profit) || !(row.predicted_sales > 0)) return null;
  const factor = row.predicted_profit / row.predicted_sales;
  const a = row.sales_p10 * factor, b = row.sales_p90 * factor;
  return a <= b ? [a, b] : [b, a];
}

/// The objective at a price between rows (linear), or null outside them.
export function objectiveAt(rows, price) {
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

/// The row nearest a price, scanning (the rows need not be sorted yet).
export function rowAt(rows, price) {
  let best = rows[0];
  for (const row of rows) {
    if (Math.abs(row.unit_price - price) < Math.abs(best.unit_price - price)) best = row;
  }
  return best;
}

/// The row nearest a price, by bisection over rows sorted by price; null without rows.
export function nearest(rows, price) {
  let lo = 0, hi = rows.length - 1;
  if (hi < 0) return null;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].unit_price < price) lo = mid; else hi = mid;
  }
  return Math.abs(rows[lo].unit_price - price) <= Math.abs(rows[hi].unit_price - price) ? rows[lo] : rows[hi];
}
