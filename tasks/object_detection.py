"""Object detection: a photo in, labelled boxes drawn on it and listed in a table."""

import gradio as gr

from runtime.media import load_image
from runtime.spec import Call, Limits, Task, TinyModel
from runtime.tiny import save

from ._vision import BOX_COLUMNS, EXAMPLES, annotated_output, image_input, present_boxes, table_output, with_input

LABELS = ("cat", "dog", "person", "rocket", "cup")


def inputs():
    return {"image": image_input("object-detection")}


def params():
    return {
        "threshold": gr.Slider(0.0, 1.0, value=0.5, step=0.01, label="Score threshold",
                               info="Boxes scoring less are hidden", elem_id="object-detection-threshold"),
    }


def outputs():
    return {"image": annotated_output("object-detection", "Detected objects"),
            "table": table_output("object-detection", "Boxes", BOX_COLUMNS)}


def prepare(image, threshold=0.5, limits=Limits()):
    return Call(load_image(image, limits.max_image_side), {"threshold": float(threshold)})


def run(pipe, call, progress=None):
    return with_input(call.inputs, pipe(call.inputs, **call.kwargs))


def present(result, **_):
    return present_boxes(result)


def labels():
    return {"id2label": dict(enumerate(LABELS)), "label2id": {label: i for i, label in enumerate(LABELS)}}


def build_tiny_detr(folder):
    from transformers import DetrConfig, DetrForObjectDetection, DetrImageProcessor, ResNetConfig

    backbone = ResNetConfig(embedding_size=8, hidden_sizes=[8, 8, 16, 16], depths=[1, 1, 1, 1],
                            out_features=["stage4"])
    config = DetrConfig(
        use_timm_backbone=False, backbone_config=backbone, d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=37, decoder_ffn_dim=37,
        num_queries=8, **labels(),
    )
    processor = DetrImageProcessor(size={"shortest_edge": 64, "longest_edge": 96})
    save(folder, DetrForObjectDetection(config), processor)


def build_tiny_yolos(folder):
    from transformers import YolosConfig, YolosForObjectDetection, YolosImageProcessor

    config = YolosConfig(
        image_size=[64, 64], patch_size=16, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, num_detection_tokens=8, **labels(),
    )
    processor = YolosImageProcessor(size={"shortest_edge": 64, "longest_edge": 96})
    save(folder, YolosForObjectDetection(config), processor)


TASK = Task(
    name="object-detection",
    title="Object detection",
    modality="Vision",
    models=("hustvl/yolos-tiny", "PekingU/rtdetr_r50vd", "hustvl/yolos-small"),
    inputs=inputs,
    params=params,
    outputs=outputs,
    prepare=prepare,
    present=present,
    run=run,
    examples=tuple({"image": path} for path in EXAMPLES),
    batchable=True,
    tiny=(TinyModel("tiny-detr", build_tiny_detr), TinyModel("tiny-yolos", build_tiny_yolos)),
    description="COCO-trained detectors (YOLOS, RT-DETR): what is where in the picture, as labelled boxes.",
)
