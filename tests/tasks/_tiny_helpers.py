"""Helpers the tiny-model builders of several tasks' tests share."""


def bert_config(tokenizer, **extra):
    """A two-layer BERT of hidden size 32 over the tokenizer's vocabulary: builds and loads in milliseconds."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
        max_position_embeddings=tokenizer.model_max_length, pad_token_id=tokenizer.pad_token_id, **extra,
    )
