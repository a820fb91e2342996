extension DashboardPage {
    /// The page's markup. Everything it loads comes from this server (`/dashboard.css`,
    /// `/dashboard.js`, `/favicon.svg`): the Content-Security-Policy allows nothing else, not even
    /// inline scripts or styles. The chart is drawn by the script as inline SVG.
    ///
    /// Hooks for tests and tools: `#app[data-state]` is `idle`, `loading`, `done` or `error`;
    /// `#recommended-price[data-value]` holds the recommended unit price exactly as the API sent it, and
    /// so do `#current-price`, `#expected-gain`, `#probability-of-gain` and `#best-price` (`data-value`,
    /// empty when the server does not report the field), `#gain-interval` (`data-p10`, `data-p90`),
    /// `#decision[data-decision]` and `#decision-text[data-reason]`; `#flags` lists the warnings
    /// (`li[data-flag]`); `#rows` counts the rows received; `#error` holds the API's error message; the
    /// chart's objective line is `#sales-line` with one point per row (`data-points`), its posterior band
    /// `#sales-band`, and the markers are `#current-price-line`, `#recommended-line`, `#best-price-line`,
    /// `#best-price-interval` and `#search-range`.
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Price recommendation</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard.css">
<script src="/dashboard.js" defer></script>
</head>
<body>
<div id="app" class="app" data-state="idle">
  <header class="topbar">
    <div class="brand">
      <svg class="logo" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
        <rect class="logo-bg" x="1" y="1" width="30" height="30" rx="8"></rect>
        <path class="logo-line" d="M7 22 L12.5 15.5 L17 18.5 L25 9"></path>
        <circle class="logo-dot" cx="25" cy="9" r="2.4"></circle>
      </svg>
      <div>
        <h1>Price recommendation</h1>
        <p class="subtitle">Expected weekly demand and revenue, and a price decision with its evidence</p>
      </div>
    </div>
    <dl class="meta" aria-label="Model serving the answers">
      <div><dt>Model</dt><dd id="model">&mdash;</dd></div>
      <div><dt>Version</dt><dd id="model-version">&mdash;</dd></div>
      <div><dt>Cache</dt><dd id="cache">&mdash;</dd></div>
    </dl>
  </header>

  <main class="layout">
    <aside class="panel controls" aria-labelledby="controls-title">
      <h2 id="controls-title" class="panel-title">Query</h2>
      <form id="query-form" novalidate>
        <div class="field combo">
          <label for="product-search">Product</label>
          <input id="product-search" name="product" type="text" role="combobox" aria-autocomplete="list"
                 aria-expanded="false" aria-controls="product-list" aria-describedby="product-hint"
                 autocomplete="off" spellcheck="false" placeholder="Stockcode or description, e.g. heart">
          <ul id="product-list" class="listbox" role="listbox" aria-label="Matching products" hidden></ul>
          <p id="product-hint" class="hint">Type to search the catalogue; pick a product or enter its stockcode.</p>
        </div>

        <div id="product-card" class="product-card" hidden>
          <div class="product-code" id="product-code"></div>
          <div class="product-desc" id="product-desc"></div>
          <div class="product-facts" id="product-facts"></div>
        </div>

        <fieldset class="group">
          <legend>Candidate prices</legend>
          <div class="row2">
            <div class="field">
              <label for="unitprice-min">Min price</label>
              <input id="unitprice-min" name="unitprice_min" type="number" inputmode="decimal" min="0" step="any" placeholder="history">
            </div>
            <div class="field">
              <label for="unitprice-max">Max price</label>
              <input id="unitprice-max" name="unitprice_max" type="number" inputmode="decimal" min="0" step="any" placeholder="history">
            </div>
          </div>
          <div class="field">
            <label for="num-price-bins">Number of prices</label>
            <input id="num-price-bins" name="num_price_bins" type="number" inputmode="numeric" min="2" max="1000" step="1" value="100">
          </div>
          <p class="hint">Empty bounds use the product's historical price range.</p>
        </fieldset>

        <div class="field">
          <label for="unit-cost">Unit cost <span class="optional">optional</span></label>
          <input id="unit-cost" name="unit_cost" type="number" inputmode="decimal" min="0" step="any" placeholder="none"
                 aria-describedby="unit-cost-hint">
          <p id="unit-cost-hint" class="hint">With a cost, the chart shows profit and the recommendation maximizes it.</p>
        </div>

        <button id="run" class="primary" type="submit">
          <span class="button-spinner" aria-hidden="true"></span><span class="button-label">Run</span>
        </button>
      </form>
    </aside>

    <section class="panel results" aria-labelledby="results-title">
      <div class="results-head">
        <div>
          <h2 id="results-title" class="panel-title">Recommendation</h2>
          <p id="results-subtitle" class="results-subtitle">No product selected</p>
        </div>
        <div class="status-line">
          <span class="spinner" aria-hidden="true"></span>
          <p id="status" class="status" role="status" aria-live="polite">Pick a product, then Run.</p>
          <span class="rows-pill"><span id="rows">0</span> <span id="rows-of"></span>rows</span>
        </div>
      </div>

      <div id="error-box" class="error-box" role="alert" hidden>
        <svg class="error-icon" viewBox="0 0 20 20" aria-hidden="true" focusable="false">
          <circle cx="10" cy="10" r="9"></circle><path d="M10 5.5v5.5M10 13.6v.9"></path>
        </svg>
        <div>
          <div class="error-title" id="error-title">The request failed</div>
          <div id="error" class="error-message"></div>
        </div>
      </div>

      <section id="summary" class="summary" aria-labelledby="summary-title" data-decision="">
        <h3 id="summary-title" class="visually-hidden">Recommendation and its evidence</h3>
        <p class="decision-line" aria-live="polite">
          <span id="decision" class="decision-badge" data-decision="" hidden></span>
          <span id="decision-text" class="decision-text" data-reason="">Pick a product, then Run to get a recommendation.</span>
        </p>

        <div class="kpis">
          <div id="current-price-card" class="kpi" data-evidence="current_price">
            <div class="kpi-label">Current price</div>
            <div id="current-price" class="kpi-value" data-value="">&mdash;</div>
            <div id="current-price-note" class="kpi-note"></div>
          </div>
          <div class="kpi kpi-accent">
            <div class="kpi-label">Recommended price</div>
            <div id="recommended-price" class="kpi-value" data-value="">&mdash;</div>
            <div id="recommended-note" class="kpi-note"></div>
          </div>
          <div id="gain-card" class="kpi" data-evidence="expected_gain">
            <div class="kpi-label" id="gain-label">Expected gain per week</div>
            <div class="kpi-value"><span id="expected-gain" data-value="">&mdash;</span> <span id="expected-gain-pct" class="kpi-sub" data-value=""></span></div>
            <div id="gain-interval" class="kpi-note" data-p10="" data-p90=""></div>
          </div>
          <div id="probability-card" class="kpi" data-evidence="probability_of_gain">
            <div class="kpi-label">Probability of gain</div>
            <div id="probability-of-gain" class="kpi-value" data-value="">&mdash;</div>
            <div id="probability-note" class="kpi-note"></div>
          </div>
        </div>

        <dl class="evidence">
          <div id="best-price-item" class="evidence-item" data-evidence="best_price">
            <dt>Model&rsquo;s best price <span class="dt-sub">10&ndash;90%</span></dt>
            <dd><span id="best-price" data-value="">&mdash;</span> <span id="best-price-interval-text" class="dd-sub" data-p10="" data-p90=""></span></dd>
          </div>
          <div id="elasticity-item" class="evidence-item" data-evidence="elasticity">
            <dt>Elasticity at the current price</dt>
            <dd><span id="elasticity" data-value="">&mdash;</span> <span id="elasticity-interval" class="dd-sub"></span></dd>
            <dd id="elasticity-note" class="dd-note"></dd>
          </div>
          <div class="evidence-item">
            <dt id="best-objective-label">Revenue at the recommended price</dt>
            <dd><span id="best-objective">&mdash;</span> <span id="best-objective-note" class="dd-sub"></span></dd>
          </div>
          <div class="evidence-item">
            <dt id="best-quantity-label">Units at the recommended price</dt>
            <dd><span id="best-quantity">&mdash;</span> <span id="best-quantity-note" class="dd-sub"></span></dd>
          </div>
        </dl>

        <ul id="flags" class="flags" aria-label="Warnings about this recommendation" hidden></ul>
      </section>

      <figure class="chart-figure">
        <div id="chart" class="chart" role="img" aria-label="Price curve chart: no data yet"></div>
        <div id="tooltip" class="tooltip" hidden></div>
        <figcaption class="legend">
          <span class="legend-item"><span class="key key-objective"></span><span id="legend-objective">Revenue</span></span>
          <span class="legend-item legend-sales" hidden><span class="key key-sales"></span><span id="legend-sales">Revenue</span></span>
          <span class="legend-item legend-sales-band" hidden><span class="key key-sales-band"></span><span id="legend-sales-band">Revenue 10&ndash;90%</span></span>
          <span class="legend-item"><span class="key key-band"></span><span id="legend-quantity-band">Units p10&ndash;p90</span></span>
          <span class="legend-item"><span class="key key-range"></span>min&ndash;max</span>
          <span class="legend-item"><span class="key key-median"></span><span id="legend-median">expected</span></span>
          <span class="legend-item legend-history" hidden><span class="key key-history"></span>Prices sold at</span>
          <span class="legend-item legend-current" hidden><span class="key key-current"></span>Current price</span>
          <span class="legend-item"><span class="key key-rec"></span>Recommended price</span>
          <span class="legend-item legend-best" hidden><span class="key key-best"></span>Model&rsquo;s best price</span>
          <span class="legend-item legend-best-interval" hidden><span class="key key-best-interval"></span>Best price 10&ndash;90%</span>
          <span class="legend-item legend-search" hidden><span class="key key-search"></span>Prices searched</span>
          <span class="legend-item legend-search" hidden><span class="key key-not-searched"></span>Not searched</span>
        </figcaption>
      </figure>
    </section>
  </main>

  <footer class="footer">
    Served by this instance: <code>/v1/predict-price/{stockcode}</code> (NDJSON, streamed) and <code>/v1/products</code>.
    <a href="/openapi.json">OpenAPI document</a>
  </footer>
</div>
</body>
</html>
"""#

    /// The tab icon: the logo of the page header.
    static let favicon = #"""
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="1" y="1" width="30" height="30" rx="8" fill="#2563eb"/><path d="M7 22 L12.5 15.5 L17 18.5 L25 9" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round"/><circle cx="25" cy="9" r="2.4" fill="#fbbf24"/></svg>
"""#
}
