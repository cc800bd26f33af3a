#!/bin/bash
# Builds, on the controller, the wheels of the model server (llama-cpp-python and its
# dependencies) once per package spec, Python and build flags, so hosts install them
# without a compiler or an index:
#   <cache>/llm-wheelhouse-<id>.tar
# Usage: build-wheelhouse.sh CACHE PYTHON SPEC CMAKE_ARGS
# Prints one JSON object: {"wheelhouse_id": ..., "wheelhouse_archive": ...}.
set -euo pipefail
cache=$1 python=$2 spec=$3 cmake_args=$4
version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
id=$(printf '%s\n%s\n%s\n' "$spec" "$version" "$cmake_args" | sha256sum | cut -c1-12)
dir=$cache/llm-wheelhouse-$id
mkdir -p "$cache"
umask 022
if [ ! -f "$dir.tar" ]; then
  rm -rf "$dir.tmp"
  # pip's wheel cache keeps the compiled llama-cpp-python: a second build is a copy.
  CMAKE_ARGS=$cmake_args "$python" -m pip wheel -q --disable-pip-version-check "$spec" \
    -w "$dir.tmp" >"$cache/llm-wheelhouse.log" 2>&1 \
    || { tail -20 "$cache/llm-wheelhouse.log" >&2; exit 1; }
  tar -C "$dir.tmp" -cf "$dir.tar.tmp" . && mv "$dir.tar.tmp" "$dir.tar"
  rm -rf "$dir.tmp"
fi
printf '{"wheelhouse_id": "%s", "wheelhouse_archive": "%s"}\n' "$id" "$dir.tar"
