"""A tiny random-weight omni model (text + image + audio + video in, text out) for the any-to-any pipeline:
Qwen2.5-Omni's thinker (`qwen2_5_omni_thinker`, Qwen2_5OmniThinkerForConditionalGeneration) with its
Qwen2_5OmniProcessor (WhisperFeatureExtractor + Qwen2VLImageProcessor + Qwen2VLVideoProcessor + a byte-level BPE
tokenizer trained on runtime.tiny's corpus), built locally (no Hub): about 1 MB, 0.1-0.3 s once transformers and the
Qwen2.5-Omni modules are imported (that import takes a few seconds on its own).

Chat content blocks the pipeline takes (`pipe(messages, ...)`; several of each kind, and earlier assistant turns, work):
    {"type": "text", "text": "..."}
    {"type": "image", "image": PIL.Image | path | url}              ("path" / "url" keys work too)
    {"type": "audio", "audio": float32 numpy array at 16 kHz | path} ("path" / "url" keys work too; without torchcodec
                                                                      files are decoded by soundfile, resampled by soxr)
    {"type": "video", "video": frames}   frames: a (frames, height, width, 3) uint8 numpy array, or a list of PIL
                                         images, used as given (no frame sampling); a video file path or url needs
                                         torchcodec (transformers' other fallback, torchvision, no longer decodes).
Generation kwargs that are objects (streamer, stopping_criteria) must go in `generate_kwargs`: the any-to-any pipeline
hands its other keyword arguments to the processor.
"""

from pathlib import Path

# Qwen2.5-Omni's own special tokens (the processor expands the image / audio / video placeholders)
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
MULTIMODAL_TOKENS = {
    "audio_token": "<|AUDIO|>",
    "audio_bos_token": "<|audio_bos|>",
    "audio_eos_token": "<|audio_eos|>",
    "vision_bos_token": "<|vision_bos|>",
    "vision_eos_token": "<|vision_eos|>",
    "image_token": "<|IMAGE|>",
    "video_token": "<|VIDEO|>",
}

# Qwen2.5-Omni's chat template (ChatML; a default system prompt when none is given), shortened: each image / audio /
# video block becomes its bos, one placeholder and its eos, which the processor expands to one placeholder per
# feature; the model's rope index counts on the bos token right before each placeholder run.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a tiny test model.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' %}<|vision_bos|><|IMAGE|><|vision_eos|>"
    "{% elif content['type'] == 'audio' %}<|audio_bos|><|AUDIO|><|audio_eos|>"
    "{% elif content['type'] == 'video' %}<|vision_bos|><|VIDEO|><|vision_eos|>"
    "{% elif content['type'] == 'text' %}{{ content['text'] }}"
    "{% endif %}{% endfor %}{% endif %}"
    "<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# The vision tower's patch size and spatial merge: patches of 28 px (the real model's are 14 px), so one merged token
# covers 56 x 56 px. Qwen2_5OmniProcessor forces at least 128 * 28 * 28 px per video frame (its class-level
# videos_kwargs override the video processor's own size), which costs a quarter of the tokens with these patches.
PATCH, MERGE = 28, 2
UNIT = PATCH * MERGE  # images and frames are resized to multiples of 56 px


def omni_tokenizer(positions: int = 8192):
    """runtime.tiny's byte-level BPE tokenizer plus the ChatML and multimodal special tokens, which the processor
    reads as named attributes (tokenizer.image_token, tokenizer.audio_bos_token, ...)."""
    from tokenizers import AddedToken
    from transformers import PreTrainedTokenizerFast

    from runtime.tiny import bpe_tokenizer

    base = bpe_tokenizer(model_max_length=positions)
    backend = base.backend_tokenizer
    special = (IM_START, IM_END, *MULTIMODAL_TOKENS.values())
    backend.add_special_tokens([AddedToken(token, special=True, normalized=False) for token in special])
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, model_max_length=positions, bos_token=None, eos_token=IM_END,
        pad_token="<|endoftext|>", unk_token="<|endoftext|>", extra_special_tokens=dict(MULTIMODAL_TOKENS),
        padding_side="left", chat_template=CHAT_TEMPLATE,
    )


