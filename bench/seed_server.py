"""The reference peer: the seed-style FastAPI server, one pipeline call per request in an `async def` endpoint."""

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def make_app(models: list[str]):
    from fastapi import FastAPI
    from pydantic import BaseModel
    from transformers import pipeline

    classifiers = {m: pipeline("text-classification", model=m) for m in models}  # loaded at start, as in the example
    app = FastAPI()

    class Request(BaseModel):
        model: str
        text: str
        top_k: int = 1

    @app.get("/health")
    async def health():
        return {"ok": True}

    @app.post("/classify")
    async def classify(request: Request):
        return classifiers[request.model](request.text, top_k=request.top_k, truncation=True)

    return app


if __name__ == "__main__":
    import uvicorn

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", action="append", required=True, help="a model folder; repeatable")
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    uvicorn.run(make_app(args.model), host="127.0.0.1", port=args.port, log_level="warning")
