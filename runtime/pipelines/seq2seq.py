"""Text to text (summarization, translation) as a transformers pipeline (transformers 5 removed its own)."""

import functools


@functools.cache
def pipeline_class(result_key: str):
    """A text-to-text pipeline on AutoModelForSeq2SeqLM + generate (transformers 5 removed the built-in ones)."""
    from transformers import Pipeline

    class Seq2SeqPipeline(Pipeline):
        _load_tokenizer = True
        _pipeline_calls_generate = True

        def _sanitize_parameters(self, prefix="", **generate_kwargs):
            return {"prefix": prefix}, generate_kwargs, {}

        def preprocess(self, text, prefix=""):
            return self.tokenizer(prefix + text, truncation=True, return_tensors="pt")

        def _forward(self, inputs, **generate_kwargs):
            return {"ids": self.model.generate(**inputs, **generate_kwargs)}

        def postprocess(self, outputs):
            texts = self.tokenizer.batch_decode(outputs["ids"], skip_special_tokens=True)
            return [{result_key: text.strip()} for text in texts]

    Seq2SeqPipeline.__name__ = f"{result_key.split('_')[0].title()}Pipeline"
    return Seq2SeqPipeline
