"""Attachment files under STORAGE_DIR/<user>/<event>/: written idempotently, named safely."""
import os
import re


def safe_name(name, index):
    base = re.sub(r"[^\w.\-]+", "_", os.path.basename(name or "")).strip("._") or "file"
    return f"{index:02d}-{base[:120]}"


def save_files(storage_dir, user_id, event_id, parts):
    """Write each part that carries bytes; returns its path relative to STORAGE_DIR (or None)."""
    paths = []
    for i, part in enumerate(parts):
        if not part.data:
            paths.append(None)
            continue
        rel = os.path.join(str(user_id), str(event_id), safe_name(part.name, i))
        full = os.path.join(storage_dir, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        tmp = full + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(part.data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, full)
        paths.append(rel)
    return paths
