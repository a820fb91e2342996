"""Writes the seed corpora (Fuzz/corpus/<target>/) from the committed model version and the tests'
requests. Run from the repository root: python3 Fuzz/scripts/make-seeds.py. Seeds are kept small
(a few KB each): the fuzzer grows its own corpus from them under out/fuzz/corpus."""
import gzip, json, pathlib, struct, zlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
VERSION = ROOT / "models" / (ROOT / "models" / "LATEST").read_text().strip()
CORPUS = ROOT / "Fuzz" / "corpus"


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    """tensors: name -> (dtype, shape, raw bytes), laid out in name order."""
    header, offset, data = {}, 0, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text)) + text + data


# HTTP request heads: the service's own requests (README) and the HTTP tests' templates.
heads = {
    "predict": "GET /v1/predict-price/85123A?unitprice_min=1.5&unitprice_max=4&num_price_bins=50&unit_cost=1.2 HTTP/1.1\r\nHost: localhost:8080\r\nAccept: application/x-ndjson\r\nAccept-Encoding: gzip\r\n\r\n",
    "products": "GET /v1/products?q=heart&limit=20&offset=0 HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
    "reload": "POST /admin/reload HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer t0k3n\r\nContent-Length: 0\r\n\r\n",
    "preflight": "OPTIONS /v1/predict-price/85123A HTTP/1.1\r\nHost: h\r\nOrigin: https://shop.example\r\nAccess-Control-Request-Method: GET\r\n\r\n",
    "chunked": "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\nExpect: 100-continue\r\n\r\n",
    "absolute": "GET http://h:1/x?y HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
    "asterisk": "OPTIONS * HTTP/1.1\nHost: h\n\n",
    "connect": "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\nContent-Length: 5, 5\r\n\r\n",
    "head": "HEAD /healthz HTTP/1.1\r\nHost: h\r\nX-Obs: caf\xe9\r\n\r\n",
}
for name, text in heads.items():
    write("fuzz-http-head", name, text.encode("latin-1"))

bodies = {
    "extensions-trailer": "5;a=b\r\nhello\r\n0\r\nT: v\r\n\r\n",
    "two-chunks": "3\r\nabc\r\n1A\r\n" + "x" * 26 + "\r\n0\r\n\r\nGET / HTTP/1.1\r\n",
    "bare-lf": "4\nwxyz\n0\n\n",
    "empty": "0\r\n\r\n",
}
for name, text in bodies.items():
    write("fuzz-chunked-body", name, text)

write("fuzz-query", "predict", "unitprice_min=1.5&unitprice_max=4&num_price_bins=50&unit_cost=1.2")
write("fuzz-query", "products", "q=heart+shaped%20box&limit=20&offset=0&&x")
write("fuzz-query", "escapes", "/v1/predict-price/85%2F3A?a=%e2%82%ac&b=%zz&%FF=+")
write("fuzz-query", "pairs", b"q\x00red heart\x00limit\x0020\x00\x00=&%")

# Lambda events, shaped like Tests/LambdaRuntimeTests/Events.swift.
rest = {
    "resource": "/{proxy+}", "path": "/v1/predict-price/85123A", "httpMethod": "GET",
    "headers": {"Accept": "application/json"}, "multiValueHeaders": {"Accept": ["application/json"]},
    "queryStringParameters": {"num_price_bins": "50", "q": "a b&c"},
    "multiValueQueryStringParameters": None, "pathParameters": {"proxy": "v1/predict-price/85123A"},
    "requestContext": {"path": "/prod/v1/predict-price/85123A", "stage": "prod", "identity": {"sourceIp": "203.0.113.7"}},
    "body": None, "isBase64Encoded": False,
}
write("fuzz-lambda-event", "rest", json.dumps(rest))
http = {
    "version": "2.0", "rawPath": "/prod/v1/products", "rawQueryString": "q=heart&limit=2",
    "headers": {"accept-encoding": "gzip"}, "cookies": ["a=b"],
    "requestContext": {"http": {"method": "POST", "path": "/prod/v1/products", "sourceIp": "198.51.100.4"}, "stage": "prod"},
    "body": "aGVsbG8=", "isBase64Encoded": True,
}
write("fuzz-lambda-event", "http-api", json.dumps(http))

