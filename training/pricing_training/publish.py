"""Publishing a version folder to where the service reads it: a local models root, an HTTP(S) base URL
(PUT per object) or S3 (`s3://bucket/prefix`). The article's `s3_upload`, in an order that never shows a
reader a half-published version.

The target gets the models-root layout of `models/README.md`: `<root>/<version>/<file>` for every file
the manifest lists, `<root>/<version>/manifest.json`, and `<root>/LATEST`. The steps:

1. verify the local version against its own manifest (size and sha256 of every listed file); a damaged
   version is refused, naming the file, before anything is written;
2. upload every listed file, then manifest.json.sig (the ed25519 signature of the manifest's bytes,
   made with the signing key when one is given, else the one already next to the local manifest), then
   manifest.json (a folder without a manifest is not a version);
3. unless `latest=False`, overwrite LATEST with the version name, last.

Republishing an identical version writes nothing: S3 objects carry their sha256 as user metadata
(`x-amz-meta-sha256`) and are skipped when size and hash already match; over HTTP the files are skipped
when the target's manifest.json is byte-identical (it is only written after all of them) and each
file's size matches; a local copy is skipped when it verifies. Every failure is a `PublishError` whose
message names the location and the object.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .checksum import sha256_file
from .signing import SIGNATURE_FILE, signature_for, signer_of, verify

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
LATEST = "LATEST"

_CONTENT_TYPES = {".json": "application/json", ".gz": "application/gzip", ".md": "text/markdown; charset=utf-8",
                  ".txt": "text/plain; charset=utf-8", ".safetensors": "application/octet-stream"}


class PublishError(Exception):
    """A version could not be published; the message names the location and the object."""


@dataclass
class LocalVersion:
    """A version folder checked against its manifest."""

    folder: Path
    version: str
    manifest_bytes: bytes
    files: dict[str, dict]  # name -> {"sha256", "bytes"}, in manifest order
    signature: bytes | None = None  # manifest.json.sig, written just before manifest.json

    def tail(self) -> list[tuple[str, bytes]]:
        """What follows the listed files, in write order: the signature (if any), then the manifest."""
        return ([(SIGNATURE_FILE, self.signature)] if self.signature is not None else []) + [(MANIFEST, self.manifest_bytes)]

    def read(self, name: str) -> bytes:
        """The bytes of a listed file, re-checked so that what is uploaded is what was verified."""
        try:
            data = (self.folder / name).read_bytes()
        except OSError as exc:
            raise PublishError(f"{self.folder / name}: cannot read ({exc.strerror or exc}) while publishing") from None
        meta = self.files[name]
        if len(data) != meta["bytes"] or hashlib.sha256(data).hexdigest() != meta["sha256"]:
            raise PublishError(f"{self.folder / name} changed while publishing; nothing more was uploaded")
        return data


@dataclass
class PublishResult:
    location: str
    version: str
    uploaded: list[str] = field(default_factory=list)  # object names relative to the root, in write order
    unchanged: list[str] = field(default_factory=list)
    latest_updated: bool = False

    def summary(self) -> str:
        latest = "LATEST updated" if self.latest_updated else "LATEST unchanged"
        return (f"published {self.version} to {self.location}: {len(self.uploaded)} object(s) written, "
                f"{len(self.unchanged)} unchanged, {latest}")


def _check_name(name: str, folder: Path) -> None:
    parts = name.split("/")
    if (not name or name.startswith("/") or "\\" in name or any(p in ("", ".", "..") for p in parts)
            or name in (MANIFEST, LATEST, SIGNATURE_FILE)):
        raise PublishError(f"{folder / MANIFEST}: unsafe file name {name!r} in 'files'")


def verify_local(path: Path) -> LocalVersion:
    """Reads and checks a version folder (or the version a models root's LATEST names). Raises
    PublishError naming the first missing or damaged file."""
    folder = Path(path)
    if not (folder / MANIFEST).is_file() and (folder / LATEST).is_file():
        folder = folder / (folder / LATEST).read_text().strip()
    manifest_path = folder / MANIFEST
    try:
        manifest_bytes = manifest_path.read_bytes()
    except OSError as exc:
        raise PublishError(f"{manifest_path}: cannot read the manifest ({exc.strerror or exc}); "
                           "not a version folder") from None
    try:
        doc = json.loads(manifest_bytes)
    except ValueError as exc:
        raise PublishError(f"{manifest_path}: not valid JSON ({exc})") from None
    version = doc.get("model_version") if isinstance(doc, dict) else None
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(version, str) or not version or "/" in version or version in (".", "..") \
            or version.startswith("."):
        raise PublishError(f"{manifest_path}: missing or unusable model_version {version!r}")
    if not isinstance(files, dict) or not files:
        raise PublishError(f"{manifest_path}: no 'files' to publish")
    if folder.name != version:
        log.warning("%s holds version %s; publishing it under its manifest's name", folder, version)
    checked: dict[str, dict] = {}
    for name, meta in files.items():
        _check_name(name, folder)
        if not isinstance(meta, dict) or not isinstance(meta.get("sha256"), str) \
                or not isinstance(meta.get("bytes"), int):
            raise PublishError(f"{manifest_path}: entry for {name} lacks sha256/bytes")
        file = folder / name
        if not file.is_file():
            raise PublishError(f"{file}: listed in the manifest but missing; refusing to publish a damaged version")
        size = file.stat().st_size
        if size != meta["bytes"]:
            raise PublishError(f"{file}: {size} bytes, the manifest says {meta['bytes']}; "
                               "refusing to publish a damaged version")
        digest = sha256_file(file)
        if digest != meta["sha256"].lower():
            raise PublishError(f"{file}: sha256 {digest} does not match the manifest's {meta['sha256']}; "
                               "refusing to publish a damaged version")
        checked[name] = {"sha256": meta["sha256"].lower(), "bytes": meta["bytes"]}
    signature = (folder / SIGNATURE_FILE).read_bytes() if (folder / SIGNATURE_FILE).is_file() else None
    return LocalVersion(folder, version, manifest_bytes, checked, signature)


def content_type(name: str) -> str:
    if name == LATEST:
        return "text/plain; charset=utf-8"
    return _CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")


# --- targets ---------------------------------------------------------------------------------------------

class Target:
    """Where a version goes. `publish` drives it: `current_latest`, `store_version`, `write_latest`."""

    location: str

    def current_latest(self) -> str | None:
        """What LATEST names now (None when absent or unknowable); also a reachability check."""
        raise NotImplementedError

    def store_version(self, local: LocalVersion, result: PublishResult) -> None:
        """Writes every listed file, then manifest.json, skipping what is already identical."""
        raise NotImplementedError

    def write_latest(self, version: str) -> None:
        raise NotImplementedError


class FolderTarget(Target):
    """A models root on a local (or mounted) file system. The version is assembled in a hidden
    `.<version>.partial-*` folder and renamed into place; LATEST is replaced atomically (tmp + rename)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.location = str(self.root)

    def current_latest(self) -> str | None:
        try:
            return (self.root / LATEST).read_text().strip() or None
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise PublishError(f"{self.root / LATEST}: cannot read ({exc.strerror or exc})") from None

    def _identical(self, local: LocalVersion) -> bool:
        dest = self.root / local.version
        try:
            if (dest / MANIFEST).read_bytes() != local.manifest_bytes:
                return False
            dest_sig = (dest / SIGNATURE_FILE).read_bytes() if (dest / SIGNATURE_FILE).is_file() else None
            if dest_sig != local.signature:
                return False
            return verify_local(dest).files == local.files
        except (OSError, PublishError):
            return False

    def store_version(self, local: LocalVersion, result: PublishResult) -> None:
        dest = self.root / local.version
        if dest.is_dir() and self._identical(local):
            result.unchanged += [f"{local.version}/{n}" for n in [*local.files, *(n for n, _ in local.tail())]]
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{local.version}.partial-", dir=self.root))
        except OSError as exc:
            raise PublishError(f"{self.root}: cannot create a staging folder ({exc.strerror or exc})") from None
        try:
            staging.chmod(0o755)
            for name, data in [*((n, None) for n in local.files), *local.tail()]:
                data = local.read(name) if data is None else data
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True)
                _write_synced(target, data)
                result.uploaded.append(f"{local.version}/{name}")
            for d in staging.rglob("*"):
                if d.is_dir():
                    d.chmod(0o755)
            if dest.exists():
                # No atomic swap of two non-empty folders: move the old one aside, then rename in.
                log.warning("%s exists with different contents; replacing it", dest)
                old = Path(tempfile.mkdtemp(prefix=f".{local.version}.old-", dir=self.root))
                dest.rename(old / "v")
                staging.rename(dest)
                shutil.rmtree(old, ignore_errors=True)
            else:
                staging.rename(dest)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise PublishError(f"{dest}: cannot write the version ({exc.strerror or exc})") from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def write_latest(self, version: str) -> None:
        tmp = self.root / f".{LATEST}.tmp-{os.getpid()}"
        try:
            _write_synced(tmp, (version + "\n").encode())
            os.replace(tmp, self.root / LATEST)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise PublishError(f"{self.root / LATEST}: cannot write ({exc.strerror or exc})") from None


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    path.chmod(0o644)


