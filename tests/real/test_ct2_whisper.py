"""The CTranslate2 reader on a file written as CTranslate2's own serializer writes one (format 6): float16 and int8
weights, a scale and an alias. (tests/real/test_real_models.py shows a real converted checkpoint transcribing.)"""

import struct

import numpy as np
import pytest

from tests.real.ct2_whisper import dequantized, read_ct2

pytestmark = pytest.mark.real
DTYPE_IDS = {np.dtype(np.float32): 0, np.dtype(np.int8): 1, np.dtype(np.float16): 4}


def write_ct2(path, variables: dict, aliases: dict):
    def string(text):
        return struct.pack("<H", len(text) + 1) + text.encode() + b"\0"

    out = struct.pack("<I", 6) + string("WhisperSpec") + struct.pack("<II", 3, len(variables))
    for name, value in variables.items():
        out += string(name) + struct.pack("<B", value.ndim) + struct.pack(f"<{value.ndim}I", *value.shape)
        out += struct.pack("<BI", DTYPE_IDS[value.dtype], value.nbytes) + value.tobytes()
    out += struct.pack("<I", len(aliases)) + b"".join(string(a) + string(t) for a, t in aliases.items())
    path.write_bytes(out)


def test_reads_float16_and_dequantizes_int8_rows(tmp_path):
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(4, 6)).astype(np.float32)
    scale = (127 / np.abs(weight).max(axis=1)).astype(np.float32)  # CTranslate2's int8: one scale per output row
    embeddings = rng.normal(size=(5, 3)).astype(np.float16)
    write_ct2(tmp_path / "model.bin", {"decoder/embeddings/weight": embeddings,
                                       "encoder/layer_0/ffn/linear_0/weight": np.rint(weight * scale[:, None]).astype(
                                           np.int8),
                                       "encoder/layer_0/ffn/linear_0/weight_scale": scale},
              {"decoder/projection/weight": "decoder/embeddings/weight"})
    variables = dequantized(read_ct2(tmp_path / "model.bin"))
    assert set(variables) == {"decoder/embeddings/weight", "decoder/projection/weight",
                              "encoder/layer_0/ffn/linear_0/weight"}
    assert variables["decoder/embeddings/weight"].dtype == np.float32
    assert np.array_equal(variables["decoder/projection/weight"], embeddings.astype(np.float32))
    assert np.abs(variables["encoder/layer_0/ffn/linear_0/weight"] - weight).max() <= 0.5 / scale.min() + 1e-6
