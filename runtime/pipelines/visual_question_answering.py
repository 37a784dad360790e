"""Visual question answering as a transformers pipeline (transformers 5 removed its own)."""


def pipeline_class():
    """The VQA pipeline transformers 5 removed: classifiers rank their answer labels, generative models write one."""
    from transformers import Pipeline

    class VisualQuestionAnsweringPipeline(Pipeline):
        _load_processor = False
        _load_image_processor = True
        _load_feature_extractor = False
        _load_tokenizer = True

        def _sanitize_parameters(self, top_k=None, max_new_tokens=None, **_):
            forward = {"max_new_tokens": max_new_tokens} if max_new_tokens else {}
            return {}, forward, ({"top_k": top_k} if top_k else {})

        def preprocess(self, inputs):
            text = self.tokenizer(inputs["question"], return_tensors="pt", truncation=True, padding=True)
            image = self.image_processor(images=inputs["image"], return_tensors="pt").to(self.dtype)
            return {**text, **image}

        def _forward(self, model_inputs, max_new_tokens=None):
            if self.model.can_generate():
                return {"generated": self.model.generate(**model_inputs, max_new_tokens=max_new_tokens or 32)}
            return {"logits": self.model(**model_inputs).logits}

        def postprocess(self, outputs, top_k=5):
            if "generated" in outputs:
                texts = self.tokenizer.batch_decode(outputs["generated"], skip_special_tokens=True)
                return [{"answer": text.strip()} for text in texts]
            probabilities = outputs["logits"].float().sigmoid()[0]  # VQA heads are multi-label: sigmoid, not softmax
            scores, ids = probabilities.topk(min(top_k, probabilities.numel()))
            return [
                {"score": score, "answer": self.model.config.id2label[i]}
                for score, i in zip(scores.tolist(), ids.tolist())
            ]

    return VisualQuestionAnsweringPipeline
