// The service's API as the dashboard uses it: the catalogue (/v1/products), the price curve streamed as
// NDJSON (/v1/predict-price/{stockcode}), readiness (/readyz), and the API's error body. Everything is
// fetched from this server (the page's Content-Security-Policy allows nothing else).

/// A page of the catalogue whose stockcode or description contains `text`; null when the server refuses.
export async function fetchProducts(text, limit, signal) {
  const response = await fetch('/v1/products?limit=' + limit + '&q=' + encodeURIComponent(text), signal ? { signal } : undefined);
  return response.ok ? response.json() : null;
}

/// The readiness document (active model and version); null when the server is not ready.
export async function fetchReadiness() {
  const response = await fetch('/readyz');
  return response.ok ? response.json() : null;
}

/// Starts the price-curve request; the caller reads the rows with `readRows` once the status is known.
export function requestPrices(stockcode, params, signal) {
  const query = params.toString();
  const url = '/v1/predict-price/' + encodeURIComponent(stockcode) + (query ? '?' + query : '');
  return fetch(url, { headers: { Accept: 'application/x-ndjson' }, signal });
}

/// The API's error code and message from a failed answer, else its status line.
export async function errorOf(response) {
  let message = 'HTTP ' + response.status + ' ' + response.statusText, code = 'http_' + response.status;
  try {
    const body = await response.json();
    if (body && body.error) { message = body.error.message; code = body.error.code; }
  } catch (error) { /* keep the status line */ }
  return { message, code };
}

/// Reads an NDJSON body line by line as it arrives: `onRow` for each row, `onChunk` after each chunk
/// (the page redraws from it, at most every 50 ms).
export async function readRows(response, signal, onRow, onChunk) {
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
    if (signal.aborted) { reader.cancel(); return; }
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    take();
    onChunk();
  }
  buffer += decoder.decode() + '\n';
  take();
}
