"""The weekly update published like a version: a new version folder holding the base version's files and the
week's experiments.json (docs/experiments.md), its manifest listing the plan, signed (docs/security-artifacts.md),
ready for `publish.publish` (verified files, the manifest last, LATEST last: the service hot-reloads it).

The base version's files are hard-linked when the file system allows it (a version folder is never modified in
place: a new week is a new folder), else copied; nothing of the networks is retrained.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

from .. import signing
from ..checksum import sha256_file
from ..publish import MANIFEST, PublishError, verify_local
from .experiments import PLAN_FILE, check


def write_plan_version(doc: dict, base: Path, out_root: Path, version: str, signing_key=None) -> Path:
    """`out_root/version`: the verified base version (a folder or a models root with LATEST) plus `doc` as
    experiments.json, the manifest's `experiments` key naming it; signed with `signing_key` when given. Raises
    PlanFormatError for a plan that breaks the contract and PublishError for a damaged base, before writing."""
    check(doc)
    local = verify_local(Path(base))
    folder = Path(out_root) / version
    if folder.exists():
        raise PublishError(f"{folder}: already exists; a published version is never rewritten")
    manifest = json.loads(local.manifest_bytes)
    tmp = Path(out_root) / f".{version}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    for name in local.files:
        if name == PLAN_FILE:
            continue  # the base's own plan is replaced by this week's
        target = tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(local.folder / name, target)
        except OSError:
            shutil.copy2(local.folder / name, target)
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / PLAN_FILE).write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    files = {name: meta for name, meta in local.files.items() if name != PLAN_FILE}
    files[PLAN_FILE] = {"sha256": sha256_file(tmp / PLAN_FILE), "bytes": (tmp / PLAN_FILE).stat().st_size}
    manifest.update(model_version=version, files=files, experiments={"file": PLAN_FILE},
                    created_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat())
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    if signing_key is not None:
        signing.sign_version(tmp, signing_key)
    else:
        (tmp / signing.SIGNATURE_FILE).unlink(missing_ok=True)
    os.replace(tmp, folder)
    return folder
