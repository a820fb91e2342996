"""Schemathesis hooks of the API contract check (scripts/check-api-contract.sh), loaded with SCHEMATHESIS_HOOKS.

Apart from EXCEPTIONS, nothing here names a route: every operation of /openapi.json, present or added
later, gets the same treatment from what the document itself says.

- Every success media type a response documents is asked for in turn (the Accept header is chosen
  from the case, so a run with the same seed asks the same way), so the NDJSON and CSV answers are
  checked, not only the default JSON.
- An NDJSON answer is read line by line; every line must be JSON and match the schema the document
  gives for `application/x-ndjson` (one row). Schemathesis validates the value a deserializer returns,
  so the deserializer returns the first row that breaks the schema (or the first row when all match):
  a broken row anywhere in the stream fails the run with Schemathesis's own report of that row.
- An NDJSON request body (POST /v1/sales) is documented as the schema of one line, as NDJSON answers are;
  the generated value goes out as that one line (its JSON text and a newline): Schemathesis has no NDJSON
  serializer of its own.
- EXCEPTIONS lists the rules OpenAPI cannot state, one line each with its reason; a failure is
  dropped only when the server's error code says it is that rule and the request really broke it.
"""

from __future__ import annotations

import ast
import json
import threading
import zlib
from typing import Any

import schemathesis
from schemathesis.core.deserialization import DeserializationContext

NDJSON = "application/x-ndjson"


@schemathesis.serializer(NDJSON)
def serialize_ndjson(ctx: Any, value: Any) -> bytes:
    return (json.dumps(value) + "\n").encode("utf8")


# CPython 3.11 keeps the AST converter's recursion counter per interpreter, not per thread, so two workers
# parsing at once (Hypothesis parses a module's source to describe its lambdas) can fail with
# "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905): one parse at a time.
_parse, _parse_lock = ast.parse, threading.Lock()


def _serialised_parse(*args: Any, **kwargs: Any) -> Any:
    with _parse_lock:
        return _parse(*args, **kwargs)


ast.parse = _serialised_parse


def _query_number(case: Any, name: str) -> float | None:
    value = (case.query or {}).get(name)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _min_above_max(case: Any) -> bool:
    """Both bounds given with min > max, or one given beyond the product's default for the other."""
    low, high = _query_number(case, "unitprice_min"), _query_number(case, "unitprice_max")
    if low is not None and high is not None:
        return low > high
    return low is not None or high is not None


# (operation, Schemathesis failure code, the error code the service answers, when the request breaks the rule, why OpenAPI cannot say it)
EXCEPTIONS = [
    ("GET /v1/predict-price/{stockcode}", "ST202", "empty_price_range", _min_above_max, "unitprice_min ≤ unitprice_max (a missing bound is the product's own default) relates two values; OpenAPI 3.1 cannot"),
]


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keeps every failure except a listed exception."""
    try:
        code = response.json()["error"]["code"]
    except Exception:
        return True
    for operation, failure_code, error_code, applies, _reason in EXCEPTIONS:
        if case.operation.label == operation and failure.code == failure_code and code == error_code and applies(case):
            return False
    return True


def _resolved(operation: Any, node: Any) -> Any:
    """A local reference (`{"$ref": "#/components/responses/..."}`) followed to what it names."""
    while isinstance(node, dict) and str(node.get("$ref", "")).startswith("#/"):
        target = operation.schema.raw_schema
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _success_media_types(operation: Any) -> list[str]:
    media: list[str] = []
    for status, response in (operation.definition.raw.get("responses") or {}).items():
        response = _resolved(operation, response)
        if str(status).startswith("2") and isinstance(response, dict):
            media += [m for m in (response.get("content") or {}) if m not in media]
    return media


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Asks for one of the documented success media types, chosen from the case's own content."""
    media = _success_media_types(case.operation)
    if len(media) < 2:
        return
    key = repr((case.path_parameters, sorted((case.query or {}).items()), case.body)).encode("utf-8", "surrogatepass")
    headers = dict(case.headers or {})
    headers["Accept"] = media[zlib.crc32(key) % len(media)]
    case.headers = headers


@schemathesis.deserializer(NDJSON)
def deserialize_ndjson(ctx: DeserializationContext, response: Any) -> Any:
    """Every line against the row schema; returns the first row that breaks it, else the first row."""
    rows = [json.loads(line) for line in response.content.decode("utf-8").split("\n") if line.strip()]
    if not rows:
        raise ValueError("an NDJSON answer with no rows")
    definition = ctx.operation.responses.find_by_status_code(response.status_code)
    resolved = definition.get_schema(NDJSON) if definition is not None else None
    if resolved is None or resolved.schema is None:
        return rows[0]
    validator = definition.get_validator(resolved.media_type, resolved.schema)
    if validator is None:
        return rows[0]
    return next((row for row in rows if not validator.is_valid(row)), rows[0])
