#!/bin/bash
# Builds, on the controller, what a release install needs, cached by content:
#   <cache>/releases/simplr-<id>.tar.gz    the release (PATHS of SRC), id = hash of its content
#   <cache>/wheelhouse-<hash>/ and .tar     wheels for requirements.txt, built with PYTHON
# Usage: build-release.sh SRC CACHE PYTHON PATHS(comma-separated) WHEELHOUSE(true|false)
# Prints one JSON object describing both. Reproducible: same sources, same id.
set -euo pipefail
src=$1 cache=$2 python=$3 paths=$4 wheelhouse=${5:-true}
cd "$src"
IFS=, read -r -a items <<<"$paths"
for p in "${items[@]}"; do [ -e "$p" ] || { echo "build-release: $src/$p is missing" >&2; exit 1; }; done
mkdir -p "$cache/releases"
umask 022

tmp=$(mktemp "$cache/releases/.build.XXXXXX")
trap 'rm -f "$tmp" "$tmp.tar"' EXIT
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=u+rwX,go+rX,go-w \
  --exclude=__pycache__ --exclude='*.pyc' --exclude='.pytest_cache' -cf "$tmp.tar" "${items[@]}"
id=$(sha256sum "$tmp.tar" | cut -c1-12)
archive=$cache/releases/simplr-$id.tar.gz
[ -f "$archive" ] || { gzip -n -c "$tmp.tar" >"$tmp" && mv "$tmp" "$archive"; }

wh_id=$(sha256sum requirements.txt | cut -c1-12)
wh_dir=$cache/wheelhouse-$wh_id
if [ "$wheelhouse" = true ] && [ ! -f "$wh_dir.tar" ]; then
  rm -rf "$wh_dir.tmp"
  "$python" -m pip wheel -q --disable-pip-version-check -r requirements.txt -w "$wh_dir.tmp" \
    >"$cache/wheelhouse.log" 2>&1 || { tail -20 "$cache/wheelhouse.log" >&2; exit 1; }
  rm -rf "$wh_dir"; mv "$wh_dir.tmp" "$wh_dir"
  tar -C "$wh_dir" -cf "$wh_dir.tar.tmp" . && mv "$wh_dir.tar.tmp" "$wh_dir.tar"
fi
printf '{"release_id": "%s", "release_archive": "%s", "wheelhouse_id": "%s", "wheelhouse_archive": "%s"}\n' \
  "$id" "$archive" "$wh_id" "$wh_dir.tar"
