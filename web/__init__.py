"""The web layer: Gradio tabs, panels and the lean JSON route, standing on the engine in runtime/."""
