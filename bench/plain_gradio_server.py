"""The plain-Gradio peer: a gr.Interface with `batch=True, max_batch_size=32` over the same pipelines, nothing else."""

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def make_demo(models: list[str]):
    import gradio as gr
    from transformers import pipeline

    classifiers = {m: pipeline("text-classification", model=m) for m in models}  # loaded at start

    def text_classification(model: list[str], text: list[str], top_k: list[float], scores: list[str]):
        """One batch of requests, a list per input: each model's texts through its pipeline at once. `scores` is
        taken, and left alone, so that a request reads as one to this app's Gradio API (bench/loadgen.py sends it)."""
        answers = [None] * len(text)
        for key in dict.fromkeys(zip(model, top_k)):
            picked = [i for i, request in enumerate(zip(model, top_k)) if request == key]
            found = classifiers[key[0]]([text[i] for i in picked], batch_size=32, top_k=int(key[1]), truncation=True)
            for i, answer in zip(picked, found):
                answers[i] = answer
        return [answers]

    return gr.Interface(text_classification, [gr.Dropdown(models), gr.Textbox(), gr.Number(1, precision=0),
                                              gr.Textbox("default")],
                        gr.JSON(), batch=True, max_batch_size=32, api_name="text_classification",
                        flagging_mode="never")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", action="append", required=True, help="a model folder; repeatable")
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    make_demo(args.model).launch(server_name="127.0.0.1", server_port=args.port, ssr_mode=False)
