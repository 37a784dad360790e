"""Helpers the tiny-model builders of several tasks' tests share."""


def bert_config(tokenizer, **extra):
    """A two-layer BERT of hidden size 32 over the tokenizer's vocabulary: builds and loads in milliseconds."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
        max_position_embeddings=tokenizer.model_max_length, pad_token_id=tokenizer.pad_token_id, **extra,
    )


def text_and_vision_configs(tokenizer) -> tuple[dict, dict]:
    """(text_config, vision_config) of a tiny CLIP-style dual encoder (CLIP, OWL-ViT): two layers of hidden size 32
    over the tokenizer's vocabulary and window, 32 px images in 8 px patches."""
    eos = tokenizer.eos_token_id
    text = dict(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                intermediate_size=37, max_position_embeddings=tokenizer.model_max_length, bos_token_id=eos,
                eos_token_id=eos, pad_token_id=eos)
    vision = dict(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=37)
    return text, vision
