import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import save
from tasks.text_to_audio import MAX_CHARACTERS, prepare, present

TASK = "text-to-audio"


def build_tiny_vits(folder):
    import json

    from transformers import VitsConfig, VitsModel, VitsTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    characters = list("_,.!?-;:'\" abcdefghijklmnopqrstuvwxyz")
    (folder / "vocab.json").write_text(json.dumps({c: i for i, c in enumerate(characters)}))
    tokenizer = VitsTokenizer(str(folder / "vocab.json"), phonemize=False, add_blank=True, normalize=True)
    config = VitsConfig(
        vocab_size=len(characters), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, window_size=2,
        ffn_dim=16, flow_size=8, spectrogram_bins=17, upsample_initial_channel=16, upsample_rates=[4, 4],
        upsample_kernel_sizes=[8, 8], resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3]],
        prior_encoder_num_flows=1, prior_encoder_num_wavenet_layers=1, posterior_encoder_num_wavenet_layers=1,
        duration_predictor_num_flows=1, duration_predictor_filter_channels=16, depth_separable_num_layers=1,
        sampling_rate=16000,
    )
    save(folder, VitsModel(config), tokenizer)


def build_tiny_speecht5(folder):
    import sentencepiece
    from transformers import (
        SpeechT5Config,
        SpeechT5FeatureExtractor,
        SpeechT5ForTextToSpeech,
        SpeechT5HifiGan,
        SpeechT5HifiGanConfig,
        SpeechT5Processor,
        SpeechT5Tokenizer,
    )

    from runtime.tiny import CORPUS

    folder.mkdir(parents=True, exist_ok=True)
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS), model_prefix=str(folder / "spm_char"), vocab_size=80, model_type="char",
        character_coverage=1.0, bos_id=0, pad_id=1, eos_id=2, unk_id=3, hard_vocab_limit=False, minloglevel=2,
    )
    tokenizer = SpeechT5Tokenizer(str(folder / "spm_char.model"))
    config = SpeechT5Config(
        vocab_size=len(tokenizer) + 1, hidden_size=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=37, decoder_ffn_dim=37, speech_decoder_prenet_units=32,
        speech_decoder_postnet_units=32, speech_decoder_postnet_layers=1, speech_decoder_prenet_layers=1,
        num_mel_bins=16, speaker_embedding_dim=8, max_speech_positions=600, max_text_positions=200,
        conv_dim=(16,), conv_stride=(5,), conv_kernel=(10,),
    )
    processor = SpeechT5Processor(feature_extractor=SpeechT5FeatureExtractor(num_mel_bins=16), tokenizer=tokenizer)
    save(folder, SpeechT5ForTextToSpeech(config), processor)
    vocoder = SpeechT5HifiGanConfig(
        model_in_dim=16, upsample_initial_channel=16, upsample_rates=[4, 4], upsample_kernel_sizes=[8, 8],
        resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3]], sampling_rate=16000,
    )
    SpeechT5HifiGan(vocoder).save_pretrained(folder / "vocoder")


def build_tiny_musicgen(folder):
    """MusicGen: a 1-layer T5 text encoder, a small EnCodec (50 frames/s) and a 1-layer decoder over its codebooks."""
    from transformers import EncodecConfig, MusicgenConfig, MusicgenDecoderConfig, MusicgenForConditionalGeneration, T5Config

    from runtime.tiny import bpe_tokenizer

    tokenizer = bpe_tokenizer(model_max_length=64)
    text = T5Config(
        vocab_size=len(tokenizer), d_model=32, d_kv=8, d_ff=37, num_layers=1, num_heads=2,
        pad_token_id=tokenizer.pad_token_id, decoder_start_token_id=tokenizer.pad_token_id,
    )
    audio = EncodecConfig(
        target_bandwidths=[1.5], sampling_rate=16000, audio_channels=1, hidden_size=16, num_filters=4,
        num_residual_layers=1, upsampling_ratios=[8, 5, 4, 2], codebook_size=32, codebook_dim=16, compress=2,
        num_lstm_layers=1,
    )
    decoder = MusicgenDecoderConfig(
        vocab_size=32, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, ffn_dim=37,
        num_codebooks=audio.num_quantizers, max_position_embeddings=256, pad_token_id=32, bos_token_id=32,
        audio_channels=1,
    )
    model = MusicgenForConditionalGeneration(
        MusicgenConfig(text_encoder=text.to_dict(), audio_encoder=audio.to_dict(), decoder=decoder.to_dict())
    )
    model.generation_config.update(decoder_start_token_id=32, pad_token_id=32, max_new_tokens=32, do_sample=True,
                                   guidance_scale=3.0)
    save(folder, model, tokenizer)


