"""Model providers behind one small interface.

A provider has `embedder` (`embed(texts)`, `dimensions`, `name`), `summarize(title, text)`
and `classify(title, text, mean_embedding)`; chat adds `stream(messages)` for LLMs.
"""
from app.providers.onnx_embedder import OnnxEmbedder

_cache = {}


def get_embedder(config):
    """OpenAI-compatible embeddings when EMBEDDING_MODEL is set, else the local model."""
    key = ("embedder", config.LLM_PROVIDER, config.EMBEDDING_MODEL, config.OPENAI_BASE_URL)
    if key not in _cache:
        if config.EMBEDDING_MODEL and config.LLM_PROVIDER != "local":
            from app.providers.openai_compat import OpenAIEmbedder, make_client
            _cache[key] = OpenAIEmbedder(make_client(config), config.EMBEDDING_MODEL,
                                         config.EMBEDDING_DIMENSIONS)
        else:
            _cache[key] = OnnxEmbedder()
    return _cache[key]


def get_provider(config):
    """The configured provider (cached per process: models load once)."""
    key = ("provider", config.LLM_PROVIDER, config.LLM_MODEL, config.OPENAI_BASE_URL)
    if key not in _cache:
        embedder = get_embedder(config)
        if config.LLM_PROVIDER == "local":
            from app.providers.local import LocalProvider
            _cache[key] = LocalProvider(embedder)
        else:
            from app.providers.openai_compat import OpenAIProvider, make_client
            _cache[key] = OpenAIProvider(make_client(config), config.LLM_MODEL, embedder)
    return _cache[key]


def embedding_dimensions(config):
    """The vector column's dimension for the configured model, without loading it if local."""
    if config.EMBEDDING_MODEL and config.LLM_PROVIDER != "local":
        return config.EMBEDDING_DIMENSIONS or get_embedder(config).dimensions
    return OnnxEmbedder.dimensions