class HTTPTarget(Target):
    """A base URL taking HTTP PUT per object (WebDAV, nginx dav, a presigned-style store). The base URL's
    query string (e.g. a token) is kept on every request, `user:password@` becomes Basic auth, and a PUT
    answered 409 Conflict (WebDAV: missing parent collection) creates the collections with MKCOL."""

    def __init__(self, url: str, headers: dict[str, str] | None = None, timeout: float = 30.0,
                 retries: int = 3, backoff: float = 0.5):
        parts = urllib.parse.urlsplit(url)
        self.headers = dict(headers or {})
        if parts.username is not None:
            cred = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            self.headers.setdefault("Authorization", "Basic " + base64.b64encode(cred.encode()).decode())
            host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else (parts.hostname or "")
            netloc = host + (f":{parts.port}" if parts.port else "")
        else:
            netloc = parts.netloc
        self._scheme, self._netloc, self._base_path, self._query = (parts.scheme, netloc,
                                                                    parts.path.rstrip("/"), parts.query)
        self.location = urllib.parse.urlunsplit((parts.scheme, netloc, self._base_path, "", ""))
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self._collections: set[str] = set()

    def url(self, key: str, collection: bool = False) -> str:
        path = self._base_path + "/" + "/".join(urllib.parse.quote(p, safe="") for p in key.split("/"))
        path += "/" if collection else ""
        return urllib.parse.urlunsplit((self._scheme, self._netloc, path, self._query, ""))

    def _request(self, method: str, key: str, body: bytes | None = None,
                 extra: dict[str, str] | None = None, collection: bool = False) -> tuple[int, bytes, dict]:
        """One request with retries on connection errors, timeouts, 408, 429 and 5xx. Returns the status,
        body and headers of the final answer (any status); raises PublishError when unreachable."""
        url = self.url(key, collection)
        headers = {**self.headers, **(extra or {})}
        last, unreachable = "", False
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            req = urllib.request.Request(url, data=body, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return resp.status, resp.read(), dict(resp.headers)
            except urllib.error.HTTPError as exc:
                status, data, hdrs = exc.code, exc.read(), dict(exc.headers or {})
                if status not in (408, 429) and status < 500:
                    return status, data, hdrs
                last, unreachable = f"HTTP {status} {exc.reason}", False
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                last = reason if isinstance(reason, str) else f"{type(reason).__name__}: {reason}"
                unreachable = True
            log.warning("%s %s: %s (attempt %d of %d)", method, _redact(url), last, attempt + 1, self.retries + 1)
        what = "cannot reach the server" if unreachable else "the server keeps failing"
        raise PublishError(f"{self.location}: {what}: {method} {_redact(url)} failed after {self.retries + 1} "
                           f"attempt(s): {last}")

    def current_latest(self) -> str | None:
        status, body, _ = self._request("GET", LATEST)
        if status == 200:
            return body.decode("utf-8", "replace").strip() or None
        return None  # absent, or a write-only store: LATEST is simply written

    def _remote_size(self, key: str) -> int | None:
        status, _, headers = self._request("HEAD", key)
        length = {k.lower(): v for k, v in headers.items()}.get("content-length")
        return int(length) if status == 200 and length and length.isdigit() else None

    def store_version(self, local: LocalVersion, result: PublishResult) -> None:
        v = local.version
        status, remote_manifest, _ = self._request("GET", f"{v}/{MANIFEST}")
        same_manifest = status == 200 and remote_manifest == local.manifest_bytes
        for name, meta in local.files.items():
            key = f"{v}/{name}"
            if same_manifest and self._remote_size(key) == meta["bytes"]:
                result.unchanged.append(key)
                continue
            self.put(key, local.read(name))
            result.uploaded.append(key)
        for name, data in local.tail():
            key = f"{v}/{name}"
            if name == SIGNATURE_FILE:
                status, remote, _ = self._request("GET", key)
                unchanged = status == 200 and remote == data
            else:
                unchanged = same_manifest and not result.uploaded
            if unchanged:
                result.unchanged.append(key)
            else:
                self.put(key, data)
                result.uploaded.append(key)

    def put(self, key: str, data: bytes) -> None:
        headers = {"Content-Type": content_type(key.rsplit("/", 1)[-1]),
                   "X-Checksum-Sha256": hashlib.sha256(data).hexdigest()}
        if key == LATEST:
            headers["Cache-Control"] = "no-cache"
        status, body, _ = self._request("PUT", key, data, headers)
        if status == 409 and "/" in key:  # WebDAV: the parent collection does not exist yet
            self._make_collections(key)
            status, body, _ = self._request("PUT", key, data, headers)
        if status not in (200, 201, 204):
            hint = " (check the credentials or token)" if status in (401, 403) else ""
            text = body[:200].decode("utf-8", "replace").strip()
            raise PublishError(f"PUT {_redact(self.url(key))}: HTTP {status}{hint}" + (f": {text}" if text else ""))

    def _make_collections(self, key: str) -> None:
        parts = key.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            coll = "/".join(parts[:i])
            if coll in self._collections:
                continue
            status, _, _ = self._request("MKCOL", coll, collection=True)
            if status not in (200, 201, 204, 405):  # 405: it already exists
                raise PublishError(f"MKCOL {_redact(self.url(coll, True))}: HTTP {status}")
            self._collections.add(coll)

    def write_latest(self, version: str) -> None:
        self.put(LATEST, (version + "\n").encode())


def _redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(query="…" if parts.query else ""))


