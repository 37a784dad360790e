"""Turns a CTranslate2 Whisper model (model.bin + config.json + tokenizer.json) back into a transformers folder."""

import json
import re
import struct
from pathlib import Path

import numpy as np

CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}  # ctranslate2's DataType ids
SAMPLING_RATE, N_FFT, HOP = 16000, 400, 160  # Whisper's audio front end, fixed for every checkpoint


def read_ct2(path: Path) -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 model.bin (binary format 6), aliases resolved."""
    data = memoryview(Path(path).read_bytes())
    pos = 0

    def take(fmt):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values[0]

    def string():
        nonlocal pos
        n = take("H")
        pos += n
        return bytes(data[pos - n:pos - 1]).decode()  # NUL-terminated

    version = take("I")
    if version != 6:
        raise ValueError(f"{path}: CTranslate2 binary format {version}; this reader knows format 6")
    string(), take("I")  # spec name, spec revision
    variables = {}
    for _ in range(take("I")):
        name = string()
        shape = [take("I") for _ in range(take("B"))]
        dtype = CT2_DTYPES[take("B")]
        size = take("I")
        variables[name] = np.frombuffer(data[pos:pos + size], dtype=dtype).reshape(shape)
        pos += size
    for _ in range(take("I")):
        alias, target = string(), string()
        variables[alias] = variables[target]
    return variables


def dequantized(variables: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Quantized weights divided by their scale (CTranslate2 stores round(w * scale): int8 with one scale per row,
    int16 with one for the whole matrix); float16 ones widened to float32."""
    out = {}
    for name, value in variables.items():
        scale = variables.get(name + "_scale")
        if name.endswith("_scale"):
            continue
        if scale is not None and value.dtype in (np.int8, np.int16):
            scale = np.asarray(scale, np.float32)
            if scale.size not in (1, value.shape[0]):
                raise ValueError(f"{name}: a scale of shape {scale.shape} for a weight of shape {value.shape}")
            value = value.astype(np.float32) / scale.reshape(-1, *[1] * (value.ndim - 1))
        out[name] = value.astype(np.float32) if value.dtype == np.float16 else value
    return out


def hf_state_dict(v: dict[str, np.ndarray], encoder_layers: int, decoder_layers: int) -> dict[str, np.ndarray]:
    """CTranslate2 WhisperSpec names -> WhisperForConditionalGeneration names (q/k/v are fused in CTranslate2)."""
    sd = {}

    def linear(hf, ct2, bias=True):
        sd[f"{hf}.weight"] = v[f"{ct2}/weight"]
        if bias:
            sd[f"{hf}.bias"] = v[f"{ct2}/bias"]

    def norm(hf, ct2):
        sd[f"{hf}.weight"], sd[f"{hf}.bias"] = v[f"{ct2}/gamma"], v[f"{ct2}/beta"]

    def split(hf_names, ct2):  # a fused projection: equal row blocks; Whisper's k_proj has no bias (CT2 stores zeros)
        weights, biases = np.split(v[f"{ct2}/weight"], len(hf_names)), np.split(v[f"{ct2}/bias"], len(hf_names))
        for hf, w, b in zip(hf_names, weights, biases):
            sd[f"{hf}.weight"] = w
            if not hf.endswith("k_proj"):
                sd[f"{hf}.bias"] = b

    def layer_common(hf, ct2):
        split([f"{hf}.self_attn.{p}_proj" for p in "qkv"], f"{ct2}/self_attention/linear_0")
        linear(f"{hf}.self_attn.out_proj", f"{ct2}/self_attention/linear_1")
        norm(f"{hf}.self_attn_layer_norm", f"{ct2}/self_attention/layer_norm")
        linear(f"{hf}.fc1", f"{ct2}/ffn/linear_0")
        linear(f"{hf}.fc2", f"{ct2}/ffn/linear_1")
        norm(f"{hf}.final_layer_norm", f"{ct2}/ffn/layer_norm")

    for conv in ("conv1", "conv2"):
        linear(f"model.encoder.{conv}", f"encoder/{conv}")
    sd["model.encoder.embed_positions.weight"] = v["encoder/position_encodings/encodings"]
    for i in range(encoder_layers):
        layer_common(f"model.encoder.layers.{i}", f"encoder/layer_{i}")
    norm("model.encoder.layer_norm", "encoder/layer_norm")

    sd["model.decoder.embed_tokens.weight"] = v["decoder/embeddings/weight"]
    sd["model.decoder.embed_positions.weight"] = v["decoder/position_encodings/encodings"]
    for i in range(decoder_layers):
        hf, ct2 = f"model.decoder.layers.{i}", f"decoder/layer_{i}"
        layer_common(hf, ct2)
        linear(f"{hf}.encoder_attn.q_proj", f"{ct2}/attention/linear_0")
        split([f"{hf}.encoder_attn.{p}_proj" for p in "kv"], f"{ct2}/attention/linear_1")
        linear(f"{hf}.encoder_attn.out_proj", f"{ct2}/attention/linear_2")
        norm(f"{hf}.encoder_attn_layer_norm", f"{ct2}/attention/layer_norm")
    norm("model.decoder.layer_norm", "decoder/layer_norm")
    return sd


