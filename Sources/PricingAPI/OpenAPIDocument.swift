/// The API described as OpenAPI 3.1, served at `/openapi.json`. A test checks real responses
/// against these schemas, so this text and the behaviour cannot drift apart silently.
public enum OpenAPIDocument {
    public static let bytes: [UInt8] = Array(text.utf8)

    static let text = #"""
    {
      "openapi": "3.1.0",
      "info": {"title": "Price recommendation service", "version": "1.0.0",
               "description": "Recommends, per product, a list price that raises expected revenue per week (or profit per week with a unit cost), and says how sure it is. Demand is modelled causally (docs/price-response.md): expected units per week = exp(f(x) + b·Δ + c·Δ²), Δ = ln p − ln p_ref, where f(x) is a model's baseline from the product's recent weeks (never the price) and (b, c) is the product's price response, with 64 posterior draws carrying its uncertainty. The price is searched on a log grid over the part of the requested range the data supports, and changed only when the draws agree that the gain is likely and large enough; otherwise the current price is kept. Every limit the service enforces on a parameter or body is stated in its schema, except rules that relate two values, which OpenAPI cannot state: unitprice_min must not exceed unitprice_max, where a bound not given is the product's own default from its price history (400 empty_price_range). Any route may also answer 414 (request line over 8 KiB), 431 (header section over 16 KiB or 100 fields) and 503 (connection limit reached), and errors are always the Error body."},
      "paths": {
        "/v1/predict-price/{stockcode}": {
          "get": {
            "operationId": "predictPrice",
            "summary": "Expected weekly demand and revenue at candidate prices, and the price decision",
            "parameters": [
              {"$ref": "#/components/parameters/Stockcode"},
              {"name": "unitprice_min", "in": "query", "schema": {"type": "number", "minimum": 0.000001, "maximum": 1000000},
               "description": "Lowest candidate price of the curve and of the decision's search; default the product's lowest historical price, or the lowest price its data supports when that is lower. Must not exceed unitprice_max, or the product's default for it when not given (400 empty_price_range)."},
              {"name": "unitprice_max", "in": "query", "schema": {"type": "number", "minimum": 0.000001, "maximum": 1000000},
               "description": "Highest candidate price of the curve and of the decision's search; default the product's highest historical price, or the highest price its data supports when that is higher. Must not be below unitprice_min, or the product's default for it when not given (400 empty_price_range)."},
              {"name": "num_price_bins", "in": "query", "schema": {"type": "integer", "minimum": 2, "maximum": 1000, "default": 100},
               "description": "Number of rows: candidate prices evenly spaced from unitprice_min to unitprice_max. The decision does not depend on it (it searches its own grid)."},
              {"name": "unit_cost", "in": "query", "schema": {"type": "number", "minimum": 0, "maximum": 1000000},
               "description": "Unit cost k: adds predicted_profit, and the decision then maximizes profit per week (ρ·p − k)·units instead of revenue per week."}
            ],
            "responses": {
              "200": {
                "description": "One object per candidate price, in increasing price order; every object repeats the product's price decision. With Accept: application/x-ndjson the same objects stream one per line.",
                "headers": {
                  "X-Model": {"schema": {"type": "string"}, "description": "The model that answered."},
                  "X-Model-Version": {"schema": {"type": "string"}},
                  "X-Cache": {"schema": {"type": "string", "enum": ["HIT", "MISS"]}},
                  "X-Compute-Time-Ms": {"schema": {"type": "string"}},
                  "X-Fallback-Reasons": {"schema": {"type": "string"}, "description": "Why earlier models in the fallback order did not answer."}
                },
                "content": {
                  "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/PricePoint"}}},
                  "application/x-ndjson": {"schema": {"$ref": "#/components/schemas/PricePoint"}}
                }
              },
              "400": {"$ref": "#/components/responses/Error"},
              "404": {"$ref": "#/components/responses/Error"},
              "405": {"$ref": "#/components/responses/MethodNotAllowed"},
              "414": {"$ref": "#/components/responses/Error"},
              "429": {"$ref": "#/components/responses/TooManyRequests"},
              "431": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/v1/recommendations": {
          "parameters": [
            {"$ref": "#/components/parameters/MinMarginPct"},
            {"$ref": "#/components/parameters/MaxChangePct"},
            {"$ref": "#/components/parameters/PriceEnding"},
            {"$ref": "#/components/parameters/MinProbabilityOfGain"},
            {"$ref": "#/components/parameters/Search"},
            {"$ref": "#/components/parameters/ChangedOnly"},
            {"$ref": "#/components/parameters/MinGain"},
            {"$ref": "#/components/parameters/Sort"},
            {"$ref": "#/components/parameters/Limit"},
            {"$ref": "#/components/parameters/Offset"},
            {"$ref": "#/components/parameters/Format"}
          ],
          "get": {
            "operationId": "listRecommendations",
            "summary": "Reprice every product under the shop's rules: one row per product, filtered, sorted and paged",
            "responses": {"200": {
                "description": "The run: JSON (streamed; the totals come last) or, with Accept: text/csv or format=csv, a CSV file with one header line and one line per row, columns in the order of the Recommendation schema, empty cells for nulls, flags separated by semicolons.",
                "headers": {
                  "X-Model-Version": {"schema": {"type": "string"}},
                  "X-Cache": {"schema": {"type": "string", "enum": ["HIT", "MISS"]}, "description": "HIT when this model version, rules and catalogue were already computed (or being computed)."},
                  "X-Skipped-Rows": {"schema": {"type": "string"}, "description": "CSV answers to POST only: the number of catalogue lines skipped (the JSON answer lists them)."}
                },
                "content": {
                  "application/json": {"schema": {"$ref": "#/components/schemas/RecommendationRun"}},
                  "text/csv": {"schema": {"type": "string"}}
                }
              }, "400": {"$ref": "#/components/responses/Error"}, "405": {"$ref": "#/components/responses/MethodNotAllowed"},
                          "414": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/TooManyRequests"},
                          "431": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Unavailable"}}
          },
          "post": {
            "operationId": "repriceCatalogue",
            "summary": "Reprice a catalogue: the body is a CSV file with a header line naming stockcode and optionally current_price, unit_cost, floor, ceiling",
            "requestBody": {"required": true, "description": "The catalogue (at most 1 MiB, else 413): a header line naming stockcode, then, in this order, any of current_price, unit_cost, floor, ceiling (the service also reads them in any order, in any case, after blank lines); one product per line after it. A line with the wrong number of fields, no stockcode, a stockcode seen before, a field that is not a number, a price outside [0.000001, 1000000], a unit cost outside [0, 1000000] or a floor above its ceiling is skipped and listed in skipped; fields may be quoted as in RFC 4180 (the pattern leaves quotes out).",
                            "content": {"text/csv": {"schema": {"type": "string", "minLength": 9, "pattern": "^stockcode(,current_price)?(,unit_cost)?(,floor)?(,ceiling)?(\\r?\\n[^\"]*)?$"},
                                                     "example": "stockcode,current_price,unit_cost,floor\n85123A,2.95,1.20,2.50\n22423,12.75,,\n"}}},
            "responses": {"200": {
                "description": "The run: JSON (streamed; the totals come last) or, with Accept: text/csv or format=csv, a CSV file with one header line and one line per row, columns in the order of the Recommendation schema, empty cells for nulls, flags separated by semicolons.",
                "headers": {
                  "X-Model-Version": {"schema": {"type": "string"}},
                  "X-Cache": {"schema": {"type": "string", "enum": ["HIT", "MISS"]}, "description": "HIT when this model version, rules and catalogue were already computed (or being computed)."},
                  "X-Skipped-Rows": {"schema": {"type": "string"}, "description": "CSV answers to POST only: the number of catalogue lines skipped (the JSON answer lists them)."}
                },
                "content": {
                  "application/json": {"schema": {"$ref": "#/components/schemas/RecommendationRun"}},
                  "text/csv": {"schema": {"type": "string"}}
                }
              }, "400": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"},
                          "414": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/TooManyRequests"},
                          "431": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Unavailable"}}
          }
        },
        "/v1/recommendations/{stockcode}": {
          "get": {
            "operationId": "getRecommendation",
            "summary": "One product's row of the repricing run",
            "parameters": [
              {"$ref": "#/components/parameters/Stockcode"},
              {"$ref": "#/components/parameters/MinMarginPct"},
              {"$ref": "#/components/parameters/MaxChangePct"},
              {"$ref": "#/components/parameters/PriceEnding"},
              {"$ref": "#/components/parameters/MinProbabilityOfGain"},
              {"$ref": "#/components/parameters/Format"}
            ],
            "responses": {
              "200": {"description": "The product's row", "headers": {"X-Model-Version": {"schema": {"type": "string"}}, "X-Cache": {"schema": {"type": "string", "enum": ["HIT", "MISS"]}}},
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Recommendation"}}, "text/csv": {"schema": {"type": "string"}}}},
              "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
              "405": {"$ref": "#/components/responses/MethodNotAllowed"}, "414": {"$ref": "#/components/responses/Error"},
              "422": {"$ref": "#/components/responses/Error"}, "431": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/v1/products": {
          "get": {
            "operationId": "listProducts",
            "summary": "The catalogue, searchable by stockcode or description, paged",
            "parameters": [
              {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Only products whose stockcode or description contains this text (case-insensitive)."},
              {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
              {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807, "default": 0}, "description": "Products to skip; at most 2^63 − 1 (a 64-bit integer)."}
            ],
            "responses": {
              "200": {"description": "A page of products",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProductPage"}}},
                      "links": {"PricesOfFirstProduct": {"operationId": "predictPrice", "parameters": {"stockcode": "$response.body#/products/0/stockcode"}},
                                "RecommendationOfFirstProduct": {"operationId": "getRecommendation", "parameters": {"stockcode": "$response.body#/products/0/stockcode"}}}},
              "400": {"$ref": "#/components/responses/Error"}, "405": {"$ref": "#/components/responses/MethodNotAllowed"},
              "414": {"$ref": "#/components/responses/Error"}, "431": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/healthz": {"get": {"operationId": "health", "summary": "The process is alive", "responses": {"200": {"description": "Alive",
          "content": {"application/json": {"schema": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["ok"]}}}}}}}}},
        "/readyz": {"get": {"operationId": "readiness", "summary": "Models are loaded; which one is active", "responses": {
          "200": {"description": "Ready or degraded (a backup model serves)",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}},
          "503": {"$ref": "#/components/responses/Unavailable"}}}},
        "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus metrics", "security": [{}, {"adminToken": []}],
          "description": "Open to everyone unless metrics_access is loopback (403 from other addresses) or admin_token (401 without the token, 429 after repeated wrong tokens)",
          "responses": {"200": {"description": "Prometheus text format",
          "content": {"text/plain": {"schema": {"type": "string"}}}},
            "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
            "429": {"$ref": "#/components/responses/TooManyFailures"}}}},
        "/openapi.json": {"get": {"operationId": "openAPIDocument", "summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1",
          "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/admin/reload": {"post": {"operationId": "reloadModels", "summary": "Look for a newer model version now and swap it in when it is good",
          "description": "Needs Authorization: Bearer <ADMIN_TOKEN> (401 with WWW-Authenticate without it or with another token). When the service has no ADMIN_TOKEN the admin routes are disabled: 403 admin_disabled, whatever the request carries.",
          "security": [{"adminToken": []}],
          "parameters": [{"name": "force", "in": "query", "required": false, "schema": {"type": "boolean", "default": false},
                          "description": "retry a version rejected before"}],
          "responses": {
            "200": {"description": "unchanged, or swapped (from, model_version, seconds)",
                    "content": {"application/json": {"schema": {"type": "object", "required": ["result", "model_version"],
                      "properties": {"result": {"type": "string", "enum": ["unchanged", "swapped"]}, "model_version": {"type": "string"},
                                     "from": {"type": ["string", "null"]}, "seconds": {"type": "number"}}}}}},
            "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": {"description": "The admin routes are disabled (no ADMIN_TOKEN configured)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "405": {"$ref": "#/components/responses/MethodNotAllowed"}, "414": {"$ref": "#/components/responses/Error"},
            "422": {"description": "The version offered is bad and was rejected; the version serving is unchanged",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReloadError"}}}},
            "429": {"$ref": "#/components/responses/TooManyFailures"}, "431": {"$ref": "#/components/responses/Error"},
            "503": {"description": "The artifact source could not be reached (or the models are not loaded yet); the version serving is unchanged",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReloadError"}}}}}}}
      },
      "components": {
        "securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer", "description": "ADMIN_TOKEN from the configuration"}},
        "parameters": {
          "Stockcode": {"name": "stockcode", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1, "maxLength": 64}, "example": "85123A",
                        "description": "The product's stockcode (percent-encoded in the path; 1 to 64 characters, no /). 404 unknown_stockcode when the model version does not know it."},
          "MinMarginPct": {"name": "min_margin_pct", "in": "query", "schema": {"oneOf": [{"type": "number", "minimum": 0, "maximum": 10000}, {"type": "string", "enum": ["none", ""]}]}, "description": "Rule override: lowest margin over unit cost in percent (price ≥ unit_cost·(1 + pct/100)), 0 to 10000; applies to products with a unit cost; none (or empty) switches it off. Default from pricing_rules."},
          "MaxChangePct": {"name": "max_change_pct", "in": "query", "schema": {"oneOf": [{"type": "number", "minimum": 0, "exclusiveMaximum": 100}, {"type": "string", "enum": ["none", ""]}]}, "description": "Rule override: largest change from the current price in percent, either way, from 0 to below 100 (default 20); none (or empty) switches it off (the supported range, at most 25 percent either way, still holds)."},
          "PriceEnding": {"name": "price_ending", "in": "query", "schema": {"type": "string", "pattern": "^(\\.[0-9xX][0-9]|none|null)?$"}, "description": "Rule override: how new prices end: .DD (e.g. .99, .95) or .xD (e.g. .x9: any ten cents ending in 9), or none (or null, or empty). Applied last, only onto a price that keeps every other rule."},
          "MinProbabilityOfGain": {"name": "min_probability_of_gain", "in": "query", "schema": {"oneOf": [{"type": "number", "minimum": 0, "maximum": 1}, {"type": "string", "enum": ["none", ""]}]}, "description": "Rule override: the posterior probability of gain a change needs (default: the model version's, 0.95); below it the current price is kept. none (or empty): the model version's."},
          "Search": {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Only rows whose stockcode or description contains this text (case-insensitive)."},
          "ChangedOnly": {"name": "changed_only", "in": "query", "schema": {"type": "boolean", "default": false}, "description": "Only rows whose price changes (true or 1; false or 0)."},
          "MinGain": {"name": "min_gain", "in": "query", "schema": {"type": "number"}, "description": "Only rows with expected_gain at least this."},
          "Sort": {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["expected_gain", "change", "stockcode"], "default": "expected_gain"}, "description": "expected_gain: largest first; change: largest move (either way) first; stockcode: ascending, and over every product the rows stream as they are computed. Ties by stockcode."},
          "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 100000}, "description": "Rows per page (default: all)."},
          "Offset": {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1000000000000000000, "default": 0}, "description": "Rows to skip, at most 10^18."},
          "Format": {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}, "description": "Overrides the Accept header (for download links)."}
        },
        "schemas": {
          "PricePoint": {
            "type": "object",
            "description": "One candidate price of the curve, with the product's price decision repeated on every row. Demand is in units per week, money in revenue (or profit) per week, both as the model expects them over the product's recent weeks. Revenue is ρ·p·units, where ρ is the product's realized price ratio (its historical revenue over list price × units, below 1 when trade customers get discounts). Intervals are 10th–90th percentiles: over the posterior draws of the price response for sales_p10/sales_p90, gain_p10/gain_p90, best_price_p10/best_price_p90 and elasticity_p10/elasticity_p90, and over the product's recent weeks (context rows) for quantity_p10/quantity_p90.",
            "required": ["stockcode", "unit_price", "quantity", "quantity_min", "quantity_max", "quantity_p10", "quantity_p90",
                         "predicted_sales", "sales_p10", "sales_p90", "optimal_unit_price", "max_predicted_sales",
                         "current_price", "recommended_price", "best_price", "decision", "decision_reason",
                         "expected_gain", "expected_gain_pct", "gain_p10", "gain_p90", "probability_of_gain",
                         "best_price_p10", "best_price_p90", "elasticity", "elasticity_p10", "elasticity_p90",
                         "search_min", "search_max", "at_search_edge", "outside_support", "demand_unit"],
            "properties": {
              "stockcode": {"type": "string"},
              "unit_price": {"type": "number", "description": "This row's candidate list price p."},
              "quantity": {"type": "number", "description": "Expected units per week at unit_price: B·M(p), where B is the baseline (expected weekly units at the product's reference price, averaged over its recent weeks) and M(p) the mean over the posterior draws of the price response's multiplier exp(b·Δ + c·Δ²)."},
              "quantity_min": {"type": "number", "description": "Lowest expected units per week at unit_price over the product's recent weeks (each week's baseline × M(p))."},
              "quantity_max": {"type": "number", "description": "Highest expected units per week at unit_price over the product's recent weeks."},
              "quantity_p10": {"type": "number", "description": "10th percentile over the product's recent weeks of the expected units per week at unit_price: how volume varied from week to week."},
              "quantity_p90": {"type": "number", "description": "90th percentile over the product's recent weeks of the expected units per week at unit_price."},
              "predicted_sales": {"type": "number", "description": "Expected revenue per week at unit_price: ρ·unit_price·quantity."},
              "sales_p10": {"type": "number", "description": "10th percentile over the posterior draws of the price response of the revenue per week at unit_price (the uncertainty of the price effect)."},
              "sales_p90": {"type": "number", "description": "90th percentile over the posterior draws of the revenue per week at unit_price."},
              "predicted_profit": {"type": "number", "description": "Only with unit_cost k: expected profit per week at unit_price, (ρ·unit_price − k)·quantity."},
              "optimal_unit_price": {"type": "number", "description": "The decided price (the same as recommended_price): best_price when decision is change, else current_price."},
              "max_predicted_sales": {"type": "number", "description": "Expected revenue per week at optimal_unit_price."},
              "current_price": {"type": "number", "description": "The product's current list price p0: exp of the median log posted price of its last 4 weeks with sales (posted price: the week's median line price corrected for each customer's usual trade discount)."},
              "recommended_price": {"type": "number", "description": "The decided price; equal to optimal_unit_price."},
              "best_price": {"type": "number", "description": "p*: the price with the highest expected objective (revenue per week, or profit per week with unit_cost) on a log-spaced grid over [search_min, search_max]. It becomes the recommendation only when decision is change."},
              "decision": {"type": "string", "enum": ["change", "keep_current"], "description": "change: move to recommended_price: of the searched prices whose gain over current_price is probable and large enough (P(gain) and expected gain at or above the version's thresholds, by default 0.95 and 0.5%), the one with the highest expected gain; best_price when the evidence supports going all the way. keep_current: no price meets the thresholds (or best_price is the current price); keep current_price."},
              "decision_reason": {"type": "string", "enum": ["model", "evidence_limited", "at_current_price", "insufficient_evidence"], "description": "model: the evidence supports the change to best_price. evidence_limited: the evidence supports only part of the way toward best_price; recommended_price is the surest sufficient step. at_current_price: best_price is within 0.5% of current_price. insufficient_evidence: no price's gain is probable and large enough to act on."},
              "expected_gain": {"type": "number", "description": "Expected gain per week over current_price, in the objective's money (revenue, or profit with unit_cost): the mean over the posterior draws of V_s(p) − V_s(current_price), at p = recommended_price when decision is change and p = best_price when it is keep_current (what the model's best price would bring)."},
              "expected_gain_pct": {"type": ["number", "null"], "description": "expected_gain as a fraction of the expected objective per week at current_price (0.05 = 5%). null (infinite) when that objective is not positive (a unit cost at or above the realized current price) and the gain is positive; 0 when neither is."},
              "gain_p10": {"type": "number", "description": "10th percentile over the posterior draws of the gain per week (at the price expected_gain describes) over current_price."},
              "gain_p90": {"type": "number", "description": "90th percentile over the posterior draws of the gain per week (at the price expected_gain describes) over current_price."},
              "probability_of_gain": {"type": "number", "minimum": 0, "maximum": 1, "description": "Share of the posterior draws in which the price expected_gain describes earns more per week than current_price."},
              "best_price_p10": {"type": "number", "description": "10th percentile of each posterior draw's own best grid price: the uncertainty of the optimum itself."},
              "best_price_p90": {"type": "number", "description": "90th percentile of each posterior draw's own best grid price."},
              "elasticity": {"type": "number", "description": "Price elasticity of demand at current_price (d ln units / d ln price = b + 2c·Δ0), mean over the posterior draws; below −1 a price cut raises revenue."},
              "elasticity_p10": {"type": "number", "description": "10th percentile over the posterior draws of the elasticity at current_price."},
              "elasticity_p90": {"type": "number", "description": "90th percentile over the posterior draws of the elasticity at current_price."},
              "search_min": {"type": "number", "description": "Lowest price the decision searched: the larger of unitprice_min and the lowest price the data supports (unitprice_min itself when outside_support)."},
              "search_max": {"type": "number", "description": "Highest price the decision searched: the smaller of unitprice_max and the highest price the data supports (unitprice_max itself when outside_support)."},
              "at_search_edge": {"type": ["string", "null"], "enum": ["lower", "upper", null], "description": "Set when best_price is the lowest or highest price searched: the optimum may lie beyond the search range."},
              "outside_support": {"type": "boolean", "description": "The requested range does not overlap the prices the data supports, so the decision searched the requested range and extrapolates the price response there."},
              "demand_unit": {"type": "string", "enum": ["units_per_week"], "description": "The unit of every quantity; money fields are per week too."}
            }
          },
          "Recommendation": {
            "type": "object",
            "description": "One product of a repricing run. Money is per week, in revenue (or profit when the catalogue gives a unit cost); units are units per week; intervals are 10th–90th percentiles over the posterior draws of the price response. Every number about the recommended price is computed at that price from the draws.",
            "required": ["stockcode", "description", "current_price", "current_price_source", "recommended_price", "change_pct", "decision", "binding_rule",
                         "unconstrained_price", "allowed_min", "allowed_max", "unit_cost", "floor", "ceiling", "objective", "units_current", "units_recommended",
                         "revenue_current", "revenue_recommended", "profit_current", "profit_recommended", "expected_gain", "gain_p10", "gain_p90",
                         "expected_gain_pct", "probability_of_gain", "elasticity", "elasticity_p10", "elasticity_p90", "model", "model_version", "flags"],
            "properties": {
              "stockcode": {"type": "string", "description": "The product's stockcode."},
              "description": {"type": "string", "description": "The product's description from the model version's catalogue."},
              "current_price": {"type": "number", "description": "The price the change is measured from: the catalogue's current_price, else the product's recent list price."},
              "current_price_source": {"type": "string", "enum": ["catalogue", "history"], "description": "catalogue: current_price is the catalogue file's; history: the product's recent list price (median posted price of its last 4 weeks with sales)."},
              "recommended_price": {"type": "number", "description": "The recommended list price under the rules (current_price when keeping)."},
              "change_pct": {"type": "number", "description": "(recommended_price / current_price − 1) × 100."},
              "decision": {"type": "string", "enum": ["change", "keep_current"], "description": "change when recommended_price differs from current_price, else keep_current."},
              "binding_rule": {"type": "string", "enum": ["model", "max_change", "min_margin", "floor", "ceiling", "price_ending", "evidence_limited", "insufficient_evidence"], "description": "The rule that set recommended_price: model (the model's best price inside every rule), max_change, min_margin, floor or ceiling (the price sits on that rule's bound), price_ending (moved to the nearest allowed ending), evidence_limited (the evidence supports moving toward the best allowed price only part of the way; the price is the surest sufficient step), insufficient_evidence (the evidence does not support moving: the current price is kept)."},
              "unconstrained_price": {"type": "number", "description": "The model's best price in the range the data supports, before any rule or the evidence threshold: what the model would pick unconstrained."},
              "allowed_min": {"type": ["number", "null"], "description": "The lowest price the rules allow (floor, margin price, max_change), null when no rule bounds it from below."},
              "allowed_max": {"type": ["number", "null"], "description": "The highest price the rules allow (ceiling, max_change), null when no rule bounds it from above."},
              "unit_cost": {"type": ["number", "null"], "description": "The catalogue's unit cost, null without one."},
              "floor": {"type": ["number", "null"], "description": "The catalogue's floor (e.g. MAP), null without one."},
              "ceiling": {"type": ["number", "null"], "description": "The catalogue's ceiling, null without one."},
              "objective": {"type": "string", "enum": ["revenue", "profit"], "description": "What the price maximizes and expected_gain measures: profit per week when the catalogue gives a unit cost, else revenue per week."},
              "units_current": {"type": "number", "description": "Expected units per week at current_price."},
              "units_recommended": {"type": "number", "description": "Expected units per week at recommended_price."},
              "revenue_current": {"type": "number", "description": "Expected revenue per week at current_price: ρ·current_price·units_current."},
              "revenue_recommended": {"type": "number", "description": "Expected revenue per week at recommended_price."},
              "profit_current": {"type": ["number", "null"], "description": "Expected profit per week at current_price, (ρ·p − unit_cost)·units; null without a unit cost."},
              "profit_recommended": {"type": ["number", "null"], "description": "Expected profit per week at recommended_price; null without a unit cost."},
              "expected_gain": {"type": "number", "description": "Mean over the posterior draws of the objective per week at recommended_price minus at current_price (0 when keeping)."},
              "gain_p10": {"type": "number", "description": "10th percentile over the posterior draws of that gain per week."},
              "gain_p90": {"type": "number", "description": "90th percentile over the posterior draws of that gain per week."},
              "expected_gain_pct": {"type": ["number", "null"], "description": "expected_gain as a percentage of the objective per week at current_price; null when that objective is not positive and the gain is."},
              "probability_of_gain": {"type": "number", "minimum": 0, "maximum": 1, "description": "Share of the posterior draws in which recommended_price earns more per week than current_price (0 when keeping)."},
              "elasticity": {"type": "number", "description": "Price elasticity of demand at current_price (b + 2c·Δ0), mean over the posterior draws."},
              "elasticity_p10": {"type": "number", "description": "10th percentile over the posterior draws of the elasticity at current_price."},
              "elasticity_p90": {"type": "number", "description": "90th percentile over the posterior draws of the elasticity at current_price."},
              "model": {"type": "string", "description": "The model that predicted the product's baseline volume (the primary network unless it failed for this product)."},
              "model_version": {"type": "string", "description": "The artifact version that answered."},
              "flags": {"type": "string", "description": "Warnings, separated by semicolons (empty when none): at_search_edge (the model's best price is at an end of the supported range; the optimum may lie beyond), outside_history (recommended_price lies outside the prices the product sold at), thin_data (fewer than 30 transaction lines), outside_support (the rules allow no price the data supports: the price is the allowed one nearest that range), price_ending_unavailable (no price with the requested ending keeps every rule; the price is left unrounded)."}
            }
          },
          "SkippedRow": {
            "type": "object", "required": ["stockcode", "line", "column", "message"],
            "description": "A catalogue line or product left out of the run, and why.",
            "properties": {"stockcode": {"type": "string", "description": "The line's stockcode (may be empty)."},
                           "line": {"type": ["integer", "null"], "description": "The catalogue line (1 = the header), null for a run over every product."},
                           "column": {"type": ["string", "null"], "description": "The column at fault, when one is."},
                           "message": {"type": "string", "description": "What is wrong, e.g. a non-number, a negative cost, a floor above the ceiling, an unknown stockcode, rules that conflict for this product."}}
          },
          "RecommendationRun": {
            "type": "object", "required": ["model_version", "rules", "rows", "total", "skipped", "skipped_total", "totals"],
            "properties": {
              "model_version": {"type": "string", "description": "The artifact version of every row."},
              "rules": {"type": "object", "description": "The rules in force (configured pricing_rules with the query's overrides); null: the rule is off.",
                        "required": ["min_margin_pct", "max_change_pct", "price_ending", "min_probability_of_gain"],
                        "properties": {"min_margin_pct": {"type": ["number", "null"]}, "max_change_pct": {"type": ["number", "null"]},
                                       "price_ending": {"type": ["string", "null"]}, "min_probability_of_gain": {"type": ["number", "null"], "description": "null: the model version's threshold."}}},
              "rows": {"type": "array", "items": {"$ref": "#/components/schemas/Recommendation"}, "description": "The page of rows, in the requested order."},
              "total": {"type": "integer", "description": "Rows matching the filters, before paging."},
              "skipped": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/SkippedRow"}, "description": "Catalogue lines and products that could not be priced, in line order; every other line is in rows. The API lists the first 1000 (the recommend command's file lists all)."},
              "skipped_total": {"type": "integer", "minimum": 0, "description": "How many catalogue lines and products were skipped in all."},
              "totals": {"type": "object", "description": "Over the rows matching the filters (all pages): what the run is expected to bring per week.",
                         "required": ["products", "changed", "expected_gain", "gain_p10", "gain_p90", "revenue_current", "revenue_recommended"],
                         "properties": {"products": {"type": "integer", "description": "Rows matching the filters."},
                                        "changed": {"type": "integer", "description": "Of those, rows whose price changes."},
                                        "expected_gain": {"type": "number", "description": "Sum of the rows' expected_gain per week."},
                                        "gain_p10": {"type": "number", "description": "10th percentile of the summed gain: the rows' gains summed draw by draw (each product's draws are independent of the others'), so this is the interval of the total, not a sum of intervals."},
                                        "gain_p90": {"type": "number", "description": "90th percentile of the summed gain."},
                                        "revenue_current": {"type": "number", "description": "Expected revenue per week of those products at their current prices."},
                                        "revenue_recommended": {"type": "number", "description": "Expected revenue per week at the recommended prices."}}}
            }
          },
          "Product": {
            "type": "object",
            "required": ["stockcode", "description", "lines", "price_min", "price_median", "price_max", "price_last", "last_sold"],
            "properties": {
              "stockcode": {"type": "string"}, "description": {"type": "string"}, "lines": {"type": "integer"},
              "price_min": {"type": "number"}, "price_median": {"type": "number"}, "price_max": {"type": "number"},
              "price_last": {"type": "number"}, "last_sold": {"type": "string"}
            }
          },
          "ProductPage": {
            "type": "object", "required": ["total", "limit", "offset", "products"],
            "properties": {"total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
                           "products": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}}}
          },
          "Readiness": {
            "type": "object", "required": ["status"],
            "description": "status for every client; the detail (model_version, active_model, models, cache, last_reload) only for clients metrics_access allows (default: everyone)",
            "properties": {
              "status": {"type": "string", "enum": ["ready", "degraded"]},
              "model_version": {"type": "string"},
              "active_model": {"type": "string"},
              "cache": {"type": ["object", "null"], "properties": {"kind": {"type": "string"}, "entries": {"type": "integer"},
                        "bytes": {"type": "integer"}, "healthy": {"type": "boolean"}}},
              "models": {"type": "array", "items": {"type": "object", "required": ["name", "loaded"],
                         "properties": {"name": {"type": "string"}, "loaded": {"type": "boolean"}, "reason": {"type": "string"}}}},
              "last_reload": {"type": "object", "required": ["result", "at"], "description": "the last model reload that swapped or was rejected",
                              "properties": {"result": {"type": "string", "enum": ["unchanged", "swapped", "rejected"]},
                                             "model_version": {"type": "string"}, "rejected_version": {"type": ["string", "null"]},
                                             "reason": {"type": "string"}, "seconds": {"type": "number"}, "at": {"type": "string"}}}
            }
          },
          "ReloadError": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message", "rejected_version", "model_version"],
                                     "properties": {"code": {"type": "string", "enum": ["version_rejected", "source_unavailable"]}, "message": {"type": "string"},
                                                    "rejected_version": {"type": ["string", "null"], "description": "The version refused, null when the source was unreachable."},
                                                    "model_version": {"type": ["string", "null"], "description": "The version still serving."}}}}
          },
          "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"],
                                     "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}
          }
        },
        "responses": {
          "Error": {"description": "An error with a code a client can act on",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "TooManyFailures": {"description": "too_many_failures: this client address sent several wrong admin tokens; it is refused, whatever it presents, until Retry-After seconds have passed",
                    "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "MethodNotAllowed": {"description": "The method is not allowed on this path; Allow lists those that are",
                               "headers": {"Allow": {"required": true, "schema": {"type": "string"}}},
                               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Unauthorized": {"description": "No credentials, or the wrong ones",
                           "headers": {"WWW-Authenticate": {"required": true, "schema": {"type": "string"}}},
                           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "TooManyRequests": {"description": "Over this client's request rate or the service's admission limit; retry after Retry-After seconds",
                              "headers": {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait before retrying."}},
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Unavailable": {"description": "The models are still loading (not_ready, with Retry-After), no model could answer, or the connection limit is reached",
                          "headers": {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait before retrying."}},
                          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      }
    }
    """#
}
