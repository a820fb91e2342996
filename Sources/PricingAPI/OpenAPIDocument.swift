/// The API described as OpenAPI 3.1, served at `/openapi.json`. A test checks real responses
/// against these schemas, so this text and the behaviour cannot drift apart silently.
public enum OpenAPIDocument {
    public static let bytes: [UInt8] = Array(text.utf8)

    static let text = #"""
    {
      "openapi": "3.1.0",
      "info": {"title": "Price recommendation service", "version": "1.0.0",
               "description": "Recommends, per product, a list price that raises expected revenue per week (or profit per week with a unit cost), and says how sure it is. Demand is modelled causally (docs/price-response.md): expected units per week = exp(f(x) + b·Δ + c·Δ²), Δ = ln p − ln p_ref, where f(x) is a model's baseline from the product's recent weeks (never the price) and (b, c) is the product's price response, with 64 posterior draws carrying its uncertainty. The price is searched on a log grid over the part of the requested range the data supports, and changed only when the draws agree that the gain is likely and large enough; otherwise the current price is kept."},
      "paths": {
        "/v1/predict-price/{stockcode}": {
          "get": {
            "summary": "Expected weekly demand and revenue at candidate prices, and the price decision",
            "parameters": [
              {"name": "stockcode", "in": "path", "required": true, "schema": {"type": "string"}},
              {"name": "unitprice_min", "in": "query", "schema": {"type": "number", "exclusiveMinimum": 0},
               "description": "Lowest candidate price of the curve and of the decision's search; default the product's lowest historical price, or the lowest price its data supports when that is lower."},
              {"name": "unitprice_max", "in": "query", "schema": {"type": "number", "exclusiveMinimum": 0},
               "description": "Highest candidate price of the curve and of the decision's search; default the product's highest historical price, or the highest price its data supports when that is higher."},
              {"name": "num_price_bins", "in": "query", "schema": {"type": "integer", "minimum": 2, "maximum": 1000, "default": 100},
               "description": "Number of rows: candidate prices evenly spaced from unitprice_min to unitprice_max. The decision does not depend on it (it searches its own grid)."},
              {"name": "unit_cost", "in": "query", "schema": {"type": "number", "minimum": 0},
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
              "405": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/v1/products": {
          "get": {
            "summary": "The catalogue, searchable by stockcode or description, paged",
            "parameters": [
              {"name": "q", "in": "query", "schema": {"type": "string"}},
              {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
              {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}}
            ],
            "responses": {
              "200": {"description": "A page of products",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProductPage"}}}},
              "400": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/healthz": {"get": {"summary": "The process is alive", "responses": {"200": {"description": "Alive",
          "content": {"application/json": {"schema": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["ok"]}}}}}}}}},
        "/readyz": {"get": {"summary": "Models are loaded; which one is active", "responses": {
          "200": {"description": "Ready or degraded (a backup model serves)",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}},
          "503": {"$ref": "#/components/responses/Error"}}}},
        "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "Prometheus text format",
          "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
        "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1",
          "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/admin/reload": {"post": {"summary": "Look for a newer model version now and swap it in when it is good",
          "security": [{"adminToken": []}],
          "parameters": [{"name": "force", "in": "query", "required": false, "schema": {"type": "boolean"},
                          "description": "retry a version rejected before"}],
          "responses": {
            "200": {"description": "unchanged, or swapped (from, model_version, seconds)",
                    "content": {"application/json": {"schema": {"type": "object", "required": ["result", "model_version"],
                      "properties": {"result": {"type": "string", "enum": ["unchanged", "swapped"]}, "model_version": {"type": "string"},
                                     "from": {"type": ["string", "null"]}, "seconds": {"type": "number"}}}}}},
            "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
            "422": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}}
      },
      "components": {
        "securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer", "description": "ADMIN_TOKEN from the configuration"}},
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
            "type": "object", "required": ["status", "model_version", "active_model", "models"],
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
          "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"],
                                     "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}
          }
        },
        "responses": {
          "Error": {"description": "An error with a code a client can act on",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      }
    }
    """#
}
