"""Signing artifact versions: an ed25519 signature of manifest.json's exact bytes, in a detached
`manifest.json.sig` next to it. The manifest lists the size and sha256 of every other file, so signing
it vouches for the whole version; the service loads a version only when the signature verifies with a
public key it pins (`artifact_public_keys`, see docs/security-artifacts.md).

The signature file is JSON: `{"algorithm": "ed25519", "public_key": "<base64>", "signature": "<base64>"}`.
The public key in it only names the signer in the service's messages; trust comes from the pinned keys.

Private keys are PEM (PKCS#8, unencrypted) files written 0600; `keygen` makes one and prints the public
key in base64, the form `artifact_public_keys` takes.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNATURE_FILE = "manifest.json.sig"
ENV_KEY = "PRICING_SIGNING_KEY"


class SigningError(Exception):
    """A key could not be made, read or used; the message names the file."""


def generate_key(path: Path) -> str:
    """Writes a new private key to `path` (0600, refusing to overwrite one) and returns its public key
    in base64."""
    path = Path(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: never replace a key whose public half may already be pinned somewhere.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SigningError(f"{path}: a key already exists; remove it first or choose another path") from None
    except OSError as exc:
        raise SigningError(f"{path}: cannot write the key ({exc.strerror or exc})") from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return public_key_b64(key)


def load_key(path: Path) -> Ed25519PrivateKey:
    """The private key in `path`; refuses a file others can read (as ssh does)."""
    path = Path(path)
    try:
        mode = path.stat().st_mode & 0o777
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"{path}: cannot read the signing key ({exc.strerror or exc})") from None
    if mode & 0o077:
        raise SigningError(f"{path}: the signing key is readable by others (mode {mode:o}); run chmod 600 on it")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path}: not an ed25519 key (make one with `python -m pricing_training keygen`)")
    return key


def key_path(flag: Path | None) -> Path | None:
    """The signing key's path: the flag, else $PRICING_SIGNING_KEY, else None."""
    if flag:
        return Path(flag)
    env = os.environ.get(ENV_KEY, "").strip()
    return Path(env) if env else None


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def signature_for(manifest_bytes: bytes, key: Ed25519PrivateKey) -> bytes:
    """manifest.json.sig's bytes for exactly `manifest_bytes`."""
    doc = {"algorithm": "ed25519", "public_key": public_key_b64(key),
           "signature": base64.b64encode(key.sign(manifest_bytes)).decode()}
    return (json.dumps(doc, indent=1) + "\n").encode()


def verify(manifest_bytes: bytes, signature: bytes, public_keys: list[str]) -> bool:
    """Whether `signature` (manifest.json.sig's bytes) signs `manifest_bytes` with one of `public_keys`."""
    try:
        sig = base64.b64decode(json.loads(signature)["signature"], validate=True)
    except (ValueError, KeyError, TypeError):
        return False
    for text in public_keys:
        try:
            Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True)).verify(sig, manifest_bytes)
            return True
        except (InvalidSignature, ValueError):
            continue
    return False


def signer_of(signature: bytes) -> str | None:
    """The base64 public key a manifest.json.sig names (None when it is not a signature file)."""
    try:
        key = json.loads(signature)["public_key"]
    except (ValueError, KeyError, TypeError):
        return None
    return key if isinstance(key, str) else None


def sign_version(folder: Path, key: Ed25519PrivateKey) -> Path:
    """Writes `folder`/manifest.json.sig for the folder's manifest.json as it is now (atomically)."""
    folder = Path(folder)
    try:
        manifest = (folder / "manifest.json").read_bytes()
        tmp = folder / f".{SIGNATURE_FILE}.tmp-{os.getpid()}"
        tmp.write_bytes(signature_for(manifest, key))
        os.replace(tmp, folder / SIGNATURE_FILE)
    except OSError as exc:
        raise SigningError(f"{folder}: cannot sign the version ({exc.strerror or exc})") from None
    return folder / SIGNATURE_FILE