write("fuzz-manifest", "committed", (VERSION / "manifest.json").read_bytes())

write("fuzz-safetensors", "elasticnet", (VERSION / "elasticnet.safetensors").read_bytes())
write("fuzz-safetensors", "mixed", safetensors({
    "a": ("F64", [2], struct.pack("<2d", 1.5, -2)), "b": ("I32", [1, 1], struct.pack("<i", 7)),
    "c": ("F32", [0], b""), "d": ("I64", [], struct.pack("<q", 3))}, {"format": "pt"}))

write("fuzz-gzip", "gzip", gzip.compress(b"hello hello hello", mtime=0))
write("fuzz-gzip", "zlib", zlib.compress(b"\x00" * 300))
write("fuzz-gzip", "empty", gzip.compress(b"", mtime=0))

# Feature store: a three-product index and a two-row shard from the committed version (mode byte first).
index = json.loads(gzip.decompress((VERSION / "features" / "products.json.gz").read_bytes()))
small = {"columns": index["columns"], "shards": index["shards"], "products": index["products"][:3]}
write("fuzz-feature-store", "index", b"\x00" + json.dumps(small).encode())
shard_raw = gzip.decompress((VERSION / "features" / "context-000.safetensors.gz").read_bytes())
header_len = struct.unpack("<Q", shard_raw[:8])[0]
width = len(index["columns"])
rows = shard_raw[8 + header_len: 8 + header_len + 2 * width * 4]
write("fuzz-feature-store", "shard", b"\x01" + safetensors({"rows": ("F32", [2, width], rows)}))
write("fuzz-feature-store", "shard-gzip", b"\x03" + gzip.compress(safetensors({"rows": ("F32", [1, width], rows[: width * 4])}), mtime=0))

# Price response: two products, two draws (mode byte: P = 2, S = 2), values from the committed table.
def f64(*values): return struct.pack(f"<{len(values)}d", *values)
def f32(*values): return struct.pack(f"<{len(values)}f", *values)
table = safetensors({
    "coefficients": ("F64", [2, 2], f64(-1.2, -0.3, -0.8, -0.1)),
    "current_price": ("F64", [2], f64(2.95, 1.25)),
    "draws": ("F32", [2, 2, 2], f32(-1.1, -0.2, -1.3, -0.4, -0.7, 0.0, -0.9, -0.2)),
    "realized_price_ratio": ("F64", [2], f64(0.93, 1.0)),
    "reference_log_price": ("F64", [2], f64(1.08, 0.22)),
    "support": ("F64", [2, 2], f64(2.5, 3.4, 1.0, 1.5)),
})
write("fuzz-price-response", "two-products", bytes([2 | (1 << 2)]) + table)

# LightGBM: the committed model cut to its header and first two trees (mode 0), and numbers (mode 1).
text = (VERSION / "lightgbm.txt").read_text()
head, _, trees = text.partition("Tree=0")
blocks = ("Tree=0" + trees).split("\n\n")
head = "\n".join(line for line in head.splitlines() if not line.startswith("tree_sizes")) + "\n"
write("fuzz-lightgbm", "two-trees", b"\x00" + (head + "\n\n".join(blocks[:2]) + "\n\nend of trees\n").encode())
categorical = """tree
version=v4
num_class=1
max_feature_idx=1

Tree=0
num_leaves=3
num_cat=1
split_feature=1 0
threshold=0 1.5
decision_type=1 10
left_child=-1 -2
right_child=1 -3
leaf_value=0.25 -1 3e-2
cat_boundaries=0 2
cat_threshold=5 4294967295

end of trees
"""
write("fuzz-lightgbm", "categorical", b"\x00" + categorical.encode())
for i, number in enumerate(["0.30000000000000004", "-1.25e-3", "1e400", "nan", "12345678901234567890", "4.9e-324"]):
    write("fuzz-lightgbm", f"number-{i}", b"\x01" + number.encode())