def convert(ct2_folder: Path, out: Path) -> Path:
    """Writes a WhisperForConditionalGeneration folder (weights, config, generation config, processor) to `out`."""
    import torch
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizerFast,
    )

    ct2_folder, out = Path(ct2_folder), Path(out)
    v = dequantized(read_ct2(ct2_folder / "model.bin"))
    extra = json.loads((ct2_folder / "config.json").read_text())
    count = lambda side: len({m[1] for k in v if (m := re.match(rf"{side}/layer_(\d+)/", k))})
    vocab, d_model = v["decoder/embeddings/weight"].shape
    tokenizer = WhisperTokenizerFast(tokenizer_file=str(ct2_folder / "tokenizer.json"))
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in
           ("<|endoftext|>", "<|startoftranscript|>", "<|notimestamps|>", "<|startofprev|>", "<|transcribe|>",
            "<|translate|>")}
    multilingual = vocab >= 51865  # the *.en checkpoints have one token fewer
    config = WhisperConfig(
        vocab_size=int(vocab), d_model=int(d_model), num_mel_bins=int(v["encoder/conv1/weight"].shape[1]),
        encoder_layers=count("encoder"), decoder_layers=count("decoder"),
        encoder_attention_heads=int(v["encoder/num_heads"]), decoder_attention_heads=int(v["decoder/num_heads"]),
        encoder_ffn_dim=int(v["encoder/layer_0/ffn/linear_0/weight"].shape[0]),
        decoder_ffn_dim=int(v["decoder/layer_0/ffn/linear_0/weight"].shape[0]),
        max_source_positions=int(v["encoder/position_encodings/encodings"].shape[0]),
        max_target_positions=int(v["decoder/position_encodings/encodings"].shape[0]),
        pad_token_id=ids["<|endoftext|>"], bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|endoftext|>"],
        decoder_start_token_id=ids["<|startoftranscript|>"], tie_word_embeddings=True,
    )
    with torch.device("meta"):
        model = WhisperForConditionalGeneration(config)
    state = {k: torch.from_numpy(np.ascontiguousarray(a)) for k, a in hf_state_dict(v, config.encoder_layers,
                                                                                      config.decoder_layers).items()}
    missing, unexpected = model.load_state_dict(state, strict=False, assign=True)
    missing = [k for k in missing if k != "proj_out.weight"]  # tied to the token embeddings
    if missing or unexpected:
        raise ValueError(f"CTranslate2 -> transformers mapping is incomplete: missing {missing}, unexpected {unexpected}")
    model.tie_weights()
    model.generation_config = GenerationConfig(
        decoder_start_token_id=ids["<|startoftranscript|>"], bos_token_id=ids["<|endoftext|>"],
        eos_token_id=ids["<|endoftext|>"], pad_token_id=ids["<|endoftext|>"], max_length=config.max_target_positions,
        is_multilingual=multilingual, no_timestamps_token_id=ids["<|notimestamps|>"],
        prev_sot_token_id=ids["<|startofprev|>"], alignment_heads=extra["alignment_heads"],
        suppress_tokens=extra["suppress_ids"], begin_suppress_tokens=extra["suppress_ids_begin"],
        max_initial_timestamp_index=50, return_timestamps=False,
        **({"lang_to_id": {tokenizer.convert_ids_to_tokens(i): i for i in extra["lang_ids"]},
            "task_to_id": {"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]}}
           if multilingual else {}),
    )
    model.save_pretrained(out)
    features = WhisperFeatureExtractor(feature_size=config.num_mel_bins, sampling_rate=SAMPLING_RATE, n_fft=N_FFT,
                                       hop_length=HOP)
    WhisperProcessor(feature_extractor=features, tokenizer=tokenizer).save_pretrained(out)
    return out
