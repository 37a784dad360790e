"""Load generator: N client threads speaking plain HTTP (no gradio_client: it costs ~80 ms of CPU per request)."""

import argparse
import functools
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.request
from urllib.parse import urlsplit


@functools.cache
def parameters(url: str, api_name: str) -> dict:
    """An endpoint's parameters by name, in the order Gradio's HTTP API takes them, with their defaults (None where
    one has none): from the server's API info, read once per process."""
    with urllib.request.urlopen(f"{url}/gradio_api/info", timeout=120) as response:
        info = json.load(response)["named_endpoints"][f"/{api_name}"]
    return {p["parameter_name"]: p.get("parameter_default") if p.get("parameter_has_default") else None
            for p in info["parameters"]}


class Endpoint:
    """One keep-alive HTTP connection that calls a Gradio event, or the seed server, with values by name, and returns
    the outputs."""

    def __init__(self, url: str, kind: str, api_name: str = "text_classification"):
        parts = urlsplit(url)
        self.host, self.port, self.kind, self.api_name = parts.hostname, parts.port, kind, api_name
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        # Gradio's routes take the values in order: their names read now, not while a load is timed
        self.parameters = parameters(f"http://{self.host}:{self.port}", api_name) if kind in ("call", "run") else {}

    def _request(self, method: str, path: str, body=None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        for attempt in (0, 1):  # a server may close an idle keep-alive connection: reconnect once
            try:
                self.conn.request(method, path, data, headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                if attempt:
                    raise

    def call(self, values: dict):
        """The event's output values, for `values` by name ("model", the task's inputs and parameters; those left out
        take their defaults); raises RuntimeError with the server's message on an error event."""
        if self.kind == "seed":  # the reference peer: POST {"text": ...} -> the pipeline's result
            status, body = self._request("POST", "/classify", {k: values[k] for k in ("model", "text", "top_k")})
            if status != 200:
                raise RuntimeError(body.decode())
            return json.loads(body)
        if self.kind == "api":  # this app's lean JSON route (web/api.py): the raw result, no display outputs
            status, body = self._request("POST", f"/api/{self.api_name}", values)
            reply = json.loads(body)
            if status != 200:
                raise RuntimeError(reply.get("error") or body.decode())
            return reply["result"]
        unknown = values.keys() - self.parameters.keys()
        if unknown:
            raise ValueError(f"/{self.api_name} takes no {sorted(unknown)}; it takes {list(self.parameters)}")
        data = [values.get(name, default) for name, default in self.parameters.items()]
        if self.kind == "run":  # gradio's direct route (no queue, no event stream)
            status, body = self._request("POST", f"/gradio_api/run/{self.api_name}", {"data": data})
            reply = json.loads(body)
            if status != 200:
                raise RuntimeError(reply.get("error") or body.decode())
            return reply["data"]
        status, body = self._request("POST", f"/gradio_api/call/{self.api_name}", {"data": data})
        if status != 200:
            raise RuntimeError(body.decode())
        event_id = json.loads(body)["event_id"]
        _, stream = self._request("GET", f"/gradio_api/call/{self.api_name}/{event_id}")
        event = None
        for line in stream.decode().splitlines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                payload = json.loads(line[5:].strip() or "null")
                if event == "error":
                    raise RuntimeError(payload or "error")
                return payload
        raise RuntimeError(f"no result in the event stream: {stream[:200]!r}")

    def close(self):
        self.conn.close()


def run_load(url: str, kind: str, model: str, texts: list[str], clients: int, seconds: float,
             max_requests: int = 1_000_000_000, warmup: int = 0, warm_each: int = 0) -> dict:
    """`clients` threads call back to back, each with its own texts, until time or count runs out. First `warmup`
    calls one after another (the first one's error is raised, said with the url: a refusal before 32 clients repeat
    it), then `warm_each` untimed calls per client, all together (a batcher settles into the load, a front app opens
    its connections). The timed span starts when every client is ready and ends when the calls under way at
    `seconds` are answered, and they count: a batched model answers a crowd at once."""
    Endpoint(url, kind).close()  # the endpoint's parameter names read once, before any client starts
    for i in range(warmup):
        endpoint = Endpoint(url, kind)
        try:
            endpoint.call({"model": model, "text": texts[i % len(texts)], "top_k": 1, "scores": "default"})
        except RuntimeError as error:
            raise RuntimeError(f"{url} answered {model!r} with an error before the load: {error}") from None
        finally:
            endpoint.close()
    latencies, errors, lock = [], [], threading.Lock()
    sent = [0]
    end = [float("inf")]  # set once every client has warmed up
    start_gate = threading.Barrier(clients + 1)

    def client(index: int):
        endpoint = Endpoint(url, kind)
        for n in range(warm_each):
            try:
                endpoint.call({"model": model, "text": texts[(index + clients * n) % len(texts)], "top_k": 1,
                               "scores": "default"})
            except Exception as error:  # noqa: BLE001 - counted
                with lock:
                    errors.append(f"warm-up: {error}"[:200])
        start_gate.wait()
        n = warm_each
        while time.perf_counter() < end[0]:
            with lock:
                if sent[0] >= max_requests:
                    break
                sent[0] += 1
            text = texts[(index + clients * n) % len(texts)]
            n += 1
            begin = time.perf_counter()
            try:
                endpoint.call({"model": model, "text": text, "top_k": 1, "scores": "default"})
            except Exception as error:  # noqa: BLE001 - counted, not fatal: the table shows them
                with lock:
                    errors.append(str(error)[:200])
                continue
            with lock:
                latencies.append(time.perf_counter() - begin)
        endpoint.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    start_gate.wait()
    begin = time.perf_counter()
    end[0] = begin + seconds
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - begin
    latencies.sort()
    return {
        "ok": len(latencies), "errors": len(errors), "first_error": errors[0] if errors else None,
        "seconds": elapsed, "per_second": len(latencies) / elapsed if elapsed else 0.0,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
        "p90_ms": latencies[min(len(latencies) - 1, int(0.9 * len(latencies)))] * 1000 if latencies else None,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--url", required=True)
    p.add_argument("--kind", choices=("call", "run", "api", "seed"), required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--texts", required=True, help="JSON file: a list of texts")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--max-requests", type=int, default=100_000)
    p.add_argument("--warmup", type=int, default=4, help="calls one after another before the load")
    p.add_argument("--warm-each", type=int, default=0, help="untimed calls per client, together, before the load")
    args = p.parse_args(argv)
    with open(args.texts) as f:
        texts = json.load(f)
    result = run_load(args.url, args.kind, args.model, texts, args.clients, args.seconds, args.max_requests,
                      args.warmup, args.warm_each)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
