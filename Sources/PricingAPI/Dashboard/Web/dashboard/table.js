// Table cells shared by the catalogue and experiments views, which sort their rows in the page.

/// Appends a cell showing `text` to the row `tr` and returns it. `value` (when given) is what the
/// column sorts by, kept apart from the formatted text ("£1,234.50" does not sort as a number);
/// `cls` is the cell's class names.
export function cell(tr, text, value, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (value !== undefined && value !== null) td.dataset.value = value;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}
