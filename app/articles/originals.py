"""Attachment originals for download and deletion.

They live in PostgreSQL (`source_files`, migration 0008), the one store every host
shares: the web app may run on another host than the worker that stored them. Sources
stored before 0008 have a file under STORAGE_DIR instead (`sources.path`): it is served
while this host has it, and removed with its article.
"""
import io
import logging
import os

from flask import request, send_file

from app.db import db
from app.models import Source, SourceFile

log = logging.getLogger(__name__)
SLICE = 1024 * 1024  # bytes read from the database at a time while a download streams


def send(source, storage_dir):
    """The download response for `source`'s original (always an attachment, never cached
    without asking), or None when it has none here."""
    stored = (SourceFile.select(SourceFile.size, SourceFile.sha256, SourceFile.created_at)
              .where(SourceFile.source == source.id).first())
    if stored is not None:
        return _send_stored(source, stored)
    path = stored_file(storage_dir, source.path)
    return _send(source, path) if path else None


def _send(source, path_or_file, **options):
    mimetype = "application/pdf" if source.type == "pdf" else "application/octet-stream"
    return send_file(path_or_file, mimetype=mimetype, as_attachment=True,
                     download_name=source.name or "attachment", max_age=0, **options)


def _send_stored(source, stored):
    """Streamed a slice at a time (a gunicorn thread never holds a whole 20 MB original),
    with a length, ranges and a strong ETag as send_file gives a file on disk."""
    reader = io.BufferedReader(_Reader(source.id, stored.size), SLICE)
    response = _send(source, reader, conditional=False, etag=stored.sha256,
                     last_modified=stored.created_at)
    response.content_length = stored.size
    return response.make_conditional(request.environ, accept_ranges=True,
                                     complete_length=stored.size)


class _Reader(io.RawIOBase):
    """A seekable file over one original in `source_files`."""

    def __init__(self, source_id, size):
        super().__init__()
        self.source_id, self.size, self.pos = source_id, size, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buffer):
        want = min(len(buffer), SLICE, self.size - self.pos)
        data = _slice(self.source_id, self.pos, want) if want > 0 else b""
        buffer[:len(data)] = data
        self.pos += len(data)
        return len(data)  # b"" if the article was deleted mid-download: the body ends short


def _slice(source_id, offset, length):
    """Bytes of an original from `offset`. The body streams after the request has given
    its connection back to the pool, so each slice takes one and returns it: a slow
    client never holds a database connection between slices."""
    opened = db.is_closed()
    try:
        row = db.execute_sql("SELECT substring(data FROM %s FOR %s) FROM source_files "
                             "WHERE source_id = %s", (offset + 1, length, source_id)).fetchone()
    finally:
        if opened:
            db.close()
    return bytes(row[0]) if row else b""


def legacy_paths(article_id):
    """STORAGE_DIR-relative paths of the article's files stored before migration 0008."""
    return [s.path for s in Source.select(Source.path)
            .where(Source.article == article_id, Source.path.is_null(False))]


def stored_file(storage_dir, rel):
    """The absolute path of a stored file, or None if it is missing or escapes STORAGE_DIR."""
    root = os.path.realpath(storage_dir)
    full = os.path.realpath(os.path.join(root, rel or ""))
    if not rel or os.path.commonpath([root, full]) != root or not os.path.isfile(full):
        return None
    return full


def remove_files(storage_dir, paths):
    """Remove files stored before migration 0008 (those this host has)."""
    for rel in paths:
        _remove_file(storage_dir, rel)


def _remove_file(storage_dir, rel):
    full = stored_file(storage_dir, rel)
    if full is None:
        return
    try:
        os.remove(full)
    except OSError as exc:
        log.warning("could not remove %s: %s", full, exc)
        return
    _prune_empty_dirs(os.path.realpath(storage_dir), os.path.dirname(full))


def _prune_empty_dirs(root, folder):
    """Remove the now-empty <user>/<event>/ folders, never STORAGE_DIR itself."""
    while folder != root and folder.startswith(root + os.sep):
        try:
            os.rmdir(folder)
        except OSError:  # not empty: another article's files live here
            return
        folder = os.path.dirname(folder)
