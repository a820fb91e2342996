// The hover read-out of the chart: the numbers of the row nearest the pointer.

import { bandOf } from './curve.js';
import { amount, money, num, units } from './format.js';
import { el, state } from './page.js';

/// Shows `row` in the tooltip beside `left` (pixels into the chart's box `box`).
export function showTooltip(row, left, box) {
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

export function hideTooltip() { el.tooltip.hidden = true; }
