import pytest
from PIL import Image

from runtime.config import ModelChoice
from runtime.devices import DeviceManager
from runtime.errors import UserError
from runtime.spec import TinyModel
from runtime.tiny import bpe_tokenizer
from tasks.text_to_image import TASK, cut_note, load, prepare, present, run

NAME = "text-to-image"


def build_tiny(folder):
    """A tiny Stable Diffusion: 2-block UNet, 4-block VAE, 2-layer CLIP text encoder, byte-level BPE tokenizer."""
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    tokenizer = bpe_tokenizer(model_max_length=77)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37, num_hidden_layers=2,
            num_attention_heads=2, max_position_embeddings=77, bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        )
    )
    unet = UNet2DConditionModel(
        sample_size=8, block_out_channels=(8, 16), layers_per_block=1, norm_num_groups=4, cross_attention_dim=32,
        attention_head_dim=2, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
    )
    vae = AutoencoderKL(  # 4 blocks: latents 8x smaller than the picture, as in real Stable Diffusion
        block_out_channels=(8, 8, 16, 16), norm_num_groups=4, latent_channels=4, sample_size=64,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
    )
    scheduler = DDIMScheduler(beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    pipe = StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipe.save_pretrained(folder)


TINY = (TinyModel("tiny-stable-diffusion", build_tiny),)


def test_prepare_collects_the_generation_settings():
    call = prepare(prompt=" a red rocket ", negative=" blurry ", steps=3, guidance=7.5, seed=42, width=256, height=128,
                   limits=None)
    assert call.inputs == "a red rocket"
    assert call.kwargs == {
        "negative_prompt": "blurry", "num_inference_steps": 3, "guidance_scale": 7.5, "width": 256, "height": 128,
        "seed": 42,
    }
    assert prepare(prompt="x", seed=-1).kwargs["seed"] >= 0  # a random seed, but a real one shown in the raw output


def test_prepare_refuses_empty_prompt_and_odd_sizes():
    with pytest.raises(UserError, match="Describe the picture"):
        prepare(prompt="  ")
    with pytest.raises(UserError, match="multiples of 8"):
        prepare(prompt="a cat", width=100)


def test_present_shows_the_first_image():
    image = Image.new("RGB", (8, 8))
    assert present({"images": [image], "seed": 1}, prompt="a cat", negative="") == {"image": image}


def test_progress_reports_every_denoising_step(tiny):
    pipe = load(TASK, ModelChoice(tiny("text-to-image")), DeviceManager("cpu").placement())
    seen = []
    call = prepare(prompt="a cat", negative="", steps=3, guidance=2.0, seed=1, width=64, height=64)
    result = run(pipe, call, progress=lambda value, **kw: seen.append(value))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert result["images"][0].size == (64, 64)


def test_the_note_says_when_the_text_encoder_cut_the_prompt(tiny):
    pipe = load(TASK, ModelChoice(tiny(NAME)), DeviceManager("cpu").placement())
    assert TASK.note is cut_note
    assert cut_note(pipe, prepare(prompt="a cat", negative="blurry")) == ""
    long = " ".join(["a cat astronaut drinking coffee"] * 40)
    note = cut_note(pipe, prepare(prompt=long, negative="blurry"))
    assert note.startswith("prompt cut to the model's first 77 of ") and "negative" not in note
    both = cut_note(pipe, prepare(prompt=long, negative=long))
    assert "prompt cut" in both and "; negative prompt cut to the model's first 77 of " in both


def test_end_to_end_size_and_seed(predict, tiny):
    def draw(seed):
        return predict(NAME, model=tiny(NAME), prompt="a cat astronaut", negative="", steps=2, guidance=3.0, seed=seed,
                       width=64, height=128)

    out = draw(7)
    image, raw, status = out["image"], out["raw"], out["status"]
    picture = Image.open(image)
    assert picture.size == (64, 128) and picture.mode == "RGB"
    assert raw["seed"] == 7 and raw["images"] == [{"image": [64, 128], "mode": "RGB"}]
    assert "tiny-stable-diffusion" in status and "cut" not in status
    again, other = draw(7)["image"], draw(8)["image"]
    assert list(Image.open(again).getdata()) == list(picture.getdata())  # a seed makes the same picture again
    assert list(Image.open(other).getdata()) != list(picture.getdata())


def test_end_to_end_status_line_says_the_prompt_was_cut(predict, tiny):
    long = " ".join(["a cup of coffee on a wooden table"] * 40)
    out = predict(NAME, model=tiny(NAME), prompt=long, negative="", steps=1, guidance=0.0, seed=0, width=64, height=64)
    assert "prompt cut to the model's first 77 of " in out["status"] and "tiny-stable-diffusion" in out["status"]
    assert "status_note" not in out["raw"] and Image.open(out["image"]).size == (64, 64)


def test_bad_input_then_next_request_works(predict, tiny):
    with pytest.raises(Exception, match="Describe the picture"):
        predict(NAME, model=tiny(NAME), prompt="", negative="", steps=1, guidance=0.0, seed=0, width=64, height=64)
    image = predict(NAME, model=tiny(NAME), prompt="a cup", negative="", steps=1, guidance=0.0, seed=0, width=64,
                    height=64)["image"]
    assert Image.open(image).size == (64, 64)


def test_tab_is_left_out_with_one_log_line_without_diffusers(monkeypatch, caplog):
    import importlib.util

    import tasks

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "diffusers" else real(name, *a))
    with caplog.at_level("WARNING", logger="tasks"):
        registry = tasks.discover()
    assert "text-to-image" not in registry
    assert registry.left_out["text-to-image"] == "needs the 'diffusers' package"
    assert [r.getMessage() for r in caplog.records if "Text to image" in r.getMessage()] == [
        "Leaving out the Text to image tab: needs the 'diffusers' package."
    ]
