"""Extractive question answering as a transformers pipeline (transformers 5 removed its own)."""

import functools


@functools.cache
def pipeline_class():
    """The QA pipeline: windows over long contexts (with stride), best span by start x end probability."""
    import numpy as np
    from transformers import Pipeline

    class QuestionAnsweringPipeline(Pipeline):
        _load_tokenizer = True

        def _sanitize_parameters(self, stride=None, max_answer_len=None, **_):
            pre = {"stride": stride} if stride is not None else {}
            post = {"max_answer_len": max_answer_len} if max_answer_len is not None else {}
            return pre, {}, post

        def preprocess(self, inputs, stride=128):
            question, context = inputs["question"], inputs["context"]
            window = min(self.tokenizer.model_max_length, 512)
            question_tokens = len(self.tokenizer(question, add_special_tokens=False)["input_ids"])
            room = window - question_tokens - 3  # [CLS] question [SEP] context [SEP]
            if room < 8:
                raise ValueError("The question is too long for this model: shorten it.")
            encoded = self.tokenizer(
                question, context, truncation="only_second", max_length=window, stride=min(stride, room // 2),
                return_overflowing_tokens=True, return_offsets_mapping=True, padding=True, return_tensors="pt",
            )
            in_context = [[s == 1 for s in encoded.sequence_ids(i)] for i in range(len(encoded["input_ids"]))]
            names = set(self.tokenizer.model_input_names)
            return {
                "model_inputs": {k: v for k, v in encoded.items() if k in names},
                "offsets": encoded["offset_mapping"], "in_context": in_context, "context": context,
            }

        def _forward(self, inputs):
            out = self.model(**inputs["model_inputs"])
            return {**inputs, "start": out.start_logits, "end": out.end_logits}

        def postprocess(self, outputs, max_answer_len=30):
            best = {"score": -1.0}
            for window in range(len(outputs["offsets"])):  # each overlapping window of a long context
                mask = np.array(outputs["in_context"][window])
                starts = softmax(outputs["start"][window].float().numpy(), mask)
                ends = softmax(outputs["end"][window].float().numpy(), mask)
                pairs = np.triu(np.outer(starts, ends)) - np.triu(np.outer(starts, ends), k=max_answer_len)
                s, e = np.unravel_index(int(np.argmax(pairs)), pairs.shape)
                if pairs[s, e] > best["score"]:
                    offsets = outputs["offsets"][window]
                    start, end = int(offsets[s][0]), int(offsets[e][1])
                    best = {"score": float(pairs[s, e]), "start": start, "end": end}
            best["answer"] = outputs["context"][best["start"] : best["end"]]
            return best

    def softmax(logits, mask):
        logits = np.where(mask, logits, -np.inf)  # only context tokens can be part of the answer
        exp = np.exp(logits - logits.max())
        return exp / exp.sum()

    return QuestionAnsweringPipeline
