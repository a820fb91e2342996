/// The API described as OpenAPI 3.1, served at `/openapi.json`. A test checks real responses
/// against these schemas, so this text and the behaviour cannot drift apart silently.
public enum OpenAPIDocument {
    public static let bytes: [UInt8] = Array(text.utf8)

    static let text = #"""
    {
      "openapi": "3.1.0",
      "info": {"title": "Price recommendation service", "version": "1.0.0",
               "description": "Recommends, per product, the unit price that maximizes predicted sales (or profit)."},
      "paths": {
        "/v1/predict-price/{stockcode}": {
          "get": {
            "summary": "Predicted demand and sales at candidate prices, and the best price",
            "parameters": [
              {"name": "stockcode", "in": "path", "required": true, "schema": {"type": "string"}},
              {"name": "unitprice_min", "in": "query", "schema": {"type": "number", "exclusiveMinimum": 0},
               "description": "Lowest candidate price; default the product's lowest historical price."},
              {"name": "unitprice_max", "in": "query", "schema": {"type": "number", "exclusiveMinimum": 0},
               "description": "Highest candidate price; default the product's highest historical price."},
              {"name": "num_price_bins", "in": "query", "schema": {"type": "integer", "minimum": 2, "maximum": 1000, "default": 100}},
              {"name": "unit_cost", "in": "query", "schema": {"type": "number", "minimum": 0},
               "description": "Adds predicted_profit; the optimum then maximizes profit."}
            ],
            "responses": {
              "200": {
                "description": "One object per candidate price, in increasing price order. With Accept: application/x-ndjson the same objects stream one per line.",
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
            "required": ["stockcode", "unit_price", "quantity", "quantity_min", "quantity_max", "predicted_sales",
                         "optimal_unit_price", "max_predicted_sales"],
            "properties": {
              "stockcode": {"type": "string"},
              "unit_price": {"type": "number"},
              "quantity": {"type": "number", "description": "Median predicted quantity over the product's context rows."},
              "quantity_min": {"type": "number"},
              "quantity_max": {"type": "number"},
              "quantity_p10": {"type": "number"},
              "quantity_p90": {"type": "number"},
              "predicted_sales": {"type": "number"},
              "predicted_profit": {"type": "number", "description": "Only with unit_cost."},
              "optimal_unit_price": {"type": "number"},
              "max_predicted_sales": {"type": "number"}
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
