// The product picker: a combobox over the catalogue (/v1/products) that searches as the user types,
// moves with the arrow keys, and shows the picked product's price history on a card.

import { fetchProducts } from './api.js';
import { money, plainPrice } from './format.js';
import { el, state } from './page.js';

let searchTimer = 0;
let searchRun = null;
let options = [];
let active = -1;

/// "85123A — WHITE HANGING HEART T-LIGHT HOLDER".
export function describeProduct(p) {
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
  el.min.placeholder = plainPrice(p.price_min);
  el.max.placeholder = plainPrice(p.price_max);
  closeList();
}

export function closeList() {
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

/// Shows the catalogue entries matching `text` under the search box (the latest search wins).
export async function searchProducts(text) {
  if (searchRun) searchRun.abort();
  const run = new AbortController();
  searchRun = run;
  try {
    const page = await fetchProducts(text, 20, run.signal);
    if (!page) return;
    if (run.signal.aborted || document.activeElement !== el.search) return;
    renderList(page.products, page.total);
  } catch (error) {
    if (error.name !== 'AbortError') closeList();
  }
}

/// The stockcode to query: the picked product, or what was typed (its first word).
export function chosenStockcode() {
  if (state.product) return state.product.stockcode;
  return el.search.value.trim().split(/\s+/)[0];
}

/// Looks a stockcode up in the catalogue to show its description and price history (best effort);
/// `onFound` runs once the product is selected.
export async function lookUp(stockcode, onFound) {
  try {
    const page = await fetchProducts(stockcode, 50);
    if (!page) return;
    const match = page.products.find((p) => p.stockcode.toUpperCase() === stockcode.toUpperCase());
    if (match && chosenStockcode().toUpperCase() === match.stockcode.toUpperCase()) {
      selectProduct(match, document.activeElement === el.search);
      onFound();
    }
  } catch (error) { /* the description is a nicety */ }
}

/// Wires the search box: search while typing (debounced), on focus when empty, keys to move and pick.
export function startProductSearch() {
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
}
