#!/usr/bin/env bash
# Cold start to first answer (release build, loopback): the time from exec to the first 200 answer of a
# default predict-price request, for `serve` (polling the port every millisecond from exec on) and for
# the Lambda runtime's init (a stand-in Runtime API on loopback hands out one API Gateway event; the
# time is when the function posts its response). Median of RUNS starts each (default 10, after one
# unmeasured start that warms the page cache), for the default first load (MODELS_LOAD=fast) and, in
# the same run, for the previous load order (MODELS_LOAD=eager: every model built and self-checked on
# one low-priority thread before the first answer, as a reload does).
# Usage: scripts/bench-coldstart.sh SERVER_BINARY MODELS OUT_DIR [RUNS]
set -euo pipefail
[[ $# -ge 3 && $# -le 4 ]] || { echo "usage: $0 SERVER_BINARY MODELS OUT_DIR [RUNS]" >&2; exit 2; }
SERVER=$(realpath "$1"); MODELS=$(realpath "$2"); OUT=$(realpath -m "$3"); RUNS=${4:-10}
mkdir -p "$OUT"
exec python3 - "$SERVER" "$MODELS" "$OUT" "$RUNS" <<'PY'
import http.server, json, os, socket, statistics, subprocess, sys, threading, time

server, models, out, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
STOCKCODE = "85123A"
PATH = f"/v1/predict-price/{STOCKCODE}"

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def environment(extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("MODELS", "REDIS_URL")}
    env.update({"LOG_LEVEL": "warning", "MODELS_CACHE_DIR": os.path.join(out, "cache")}, **extra)
    return env

def ask(port):
    """The status of one default predict-price request, or None when nothing listens yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(f"GET {PATH} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
            head = b""
            while b"\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    return None
                head += chunk
            status = int(head.split(b" ", 2)[1])
            if status == 200:  # read the whole answer: the first answer, not the first header
                while s.recv(65536):
                    pass
            return status
    except (ConnectionRefusedError, ConnectionResetError):
        return None

def serve_once(extra):
    port = free_port()
    start = time.perf_counter()
    process = subprocess.Popen([server, "serve", "--host", "127.0.0.1", "--port", str(port), "--models", models],
                               env=environment(extra), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            if ask(port) == 200:
                return time.perf_counter() - start
            if process.poll() is not None:
                raise SystemExit(f"serve exited: {process.stderr.read().decode()[-2000:]}")
            if time.perf_counter() - start > 60:
                raise SystemExit("serve did not answer within 60 s")
            time.sleep(0.001)
    finally:
        process.terminate()
        process.wait()

def api_gateway_event():
    return json.dumps({
        "version": "2.0", "routeKey": "$default", "rawPath": PATH, "rawQueryString": "",
        "headers": {"host": "bench.lambda-url.eu-west-1.on.aws", "accept": "application/json"},
        "requestContext": {"http": {"method": "GET", "path": PATH, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                                     "userAgent": "bench"}, "requestId": "bench", "stage": "$default",
                           "domainName": "bench.lambda-url.eu-west-1.on.aws", "timeEpoch": 0},
        "isBase64Encoded": False}).encode()

class RuntimeAPI(http.server.BaseHTTPRequestHandler):
    """The Lambda Runtime API (2018-06-01): one event, then `next` is held until the function is ended."""
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def do_GET(self):
        if self.path != "/2018-06-01/runtime/invocation/next":
            return self.reply(404, b"{}")
        run = self.server.run
        if run["handed_out"]:
            run["done"].wait(60)
            return self.reply(500, b"{}")
        run["handed_out"] = True
        body = api_gateway_event()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-request")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:000000000000:function:bench")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        run = self.server.run
        if self.path.endswith("/response"):
            run["answered"] = time.perf_counter()
            run["status"] = json.loads(body).get("statusCode")
        else:
            run["error"] = body.decode(errors="replace")
        self.reply(202, b'{"status":"OK"}')
        run["done"].set()
    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

class RuntimeAPIServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    def handle_error(self, request, client_address):
        pass  # the function is ended while its next `next` is held: not an error of the measurement

def lambda_once(extra):
    api = RuntimeAPIServer(("127.0.0.1", 0), RuntimeAPI)
    api.run = {"handed_out": False, "done": threading.Event()}
    threading.Thread(target=api.serve_forever, daemon=True).start()
    env = environment({"AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api.server_address[1]}", "MODELS": models, **extra})
    start = time.perf_counter()
    process = subprocess.Popen([server, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if not api.run["done"].wait(60):
            raise SystemExit("the function did not answer within 60 s")
        if "error" in api.run or api.run.get("status") != 200:
            raise SystemExit(f"the function failed: {api.run}: {process.stderr.read1(4000).decode(errors='replace')}")
        return api.run["answered"] - start
    finally:
        process.terminate()
        process.wait()
        api.shutdown()
        api.server_close()

paths = [("fast (default)", {"MODELS_LOAD": "fast"}), ("previous (MODELS_LOAD=eager)", {"MODELS_LOAD": "eager"})]
results = {}
for name, extra in paths:
    for kind, once in (("serve", serve_once), ("lambda init", lambda_once)):
        once(extra)  # warm the page cache; not counted
        samples = []
        for _ in range(runs):
            samples.append(once(extra))
        results[f"{kind}, {name}"] = samples
        print(f"cold start to first answer, {kind:11s}, {name:28s}: median {statistics.median(samples) * 1000:6.1f} ms "
              f"(min {min(samples) * 1000:.1f}, max {max(samples) * 1000:.1f}, {runs} starts)", flush=True)
json.dump({k: {"median_ms": statistics.median(v) * 1000, "samples_ms": [s * 1000 for s in v]} for k, v in results.items()},
          open(os.path.join(out, "coldstart.json"), "w"), indent=1)
PY