TINY = (
    TinyModel("tiny-vits", build_tiny_vits),
    TinyModel("tiny-speecht5", build_tiny_speecht5),
    TinyModel("tiny-musicgen", build_tiny_musicgen),
)


def say(predict, model, text="hello world, this is a test.", tokens=64, sample=True, temperature=1.0, guidance=3.0,
        seed=0) -> dict:
    return predict(TASK, model=model, text=text, max_new_tokens=tokens, do_sample=sample, temperature=temperature,
                   guidance_scale=guidance, seed=seed)


def test_prepare_checks_the_text():
    call = prepare(text="  hi there ", max_new_tokens=128, do_sample=False, temperature=0.7, guidance_scale=2.0,
                   seed=7, limits=None)
    assert call.inputs == "hi there"
    assert call.kwargs == {"max_new_tokens": 128, "do_sample": False, "temperature": 0.7, "guidance_scale": 2.0,
                           "seed": 7}
    with pytest.raises(UserError, match="Write some text"):
        prepare(text="   ")
    with pytest.raises(UserError, match="at most"):
        prepare(text="a" * (MAX_CHARACTERS + 1))


def test_present_makes_playable_audio():
    shown = present({"audio": np.array([[0.0, 2.0, -4.0]]), "sampling_rate": 16000}, text="hi", seed=0)
    assert set(shown) == {"audio"}
    rate, audio = shown["audio"]
    assert rate == 16000 and audio.dtype == np.int16 and audio.tolist() == [0, 16383, -32767]  # mono, never clipped
    rate, audio = present({"audio": np.zeros((2, 5)), "sampling_rate": 32000}, text="hi")["audio"]
    assert audio.shape == (5, 2)  # (channels, samples) -> (samples, channels)


def model_rate(folder: str) -> int:
    config = Path(folder) / "vocoder" / "config.json"
    return json.loads((config if config.exists() else Path(folder) / "config.json").read_text())["sampling_rate"]


@pytest.mark.parametrize("name", ["tiny-vits", "tiny-speecht5"])
def test_end_to_end_speech_at_the_models_rate(predict, tiny, name):
    model = tiny(TASK, name)
    out = say(predict, model)
    path, raw, status = out["audio"], out["raw"], out["status"]
    samples, rate = sf.read(path)
    assert rate == model_rate(model) == raw["sampling_rate"]
    assert samples.ndim == 1 and samples.size > 0 and np.isfinite(samples).all()
    assert name in status
    assert raw["applied"]["model_type"] in ("vits", "speecht5")
    assert "max_new_tokens" in raw["ignored"]  # generation parameters are MusicGen/Bark only, and it says so


def test_end_to_end_speecht5_uses_its_vocoder_and_a_voice(predict, tiny):
    raw = say(predict, tiny(TASK, "tiny-speecht5"))["raw"]
    assert raw["applied"]["voice"] == "random (seeded)"


def test_end_to_end_seed_makes_vits_repeatable_and_empty_text_is_refused(predict, tiny):
    from gradio_client.exceptions import AppError

    model = tiny(TASK, "tiny-vits")
    first, second = (sf.read(say(predict, model, seed=3)["audio"])[0] for _ in range(2))
    assert np.array_equal(first, second)
    with pytest.raises(AppError, match="Write some text"):
        say(predict, model, text="  ")
    assert sf.read(say(predict, model)["audio"])[0].size > 0


def test_end_to_end_musicgen_takes_the_generation_parameters(predict, tiny):
    model = tiny(TASK, "tiny-musicgen")
    out = say(predict, model, "lo-fi beat with a warm piano", tokens=16, guidance=2.0)
    short_path, raw, status = out["audio"], out["raw"], out["status"]
    long_path = say(predict, model, "lo-fi beat with a warm piano", tokens=48, guidance=2.0)["audio"]
    assert raw["applied"]["model_type"] == "musicgen" and raw["ignored"] == []
    assert raw["applied"]["max_new_tokens"] == 16 and raw["applied"]["guidance_scale"] == 2.0
    short, rate = sf.read(short_path)
    long, _ = sf.read(long_path)
    assert rate == 16000 and 0 < short.size < long.size  # more tokens, longer music (50 frames per second)
    assert "tiny-musicgen" in status
