"""Builds tiny random-weight models locally (no Hub): for the tests, and for air-gapped smoke runs of every tab."""

import json
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from .spec import TinyModel

CORPUS = [
    "I love this movie, it was wonderful and moving.",
    "This film was terrible, boring and far too long.",
    "The quick brown fox jumps over the lazy dog.",
    "Hugging Face pipelines make models easy to try in the browser.",
    "My name is Sarah and I live in London, near the river Thames.",
    "Paris is the capital of France and Berlin is the capital of Germany.",
    "The invoice number is 2024-117 and the total is 1,250 euros.",
    "Speech recognition turns spoken words into text with timestamps.",
    "A cat sits on the mat while the dog sleeps in the sun.",
    "What is the answer to the question about the document?",
    "Translate this sentence from English to French, please.",
    "Summaries are short versions of long articles about science and art.",
    "The weather today is sunny with a light breeze from the west.",
    "Astronauts fly rockets into space and drink coffee on the station.",
    "Machine learning models classify images, audio and text.",
    "hello world, welcome to the pipeline playground; try a model.",
    "0 1 2 3 4 5 6 7 8 9 ! ? . , ; : ' \" ( ) - + = / % $ € @ # &",
]
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def wordpiece_tokenizer(vocab_size: int = 400, model_max_length: int = 128, corpus: Iterable[str] = ()):
    """A BERT-style uncased WordPiece tokenizer trained on CORPUS (+ corpus)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator([*CORPUS, *corpus], trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIAL))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, model_max_length=model_max_length, unk_token="[UNK]", pad_token="[PAD]",
        cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
    )


def bpe_tokenizer(vocab_size: int = 400, model_max_length: int = 128, corpus: Iterable[str] = (), chat_template=None):
    """A GPT-2-style byte-level BPE tokenizer with <|endoftext|> as bos/eos/pad."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator([*CORPUS, *corpus], trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, model_max_length=model_max_length, bos_token="<|endoftext|>",
        eos_token="<|endoftext|>", pad_token="<|endoftext|>", unk_token="<|endoftext|>", chat_template=chat_template,
    )


def save(folder: Path, *parts) -> None:
    """save_pretrained of a model and its tokenizer / processor into one folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for part in parts:
        part.save_pretrained(folder)


def build_all(out: Path, tiny: Mapping[str, Iterable[TinyModel]]) -> Path:
    """Builds each task's tiny models ({task name: TinyModel...}) into out/<task>/<name> and writes
    out/playground.json naming them (a config the app serves: `python app.py --config out/playground.json`)."""
    import torch

    out = Path(out).resolve()
    models, failed = {}, {}
    for name, builders in tiny.items():
        for model in builders:
            folder = out / name / model.name
            try:
                if not (folder / ".complete").exists():
                    torch.manual_seed(zlib.crc32(model.name.encode()))  # the same weights, whichever others are built
                    model.build(folder)
                    (folder / ".complete").touch()
            except Exception as error:  # one task's builder must not stop the others
                failed[f"{name}/{model.name}"] = f"{type(error).__name__}: {error}"
                continue
            models.setdefault(name, []).append({"id": str(folder), "label": f"{model.name} (random weights)"})
    config = out / "playground.json"
    config.write_text(json.dumps({"models": models, "failed": failed}, indent=2))
    return config


CHAT_TEMPLATE = (  # a ChatML-style template, enough for apply_chat_template and chat pipelines
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def causal_lm(folder: Path, chat: bool = True, positions: int = 4096, corpus: Iterable[str] = ()) -> None:
    """A tiny GPT-2 with a byte-level BPE tokenizer (and a chat template when chat=True), trained on CORPUS + corpus."""
    from transformers import GenerationConfig, GPT2Config, GPT2LMHeadModel

    tokenizer = bpe_tokenizer(model_max_length=positions, corpus=corpus, chat_template=CHAT_TEMPLATE if chat else None)
    config = GPT2Config(
        vocab_size=len(tokenizer), n_positions=positions, n_embd=32, n_layer=2, n_head=2,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = GPT2LMHeadModel(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, max_new_tokens=20,
        # random weights would end a text at a random point (1 token in 400 is the end); a test sets the length
        suppress_tokens=[tokenizer.eos_token_id],
    )
    save(folder, model, tokenizer)
