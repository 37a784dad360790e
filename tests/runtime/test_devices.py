import pytest
import torch

from runtime.devices import DeviceManager, Placement


def test_auto_picks_cpu_here_with_float32():
    devices = DeviceManager()
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert devices.device == expected
    if expected == "cpu":
        assert devices.dtype == "float32"


def test_forced_dtype_and_unknown_values():
    assert DeviceManager("cpu", "bfloat16").placement() == Placement("cpu", "bfloat16")
    with pytest.raises(ValueError, match="Unknown device"):
        DeviceManager("tpu")
    with pytest.raises(ValueError, match="Unknown dtype"):
        DeviceManager("cpu", "int3")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without CUDA")
def test_forced_missing_device_is_a_clear_error():
    with pytest.raises(ValueError, match="'cuda' was asked for but this machine has none"):
        DeviceManager("cuda").placement()


def test_never_both_device_and_device_map():
    assert Placement("cuda", "float16", "auto").pipeline_kwargs() == {"device_map": "auto", "dtype": torch.float16}
    assert Placement("cpu", "float32").pipeline_kwargs() == {"device": "cpu", "dtype": torch.float32}
    assert DeviceManager("cpu").placement("auto").device_map is None  # nothing to spread over on the CPU
