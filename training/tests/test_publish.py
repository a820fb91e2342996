"""Publishing a version to a folder, an HTTP PUT server and S3 (moto's server mode), all real servers on
loopback: what arrives is byte-identical, readers see files before manifest.json before LATEST, a damaged
version uploads nothing, unreachable targets and bad credentials give clear errors, republishing writes
nothing."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pricing_training import cli
from pricing_training.publish import PublishError, publish, verify_local
from pricing_training.signing import SigningError, generate_key, load_key, signature_for, verify

# boto3 and moto are in the locked environment (make python-deps); a missing one is an install error.
import boto3  # noqa: E402
import moto  # noqa: E402,F401

REPO = Path(__file__).resolve().parents[2]
BUCKET = "pricing-models"


# --- a small version with a valid manifest ---------------------------------------------------------------

def make_version(root: Path, version: str, seed: int = 0) -> Path:
    folder = root / version
    files = {"network.safetensors": 20_000, "lightgbm.txt": 3_000, "svr.safetensors": 5_000,
             "elasticnet.safetensors": 400, "features/products.json.gz": 2_000,
             "features/context-000.safetensors.gz": 9_000, "features/context-001.safetensors.gz": 7_000,
             "golden.json": 1_500, "report.md": 800, "report.json": 600}
    listed = {}
    for i, (name, size) in enumerate(files.items()):
        data = hashlib.shake_256(f"{version}/{name}/{seed}".encode()).digest(size)
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        listed[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": size}
    manifest = {"format_version": 1, "model_version": version, "files": dict(sorted(listed.items()))}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return folder


@pytest.fixture
def version(tmp_path) -> Path:
    return make_version(tmp_path / "local", "v1-test-full-00c0ffee")


def listed_files(folder: Path) -> list[str]:
    return list(json.loads((folder / "manifest.json").read_text())["files"])


def assert_reader_order(written: list[str], version: Path, prefix: str = "", signed: bool = False) -> None:
    """Every listed file before manifest.json (its signature, when `signed`, just before it),
    manifest.json before LATEST, LATEST last."""
    v = version.name
    names = [w[len(prefix):] for w in written]
    manifest_at = names.index(f"{v}/manifest.json")
    files_end = manifest_at - 1 if signed else manifest_at
    if signed:
        assert names[files_end] == f"{v}/manifest.json.sig"
    assert {f"{v}/{f}" for f in listed_files(version)} == set(names[:files_end])
    assert names[manifest_at + 1:] == ["LATEST"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args: str, capsys) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- a WebDAV-like HTTP server ---------------------------------------------------------------------------

class DavServer:
    """PUT/GET/HEAD/MKCOL into a folder. Like WebDAV, a PUT whose parent collection is missing gets 409.
    `fail_puts` answers that many PUTs 503 first; `log` records (method, path) of successful writes."""

    def __init__(self, root: Path):
        self.root, self.log, self.requests, self.fail_puts = root, [], [], 0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _path(self) -> Path:
                rel = self.path.split("?", 1)[0].lstrip("/")
                assert rel.startswith("models/") or rel == "models/", rel
                return outer.root / rel[len("models/"):]

            def _reply(self, status: int, body: bytes = b"", head: bool = False):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def do_GET(self, head: bool = False):
                with outer.lock:
                    outer.requests.append((self.command, self.path))
                p = self._path()
                if p.is_file():
                    self._reply(200, p.read_bytes(), head)
                else:
                    self._reply(404, b"", head)

            def do_HEAD(self):
                self.do_GET(head=True)

            def do_MKCOL(self):
                p = self._path()
                with outer.lock:
                    outer.requests.append((self.command, self.path))
                    if p.exists():
                        return self._reply(405)
                    if not p.parent.is_dir():
                        return self._reply(409)
                    p.mkdir()
                    outer.log.append(("MKCOL", self.path))
                self._reply(201)

            def do_PUT(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                p = self._path()
                with outer.lock:
                    outer.requests.append((self.command, self.path))
                    if outer.fail_puts:
                        outer.fail_puts -= 1
                        return self._reply(503, b"try again")
                    if not p.parent.is_dir():
                        return self._reply(409, b"parent collection missing")
                    assert hashlib.sha256(body).hexdigest() == self.headers["X-Checksum-Sha256"]
                    p.write_bytes(body)
                    outer.log.append(("PUT", self.path.split("?", 1)[0]))
                self._reply(201)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/models"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def puts(self) -> list[str]:
        return [p[len("/models/"):] for m, p in self.log if m == "PUT"]


@pytest.fixture
def dav(tmp_path):
    root = tmp_path / "dav"
    root.mkdir()
    server = DavServer(root)
    yield server
    server.server.shutdown()
    server.server.server_close()


# --- moto's S3 server, with a record of the objects written in order ------------------------------------

@pytest.fixture(scope="module")
def s3_server():
    from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    writes: list[tuple[str, str]] = []
    moto_app = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):  # records, in arrival order, every successful object write
        def recording_start(status, headers, exc_info=None):
            if environ["REQUEST_METHOD"] in ("PUT", "POST", "DELETE") and status.startswith("2"):
                writes.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
            return start_response(status, headers, exc_info)
        return moto_app(environ, recording_start)

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with pytest.MonkeyPatch.context() as mp:
        for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            mp.delenv(var, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.setenv("AWS_CONFIG_FILE", "/nonexistent")
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        client = boto3.client("s3", endpoint_url=endpoint)
        client.create_bucket(Bucket=BUCKET)
        yield endpoint, client, writes
    server.shutdown()
    server.server_close()


def object_puts(writes, since: int, prefix: str) -> list[str]:
    start = f"/{BUCKET}/{prefix}"
    return [p[len(start):] for m, p in writes[since:] if m == "PUT" and p.startswith(start)]


# --- folder ---------------------------------------------------------------------------------------------

def test_publish_to_folder_is_complete_atomic_and_idempotent(version, tmp_path, capsys):
    target = tmp_path / "served"
    code, out, _ = run_cli("publish", "--version-dir", str(version), "--to", str(target), capsys=capsys)
    assert code == 0 and "LATEST updated" in out
    assert (target / "LATEST").read_text() == version.name + "\n"
    assert verify_local(target / version.name).files == verify_local(version).files
    assert (target / version.name / "manifest.json").read_bytes() == (version / "manifest.json").read_bytes()
    assert sorted(p.name for p in target.iterdir()) == ["LATEST", version.name]  # no staging or tmp left

    again = publish(version, str(target))
    assert again.uploaded == [] and not again.latest_updated

    # A second version without --no-latest moves LATEST; with it, LATEST stays.
    v2 = make_version(tmp_path / "local", "v1-test-full-0000beef")
    assert run_cli("publish", "--version-dir", str(v2), "--to", str(target), "--no-latest", capsys=capsys)[0] == 0
    assert (target / "LATEST").read_text() == version.name + "\n" and (target / v2.name / "manifest.json").is_file()
    publish(v2, f"file://{target}")
    assert (target / "LATEST").read_text() == v2.name + "\n"


def test_publish_the_committed_version_to_folder(tmp_path):
    root = REPO / "models"
    assert (root / "LATEST").is_file(), "the committed models/ is missing"
    result = publish(root, str(tmp_path))  # a models root means the version its LATEST names
    name = (root / "LATEST").read_text().strip()
    assert result.version == name and (tmp_path / "LATEST").read_text().strip() == name
    assert verify_local(tmp_path / name).files == verify_local(root / name).files


# --- HTTP -----------------------------------------------------------------------------------------------

def test_publish_over_http_put_in_reader_order(version, dav, capsys):
    code, out, err = run_cli("publish", "--version-dir", str(version), "--to", dav.url, capsys=capsys)
    assert code == 0, err
    assert_reader_order(dav.puts(), version)
    assert ("MKCOL", f"/models/{version.name}/features/") in dav.log  # WebDAV: collections made on 409
    assert verify_local(dav.root / version.name).files == verify_local(version).files
    assert (dav.root / "LATEST").read_text() == version.name + "\n"

    dav.log.clear()
    again = publish(version, dav.url)
    assert dav.log == [] and again.uploaded == [] and len(again.unchanged) == len(listed_files(version)) + 1


def test_http_retries_server_errors_and_keeps_the_query_string(version, dav):
    dav.fail_puts = 2
    publish(version, dav.url + "?token=abc", retries=3, backoff=0.01)
    assert all("?token=abc" in p for m, p in dav.requests)
    assert_reader_order(dav.puts(), version)


# --- S3 -------------------------------------------------------------------------------------------------

def test_publish_to_s3_in_reader_order_with_sha256_metadata(version, s3_server, capsys):
    endpoint, client, writes = s3_server
    since = len(writes)
    code, out, err = run_cli("publish", "--version-dir", str(version), "--to", f"s3://{BUCKET}/prod/models",
                             "--endpoint-url", endpoint, capsys=capsys)
    assert code == 0, err
    assert_reader_order(object_puts(writes, since, "prod/models/"), version)

    manifest = json.loads((version / "manifest.json").read_text())
    for name, meta in manifest["files"].items():
        obj = client.get_object(Bucket=BUCKET, Key=f"prod/models/{version.name}/{name}")
        assert obj["Metadata"]["sha256"] == meta["sha256"]
        assert hashlib.sha256(obj["Body"].read()).hexdigest() == meta["sha256"]
    assert client.get_object(Bucket=BUCKET, Key="prod/models/LATEST")["Body"].read() == f"{version.name}\n".encode()

    since = len(writes)
    again = publish(version, f"s3://{BUCKET}/prod/models", endpoint_url=endpoint)
    assert writes[since:] == [] and again.uploaded == [] and not again.latest_updated

    # One changed object is found by its metadata and rewritten alone (then manifest and LATEST stay).
    client.put_object(Bucket=BUCKET, Key=f"prod/models/{version.name}/report.md", Body=b"tampered")
    since = len(writes)
    fixed = publish(version, f"s3://{BUCKET}/prod/models", endpoint_url=endpoint)
    assert fixed.uploaded == [f"{version.name}/report.md"]


def test_s3_endpoint_from_the_standard_env_and_no_latest(version, s3_server, monkeypatch, capsys):
    endpoint, client, writes = s3_server
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    since = len(writes)
    code, _, err = run_cli("publish", "--version-dir", str(version), "--to", f"s3://{BUCKET}", "--no-latest",
                           capsys=capsys)
    assert code == 0, err
    puts = object_puts(writes, since, "")
    assert "LATEST" not in puts and puts[-1] == f"{version.name}/manifest.json"


def test_s3_missing_bucket_and_missing_credentials_are_named(version, s3_server, monkeypatch, capsys):
    endpoint, _, writes = s3_server
    code, _, err = run_cli("publish", "--version-dir", str(version), "--to", "s3://no-such-bucket/x",
                           "--endpoint-url", endpoint, capsys=capsys)
    assert code == 2 and "NoSuchBucket" in err and "s3://no-such-bucket/x/LATEST" in err

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code, _, err = run_cli("publish", "--version-dir", str(version), "--to", f"s3://{BUCKET}/y",
                           "--endpoint-url", endpoint, capsys=capsys)
    assert code == 2 and "no usable AWS credentials" in err and f"s3://{BUCKET}/y/LATEST" in err


@pytest.fixture(scope="module")
def strict_moto():
    """A moto_server that checks credentials (INITIAL_NO_AUTH_ACTION_COUNT=0): unknown keys are refused."""
    exe = Path(sys.executable).with_name("moto_server")
    assert exe.exists(), f"{exe} is missing: run make python-deps"
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            time.sleep(0.05)
        else:
            pytest.fail("moto_server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_bad_s3_credentials_say_so_with_the_error_code(version, s3_server, strict_moto, capsys):
    code, _, err = run_cli("publish", "--version-dir", str(version), "--to", f"s3://{BUCKET}/prod",
                           "--endpoint-url", strict_moto, "--retries", "0", capsys=capsys)
    assert code == 2 and "InvalidAccessKeyId" in err and "bad or expired credentials" in err, err
    assert f"s3://{BUCKET}/prod/LATEST" in err


# --- refusals and unreachable targets --------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
def test_damaged_version_is_refused_before_anything_is_written(version, tmp_path, dav, s3_server, damage, capsys):
    endpoint, _, writes = s3_server
    victim = version / "features/context-001.safetensors.gz"
    data = victim.read_bytes()
    if damage == "flip":
        victim.write_bytes(bytes([data[0] ^ 1]) + data[1:])
    elif damage == "truncate":
        victim.write_bytes(data[:-1])
    else:
        victim.unlink()
    since = len(writes)
    for to in (str(tmp_path / "served"), dav.url, f"s3://{BUCKET}/damaged"):
        code, _, err = run_cli("publish", "--version-dir", str(version), "--to", to, "--endpoint-url", endpoint,
                               capsys=capsys)
        assert code == 2 and str(victim) in err and "refusing to publish a damaged version" in err, err
    assert not (tmp_path / "served").exists() and dav.requests == [] and writes[since:] == []


def test_unreachable_targets_give_a_clear_error(version, s3_server, capsys):
    port = free_port()  # nothing listens here
    code, _, err = run_cli("publish", "--version-dir", str(version), "--to", f"http://127.0.0.1:{port}/models",
                           "--retries", "1", "--timeout", "2", capsys=capsys)
    assert code == 2 and "cannot reach the server" in err and f"http://127.0.0.1:{port}/models/LATEST" in err
    code, _, err = run_cli("publish", "--version-dir", str(version), "--to", f"s3://{BUCKET}/p",
                           "--endpoint-url", f"http://127.0.0.1:{port}", "--retries", "0", "--timeout", "2",
                           capsys=capsys)
    assert code == 2 and "cannot reach the endpoint" in err and f"s3://{BUCKET}/p/LATEST" in err


def test_http_errors_name_the_object(version, dav, capsys):
    shutil.rmtree(dav.root)  # the server's root collection is gone: every MKCOL/PUT is refused with 409
    code, _, err = run_cli("publish", "--version-dir", str(version), "--to", dav.url, capsys=capsys)
    assert code == 2 and f"{dav.url}/{version.name}" in err and "HTTP 409" in err, err
    with pytest.raises(PublishError, match="unsupported location"):
        publish(version, "ftp://example.com/models")


# --- signing ----------------------------------------------------------------------------------------------

@pytest.fixture
def key_file(tmp_path, capsys) -> tuple[Path, str]:
    path = tmp_path / "keys" / "signing.key"
    code, out, err = run_cli("keygen", "--out", str(path), capsys=capsys)
    assert code == 0, err
    return path, out.strip()


def test_keygen_writes_a_private_key_0600_and_prints_the_public_key(key_file, capsys):
    path, public = key_file
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(base64.b64decode(public, validate=True)) == 32
    code, _, err = run_cli("keygen", "--out", str(path), capsys=capsys)  # never overwrites a key
    assert code == 2 and "already exists" in err
    path.chmod(0o644)
    with pytest.raises(SigningError, match="readable by others"):
        load_key(path)


def test_publish_signs_the_manifest_bytes_and_writes_the_signature_before_the_manifest(version, key_file, dav,
                                                                                      s3_server, tmp_path, capsys):
    path, public = key_file
    endpoint, client, writes = s3_server
    manifest = (version / "manifest.json").read_bytes()
    since = len(writes)
    for to in (str(tmp_path / "served"), dav.url, f"s3://{BUCKET}/signed"):
        code, _, err = run_cli("publish", "--version-dir", str(version), "--to", to, "--endpoint-url", endpoint,
                               "--signing-key", str(path), capsys=capsys)
        assert code == 0, err
    for folder in (tmp_path / "served" / version.name, dav.root / version.name):
        assert (folder / "manifest.json").read_bytes() == manifest  # the manifest itself is unchanged
        assert verify(manifest, (folder / "manifest.json.sig").read_bytes(), [public])
    sig = client.get_object(Bucket=BUCKET, Key=f"signed/{version.name}/manifest.json.sig")["Body"].read()
    assert verify(manifest, sig, [public])
    assert_reader_order(dav.puts(), version, signed=True)
    assert_reader_order(object_puts(writes, since, "signed/"), version, signed=True)
    assert not (version / "manifest.json.sig").exists()  # publishing leaves the local folder alone


def test_a_signature_fails_for_a_flipped_manifest_byte_and_for_another_key(version, key_file, tmp_path, capsys):
    path, public = key_file
    manifest = (version / "manifest.json").read_bytes()
    sig = signature_for(manifest, load_key(path))
    assert verify(manifest, sig, [public])
    flipped = bytearray(manifest)
    flipped[len(flipped) // 2] ^= 1
    assert not verify(bytes(flipped), sig, [public])
    other = tmp_path / "other.key"
    other_public = generate_key(other)
    assert not verify(manifest, sig, [other_public])
    assert verify(manifest, sig, [other_public, public])  # rotation: either pinned key will do


def test_sign_command_and_the_env_key_and_rotation_republish_only_the_signature(version, key_file, tmp_path,
                                                                                   s3_server, monkeypatch, capsys):
    path, public = key_file
    endpoint, _, writes = s3_server
    monkeypatch.setenv("PRICING_SIGNING_KEY", str(path))
    code, out, err = run_cli("sign", "--version-dir", str(version), capsys=capsys)
    assert code == 0 and public in out, err
    manifest = (version / "manifest.json").read_bytes()
    assert verify(manifest, (version / "manifest.json.sig").read_bytes(), [public])
    # Without a key, publish carries the version's own signature (the compose stack's seeding job does).
    monkeypatch.delenv("PRICING_SIGNING_KEY")
    publish(version, f"s3://{BUCKET}/rotate", endpoint_url=endpoint)
    # Rotation: the same version signed with a new key rewrites the signature and nothing else.
    new_key = tmp_path / "new.key"
    new_public = generate_key(new_key)
    since = len(writes)
    result = publish(version, f"s3://{BUCKET}/rotate", endpoint_url=endpoint, signing_key=load_key(new_key))
    assert result.uploaded == [f"{version.name}/manifest.json.sig"]
    assert object_puts(writes, since, "rotate/") == [f"{version.name}/manifest.json.sig"]
    assert not verify(manifest, signature_for(manifest, load_key(new_key)), [public])
    assert verify(manifest, signature_for(manifest, load_key(new_key)), [new_public])


def test_a_stale_local_signature_is_refused_before_anything_is_written(version, key_file, tmp_path):
    path, _ = key_file
    stale = signature_for((version / "manifest.json").read_bytes(), load_key(path))
    (version / "manifest.json.sig").write_bytes(stale)
    (version / "manifest.json").write_bytes((version / "manifest.json").read_bytes() + b" ")
    with pytest.raises(PublishError, match="does not sign this manifest.json"):
        publish(version, str(tmp_path / "served"))
    assert not (tmp_path / "served").exists()


def test_publishing_an_unsigned_version_warns(version, tmp_path, caplog):
    with caplog.at_level("WARNING"):
        publish(version, str(tmp_path / "served"))
    assert "is unsigned" in caplog.text and "allow_unsigned_artifacts" in caplog.text


def test_the_committed_version_is_signed_by_the_key_config_pins():
    config = json.loads((REPO / "config" / "server.json").read_text())
    folder = REPO / "models" / (REPO / "models" / "LATEST").read_text().strip()
    assert verify((folder / "manifest.json").read_bytes(), (folder / "manifest.json.sig").read_bytes(),
                  config["artifact_public_keys"])