def omni_processor(tokenizer):
    """Qwen2_5OmniProcessor with small image / video sizes; Whisper features as the real model."""
    from transformers import Qwen2_5OmniProcessor, Qwen2VLImageProcessor, WhisperFeatureExtractor
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

    # images: 1 to 8 merged tokens; videos: each pair of frames (temporal patch) gets 32 to 192 tokens, as the
    # processor's class defaults (see PATCH) win over this size; frames are not resampled (do_sample_frames=False)
    image_processor = Qwen2VLImageProcessor(
        size={"shortest_edge": UNIT * UNIT, "longest_edge": 8 * UNIT * UNIT}, patch_size=PATCH,
        temporal_patch_size=2, merge_size=MERGE,
    )
    video_processor = Qwen2VLVideoProcessor(
        size={"shortest_edge": UNIT * UNIT, "longest_edge": 8 * UNIT * UNIT}, patch_size=PATCH,
        temporal_patch_size=2, merge_size=MERGE, cap_pixels_per_frame=True,
    )
    # Whisper log-mel features, 128 bins as Qwen2.5-Omni; 25 audio tokens a second, at most 30 s
    feature_extractor = WhisperFeatureExtractor(feature_size=128, sampling_rate=16000, chunk_length=30)
    return Qwen2_5OmniProcessor(
        image_processor=image_processor, video_processor=video_processor, feature_extractor=feature_extractor,
        tokenizer=tokenizer, chat_template=CHAT_TEMPLATE,
    )


def omni_config(tokenizer):
    """Two layers of width 32 in each tower (text, vision, audio); the token ids are the tokenizer's."""
    from transformers import (
        Qwen2_5OmniAudioEncoderConfig,
        Qwen2_5OmniTextConfig,
        Qwen2_5OmniThinkerConfig,
        Qwen2_5OmniVisionEncoderConfig,
    )

    ids = {name: tokenizer.convert_tokens_to_ids(token) for name, token in MULTIMODAL_TOKENS.items()}
    eos, pad = tokenizer.convert_tokens_to_ids(IM_END), tokenizer.pad_token_id
    text = Qwen2_5OmniTextConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=tokenizer.model_max_length, max_window_layers=2,
        # multimodal rope over the 16-wide heads: 8 frequencies split between time, height and width
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [2, 3, 3]},
        pad_token_id=pad, eos_token_id=eos, bos_token_id=None, tie_word_embeddings=False,
    )
    vision = Qwen2_5OmniVisionEncoderConfig(
        depth=2, hidden_size=32, intermediate_size=37, num_heads=2, patch_size=PATCH, spatial_merge_size=MERGE,
        temporal_patch_size=2, window_size=2 * UNIT, out_hidden_size=32, fullatt_block_indexes=[1],
    )
    audio = Qwen2_5OmniAudioEncoderConfig(
        num_mel_bins=128, encoder_layers=2, encoder_attention_heads=2, encoder_ffn_dim=37, d_model=32,
        output_dim=32, n_window=100, max_source_positions=1500,
    )
    return Qwen2_5OmniThinkerConfig(
        text_config=text, vision_config=vision, audio_config=audio,
        audio_token_index=ids["audio_token"], image_token_index=ids["image_token"],
        video_token_index=ids["video_token"], audio_start_token_id=ids["audio_bos_token"],
        audio_end_token_id=ids["audio_eos_token"], vision_start_token_id=ids["vision_bos_token"],
        vision_end_token_id=ids["vision_eos_token"], pad_token_id=pad, eos_token_id=eos,
    )


def build_tiny_omni(folder: Path, seed: int = 0, suppress_special_tokens: bool = True) -> None:
    """Saves the tiny thinker (with its generation config) and its processor into `folder`: about 1 MB, a fraction
    of a second once transformers is imported. The weights depend on `seed` only (the caller's random state is left
    alone).

    suppress_special_tokens: random weights end a reply at a random point (after a single token for some prompts)
    and may emit placeholders such as <|IMAGE|> that decode to nothing, so by default generation may not produce any
    special token: every reply is exactly max_new_tokens (20 unless the call says otherwise) plain tokens."""
    import torch
    from transformers import GenerationConfig, Qwen2_5OmniThinkerForConditionalGeneration

    folder = Path(folder)
    tokenizer = omni_tokenizer()
    processor = omni_processor(tokenizer)
    config = omni_config(tokenizer)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = Qwen2_5OmniThinkerForConditionalGeneration(config).eval()
    eos = [tokenizer.convert_tokens_to_ids(IM_END), tokenizer.pad_token_id]  # as Qwen: <|im_end|>, <|endoftext|>
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.pad_token_id, eos_token_id=eos, pad_token_id=tokenizer.pad_token_id,
        max_new_tokens=20,
        suppress_tokens=sorted(tokenizer.added_tokens_decoder) if suppress_special_tokens else None,
    )
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
