"""Page weight and time to interactive in a real browser: this app vs a one-tab gr.Interface on the same machine.

    python -m bench.page_load              # 5 interleaved rounds; one JSON object on stdout, progress on stderr
    python -m bench.page_load --rounds 9

Serves this app (app.py, no model loaded: a page load loads none) and a minimal app (one gr.Interface: a Textbox
in, a Label out) on loopback, then, round after round, opens each in a fresh headless Chromium context (Debian's
/usr/bin/chromium, as tests/browser does) and measures:
- interactive_s: from navigation start until the landing tab's Run button is visible and enabled;
- kb: bytes received for the page (CDP Network.loadingFinished encodedDataLength), and responses: their count;
- heap_mb: the page's used JS heap once interactive (CDP Runtime.getHeapUsage);
- dom_nodes: elements in the document once interactive;
- deep_link_s (this app only): `/?task=object-detection` until that tab's Run is visible, and jumped: whether
  another tab's Run was shown first (a visible jump).
Medians over the rounds; ratios are this app / the minimal app (goals in issue 15: interactive <= 1.5x, kb <= 2x).
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import ENV, ROOT, free_port, stop, wait_http

MINIMAL = """
import gradio as gr
gr.Interface(lambda text: {"positive": 0.5}, gr.Textbox(label="Text"), gr.Label(), flagging_mode="never").launch(
    server_name="127.0.0.1", server_port={port}, ssr_mode=False)
"""


LANDING_RUN = "button[id$='-run']:not([id*='batch'])"  # the landing tab's Run (whichever task it is)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def measure(browser, url: str, run_selector: str, other_run: str | None = None) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    received = {"bytes": 0, "responses": 0}

    def finished(event):
        received["bytes"] += event.get("encodedDataLength", 0)
        received["responses"] += 1

    cdp.on("Network.loadingFinished", finished)
    jumped = []
    if other_run:  # a deep link: did another tab's Run show first?
        page.add_init_script(f"""new MutationObserver(() => {{
            const shown = [...document.querySelectorAll({other_run!r})].filter(
                (b) => b.checkVisibility({{visibilityProperty: true}}));
            if (shown.some((b) => b.id !== {run_selector[1:]!r})) window.__jumped = true;
        }}).observe(document, {{subtree: true, childList: true, attributes: true}});""")
    begin = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(f"""(() => [...document.querySelectorAll({run_selector!r})].some(
        (b) => b.checkVisibility({{visibilityProperty: true}}) && !b.disabled))()""", timeout=120_000, polling=20)
    interactive = time.perf_counter() - begin
    page.wait_for_timeout(300)  # responses in flight
    if other_run:
        jumped.append(bool(page.evaluate("window.__jumped || false")))
    heap = cdp.send("Runtime.getHeapUsage")["usedSize"] / 2**20
    nodes = page.evaluate("document.getElementsByTagName('*').length")
    context.close()
    return {"interactive_s": interactive, "kb": received["bytes"] / 1024, "responses": received["responses"],
            "heap_mb": heap, "dom_nodes": nodes, **({"jumped": jumped[0]} if other_run else {})}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS

    ours_port, minimal_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "minimal.py"
        script.write_text(MINIMAL.replace("{port}", str(minimal_port)))
        ours = subprocess.Popen([sys.executable, "app.py", "--port", str(ours_port), "--host", "127.0.0.1"], cwd=ROOT,
                                env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        minimal = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        try:
            ours_url, minimal_url = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{minimal_port}"
            wait_http(ours_url, ours)
            wait_http(minimal_url, minimal)
            results = {"ours": [], "minimal": [], "deep_link": []}
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                measure(browser, ours_url, LANDING_RUN)  # warm-up: first renders, caches
                measure(browser, minimal_url, "button.primary")
                for round_ in range(args.rounds):
                    results["ours"].append(measure(browser, ours_url, LANDING_RUN))
                    results["minimal"].append(measure(browser, minimal_url, "button.primary"))
                    results["deep_link"].append(measure(browser, f"{ours_url}/?task=object-detection",
                                                        "#object-detection-run", LANDING_RUN))
                    log(f"round {round_ + 1}: ours {results['ours'][-1]['interactive_s']:.2f} s, minimal "
                        f"{results['minimal'][-1]['interactive_s']:.2f} s")
                browser.close()
        finally:
            stop(ours)
            stop(minimal)
    summary = {}
    for name, rows in results.items():
        for key in rows[0]:
            values = [row[key] for row in rows]
            summary[f"{name}_{key}"] = (sum(values) if key == "jumped" else round(statistics.median(values), 3))
    for key in ("interactive_s", "kb", "heap_mb", "dom_nodes", "responses"):
        summary[f"ratio_{key}"] = round(summary[f"ours_{key}"] / summary[f"minimal_{key}"], 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
