"""Text to speech and music: text in, playable and downloadable audio out (VITS, SpeechT5 + vocoder, MusicGen)."""

import threading

import gradio as gr

from runtime.errors import UserError
from runtime.spec import Call, Task, TinyModel
from runtime.tiny import save

MAX_CHARACTERS = 600  # TTS models read a few sentences at a time
GENERATIVE = ("musicgen", "musicgen_melody", "bark")  # token-by-token models that take generation parameters
SPEECHT5_VOCODER = "microsoft/speecht5_hifigan"
VOICE_FILE = "speaker_embeddings.npy"  # optional x-vector saved next to a SpeechT5 model


def inputs():
    return {
        "text": gr.Textbox(
            label="Text", lines=3, value="Hello, and welcome to the pipeline playground.",
            info="Speech for TTS models; a description of the music for MusicGen", elem_id="text-to-audio-text",
        )
    }


def params():
    return {
        "max_new_tokens": gr.Slider(16, 1500, value=256, step=16, label="Length in tokens (MusicGen, Bark)",
                                    info="MusicGen makes about 50 tokens per second",
                                    elem_id="text-to-audio-max-new-tokens"),
        "do_sample": gr.Checkbox(value=True, label="Sample (MusicGen, Bark)", elem_id="text-to-audio-do-sample"),
        "temperature": gr.Slider(0.1, 2.0, value=1.0, step=0.05, label="Temperature (MusicGen, Bark)",
                                 elem_id="text-to-audio-temperature"),
        "guidance_scale": gr.Slider(1.0, 10.0, value=3.0, step=0.5, label="Guidance scale (MusicGen)",
                                    elem_id="text-to-audio-guidance-scale"),
        "seed": gr.Number(value=0, precision=0, label="Seed", info="The same seed and text give the same audio",
                          elem_id="text-to-audio-seed"),
    }


def outputs():
    return {"audio": gr.Audio(label="Audio", type="numpy", interactive=False, buttons=["download"],
                              elem_id="text-to-audio-audio")}


def prepare(text, max_new_tokens=256, do_sample=True, temperature=1.0, guidance_scale=3.0, seed=0, limits=None):
    text = (text or "").strip()
    if not text:
        raise UserError("Write some text to turn into audio first.")
    if len(text) > MAX_CHARACTERS:
        raise UserError(f"The text is {len(text)} characters long; this tab reads at most {MAX_CHARACTERS}.")
    options = {
        "max_new_tokens": int(max_new_tokens), "do_sample": bool(do_sample), "temperature": float(temperature),
        "guidance_scale": float(guidance_scale), "seed": int(seed or 0),
    }
    return Call(text, options)


def load(task, choice, placement):
    """SpeechT5 speaks through a separate vocoder: pass one to pipeline(), or transformers tries to download it."""
    from transformers import AutoConfig

    from runtime.config import ModelChoice
    from runtime.models import load_pipeline, model_source

    source = model_source(choice)
    config = AutoConfig.from_pretrained(source, revision=choice.revision)
    if config.model_type != "speecht5":
        return load_pipeline(task, choice, placement)
    from pathlib import Path

    from transformers import SpeechT5HifiGan

    local = Path(source) / "vocoder"  # a local model folder carries its vocoder with it
    vocoder = SpeechT5HifiGan.from_pretrained(str(local) if local.is_dir() else model_source(ModelChoice(SPEECHT5_VOCODER)))
    pipe = load_pipeline(task, choice, placement, vocoder=vocoder)
    pipe.vocoder.to(pipe.device)
    return pipe


SEEDED = threading.Lock()


def run(pipe, call, progress=None):
    """Applies each option only where the loaded model takes it, and says which were used."""
    import torch

    options = dict(call.kwargs)
    kind = pipe.model.config.model_type
    with SEEDED:  # the seed is torch's global one: concurrent requests must not draw from it in between
        torch.manual_seed(options["seed"])
        return _generate(pipe, call, options, kind)


def _generate(pipe, call, options, kind):
    kwargs, applied = {}, {"model_type": kind, "seed": options["seed"]}
    if kind in GENERATIVE:
        generate = {k: options[k] for k in ("max_new_tokens", "do_sample", "temperature")}
        if kind.startswith("musicgen"):
            generate["guidance_scale"] = options["guidance_scale"]
        kwargs["generate_kwargs"] = generate
        applied.update(generate)
    elif kind == "speecht5":
        kwargs["forward_params"] = {"speaker_embeddings": speaker_embeddings(pipe, options["seed"])}
        applied["voice"] = getattr(pipe, "_voice", "random (seeded)")
    result = pipe(call.inputs, **kwargs)
    ignored = [k for k in ("max_new_tokens", "do_sample", "temperature", "guidance_scale") if k not in applied]
    return {**result, "applied": applied, "ignored": ignored}


def speaker_embeddings(pipe, seed: int):
    """The voice of a SpeechT5 model: its saved x-vector if the folder has one, else a seeded random one."""
    import numpy as np
    import torch

    from pathlib import Path

    saved = Path(getattr(pipe.model, "name_or_path", "")) / VOICE_FILE
    if saved.is_file():
        pipe._voice = VOICE_FILE
        vector = torch.from_numpy(np.load(saved)).float()
    else:
        pipe._voice = "random (seeded)"
        dim = pipe.model.config.speaker_embedding_dim
        vector = torch.randn(dim, generator=torch.Generator().manual_seed(seed)) * 0.05
    return vector.reshape(1, -1).to(pipe.device, pipe.model.dtype)


def present(result, **_):
    import numpy as np

    audio = np.asarray(result["audio"], dtype=np.float32)
    audio = audio.T if audio.ndim == 2 else audio  # (channels, samples) -> (samples, channels)
    if audio.ndim == 2 and audio.shape[1] == 1:
        audio = audio[:, 0]
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak > 1.0:  # keep it playable without clipping
        audio = audio / peak
    return {"audio": (int(result["sampling_rate"]), (audio * 32767).astype(np.int16))}  # 16-bit PCM, as players expect


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


TASK = Task(
    name="text-to-audio",
    title="Text to speech and music",
    modality="Audio",
    models=("facebook/mms-tts-eng", "microsoft/speecht5_tts", "facebook/musicgen-small"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    load=load,
    run=run,
    requires=("sentencepiece",),
    examples=(
        {"text": "Hello, and welcome to the pipeline playground."},
        {"text": "lo-fi beat with a warm piano and soft rain"},
    ),
    tiny=(
        TinyModel("tiny-vits", build_tiny_vits),
        TinyModel("tiny-speecht5", build_tiny_speecht5),
        TinyModel("tiny-musicgen", build_tiny_musicgen),
    ),
    description=(
        "VITS (MMS) and SpeechT5 read text aloud; MusicGen writes music from a description. "
        "Length, sampling and guidance apply to MusicGen-class models; the raw JSON says what was used."
    ),
)
