"""Zero-shot image classification: a photo and labels you type in, how well each label fits the photo out."""

from runtime.errors import UserError
from runtime.media import load_image
from runtime.spec import Call, Limits, Task

from ._vision import image_input, split_labels, too_long, with_input

TEMPLATE = "This is a photo of {}."


def inputs():
    import gradio as gr

    return {
        "image": image_input("zero-shot-image-classification"),
        "candidate_labels": gr.Textbox(label="Candidate labels", placeholder="cat, dog, rocket",
                                       info="Separated by commas", elem_id="zero-shot-image-classification-labels"),
    }


def params():
    import gradio as gr

    return {"hypothesis_template": gr.Textbox(value=TEMPLATE, label="Hypothesis template",
                                              info="{} is replaced by each label",
                                              elem_id="zero-shot-image-classification-template")}


def outputs():
    import gradio as gr

    return {"labels": gr.Label(label="Labels", elem_id="zero-shot-image-classification-chart")}


def prepare(image, candidate_labels, hypothesis_template=TEMPLATE, limits=Limits()):
    labels = split_labels(candidate_labels)
    if len(labels) < 2:
        raise UserError("Type at least two labels: the scores say which of them fits the picture best.")
    template = (hypothesis_template or "").strip() or TEMPLATE
    if template.count("{}") != 1:
        raise UserError("The hypothesis template needs exactly one {} where each label goes, e.g. 'a photo of {}.'")
    too_long([template], "hypothesis template")
    image = load_image(image, limits.max_image_side)
    return Call(image, {"candidate_labels": labels, "hypothesis_template": template})


def run(pipe, call, progress=None):
    return with_input(call.inputs, pipe(call.inputs, **call.kwargs))


def present(result, **_):
    return {"labels": {row["label"]: row["score"] for row in result["output"]}}


TASK = Task(
    name="zero-shot-image-classification",
    title="Zero-shot image classification",
    modality="Vision",
    models=("openai/clip-vit-base-patch32", "google/siglip-base-patch16-224", "openai/clip-vit-large-patch14"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    remote=run,  # the same call goes to a remote model
    plain_call=True,  # run keeps the image it saw for the page
    examples=(
        {"image": "assets/chelsea.jpg", "candidate_labels": "a cat, a dog, a rocket, a cup of coffee"},
        {"image": "assets/rocket.jpg", "candidate_labels": "a rocket launch, a sunset, an astronaut, a bird"},
        {"image": "assets/coffee.jpg", "candidate_labels": "coffee, tea, soup, juice"},
    ),
    batchable=True,
    description="CLIP and SigLIP: which of your own labels fits the picture — no training on those labels needed.",
)
