"""Sampling with a generator of the call's own: the same seed gives the same text, whatever runs beside it.

transformers' generate() samples from torch's one global generator, so `set_seed` in one request is undone by any
other request drawing meanwhile. Here the sampling settings become logits processors ending in Gumbel noise drawn
from the call's own torch.Generator, and generate() picks the highest score (greedy): argmax(logits + Gumbel noise)
is a sample from softmax(logits), after the same temperature, top-k and top-p as generate() would apply.
"""

import secrets


class GumbelNoise:
    """Adds Gumbel(0, 1) noise from its own generator: the argmax of the result is a sample of softmax(scores)."""

    def __init__(self, seed: int):
        import torch

        self.generator = torch.Generator("cpu").manual_seed(seed)

    def __call__(self, input_ids, scores):
        import torch

        uniform = torch.rand(scores.shape, generator=self.generator, dtype=torch.float32).clamp_(1e-20, 1.0)
        return scores + (-torch.log(-torch.log(uniform))).to(scores.device, scores.dtype)


def own_generator(settings: dict, seed: int | None = None) -> dict:
    """generate() settings that sample (do_sample, temperature, top_k, top_p) made to sample from a generator of
    their own, seeded with `seed` (None or < 0: a fresh random seed); other settings pass unchanged."""
    settings = dict(settings)
    if not settings.pop("do_sample", False):
        for name in ("temperature", "top_k", "top_p"):
            settings.pop(name, None)
        return {**settings, "do_sample": False}
    from transformers import LogitsProcessorList, TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

    processors = LogitsProcessorList()
    temperature, top_k, top_p = settings.pop("temperature", 1.0), settings.pop("top_k", 0), settings.pop("top_p", 1.0)
    if temperature and temperature != 1.0:
        processors.append(TemperatureLogitsWarper(float(temperature)))
    if top_k:
        processors.append(TopKLogitsWarper(int(top_k)))
    if top_p is not None and top_p < 1.0:
        processors.append(TopPLogitsWarper(float(top_p)))
    processors.append(GumbelNoise(seed if seed is not None and seed >= 0 else secrets.randbits(63)))
    return {**settings, "do_sample": False, "logits_processor": processors}