class S3Target(Target):
    """`s3://bucket/prefix` through boto3. Credentials come from the standard chain (environment, shared
    config/credentials files, SSO, instance roles); the endpoint from `endpoint_url` or the standard
    AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, with path-style addressing whenever an endpoint is set
    (MinIO, moto, Ceph...). Objects carry `x-amz-meta-sha256` so republishing skips identical ones."""

    def __init__(self, url: str, endpoint_url: str | None = None, timeout: float = 30.0, retries: int = 3):
        import boto3
        from botocore.config import Config

        parts = urllib.parse.urlsplit(url)
        if not parts.netloc:
            raise PublishError(f"{url}: no bucket (expected s3://bucket/prefix)")
        self.bucket, self.prefix = parts.netloc, parts.path.strip("/")
        self.location = f"s3://{self.bucket}" + (f"/{self.prefix}" if self.prefix else "")
        endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        options = {"connect_timeout": timeout, "read_timeout": timeout,
                   "retries": {"max_attempts": retries + 1, "mode": "standard"}}
        if endpoint:
            # S3-compatible stores: bucket in the path, and only the checksums they are sure to accept.
            options.update(s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                           response_checksum_validation="when_required")
        self.endpoint = endpoint
        try:
            self.client = boto3.session.Session().client("s3", endpoint_url=endpoint or None,
                                                          config=Config(**options))
        except Exception as exc:  # bad endpoint URL, bad profile, no region...
            raise PublishError(f"{self.location}: cannot create an S3 client ({exc})") from None

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def _error(self, action: str, name: str, exc: Exception) -> PublishError:
        from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, \
            PartialCredentialsError

        where = f"{action} s3://{self.bucket}/{self.key(name)}" + (f" (endpoint {self.endpoint})" if self.endpoint else "")
        if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
            return PublishError(f"{where}: no usable AWS credentials ({exc}); set AWS_ACCESS_KEY_ID and "
                                "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or another source of the standard chain")
        if isinstance(exc, ClientError):
            err = exc.response.get("Error", {})
            code = err.get("Code", "?")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            hint = ""
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
                        "TokenRefreshRequired", "InvalidClientTokenId"):
                hint = "; bad or expired credentials"
            elif code == "AccessDenied":
                hint = "; the credentials are not allowed to do this"
            elif code == "NoSuchBucket":
                hint = f"; bucket {self.bucket} does not exist"
            return PublishError(f"{where}: {code} (HTTP {status}){hint}: {err.get('Message', '')}".rstrip(": "))
        if isinstance(exc, EndpointConnectionError):
            return PublishError(f"{where}: cannot reach the endpoint ({exc})")
        return PublishError(f"{where}: {type(exc).__name__}: {exc}")

    def _call(self, action: str, name: str, fn, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(**kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise self._error(action, name, exc) from None

    def current_latest(self) -> str | None:
        from botocore.exceptions import ClientError

        try:
            # GET rather than HEAD: a GET error carries S3's error code (InvalidAccessKeyId, NoSuchBucket...).
            body = self.client.get_object(Bucket=self.bucket, Key=self.key(LATEST))["Body"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404"):
                return None
            if code == "AccessDenied":  # without s3:ListBucket a missing key reads as AccessDenied
                log.warning("%s", self._error("GET", LATEST, exc))
                return None
            raise self._error("GET", LATEST, exc) from None
        except Exception as exc:  # noqa: BLE001 - botocore errors, mapped to a message
            raise self._error("GET", LATEST, exc) from None
        return body.decode("utf-8", "replace").strip() or None

    def _matches(self, name: str, meta: dict) -> bool:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound", "403"):
                return False  # absent (403: absent without s3:ListBucket, or not readable): upload it
            raise self._error("HEAD", name, exc) from None
        except Exception as exc:  # noqa: BLE001
            raise self._error("HEAD", name, exc) from None
        return head.get("ContentLength") == meta["bytes"] and head.get("Metadata", {}).get("sha256") == meta["sha256"]

    def put(self, name: str, data: bytes, cache_control: str | None = None) -> None:
        kwargs = {"Bucket": self.bucket, "Key": self.key(name), "Body": data, "ContentType": content_type(
            name.rsplit("/", 1)[-1]), "Metadata": {"sha256": hashlib.sha256(data).hexdigest()}}
        if cache_control:
            kwargs["CacheControl"] = cache_control
        self._call("PUT", name, self.client.put_object, **kwargs)

    def store_version(self, local: LocalVersion, result: PublishResult) -> None:
        v = local.version
        tail = {name: data for name, data in local.tail()}
        metas = [*local.files.items(), *((name, {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
                                         for name, data in tail.items())]
        for name, meta in metas:
            key = f"{v}/{name}"
            if self._matches(key, meta):
                result.unchanged.append(key)
                continue
            self.put(key, tail[name] if name in tail else local.read(name))
            result.uploaded.append(key)

    def write_latest(self, version: str) -> None:
        self.put(LATEST, (version + "\n").encode(), cache_control="no-cache")


def target_for(location: str, *, endpoint_url: str | None = None, headers: dict[str, str] | None = None,
               timeout: float = 30.0, retries: int = 3, backoff: float = 0.5) -> Target:
    """The target a `--to` location names: `s3://bucket/prefix`, `http(s)://base`, `file://path` or a path."""
    scheme = urllib.parse.urlsplit(location).scheme.lower()
    if scheme == "s3":
        return S3Target(location, endpoint_url=endpoint_url, timeout=timeout, retries=retries)
    if scheme in ("http", "https"):
        return HTTPTarget(location, headers=headers, timeout=timeout, retries=retries, backoff=backoff)
    if scheme == "file":
        return FolderTarget(Path(urllib.parse.unquote(urllib.parse.urlsplit(location).path)))
    if scheme and len(scheme) > 1:  # one letter: a Windows drive
        raise PublishError(f"{location}: unsupported location (use a folder, http(s)://, file:// or s3://)")
    return FolderTarget(Path(location))


def publish(version_dir: Path, location: str | Target, *, latest: bool = True, signing_key=None,
            **target_options) -> PublishResult:
    """Verifies `version_dir`, uploads its files, then the manifest's signature, then the manifest, then
    (when `latest`) LATEST. `signing_key` (an Ed25519PrivateKey) signs the manifest's bytes; without it the
    version's own manifest.json.sig is published, and a version with neither goes out unsigned (the
    service refuses it unless allow_unsigned_artifacts is set), with a warning."""
    local = verify_local(Path(version_dir))  # before touching the target: a damaged version uploads nothing
    if signing_key is not None:
        local.signature = signature_for(local.manifest_bytes, signing_key)
    elif local.signature is not None:
        # A stale signature would only be refused by every replica: catch it here, before uploading.
        signer = signer_of(local.signature)
        if signer is None or not verify(local.manifest_bytes, local.signature, [signer]):
            raise PublishError(f"{local.folder / SIGNATURE_FILE}: does not sign this manifest.json (it changed after "
                               "signing?); sign the version again or pass --signing-key")
    else:
        log.warning("%s is unsigned and no signing key was given (--signing-key or $PRICING_SIGNING_KEY); "
                    "the service refuses unsigned versions unless allow_unsigned_artifacts is set", local.version)
    target = location if isinstance(location, Target) else target_for(location, **target_options)
    result = PublishResult(target.location, local.version)
    log.info("publishing %s (%d files) from %s to %s", local.version, len(local.files), local.folder, target.location)
    current = target.current_latest()
    target.store_version(local, result)
    if latest and current != local.version:
        target.write_latest(local.version)
        result.uploaded.append(LATEST)
        result.latest_updated = True
    log.info("%s", result.summary())
    return result
