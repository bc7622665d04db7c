"""Every architecture: output and embedding shapes for 28x28x1 and 32x32x3 inputs, and
normalisation inside the model."""

from __future__ import annotations

import pytest
import torch

from advrepro.models import ARCHITECTURES, build_model

EMBEDDING = {
    "distance_net": 128,
    "mnist_cnn": 1024,
    "cifar_cnn": 1024,
    "lenet4": 84,
    "lenet5": 84,
    "vgg16": 512,
    "resnet50": 2048,
    "densenet121": 1024,
}


@pytest.mark.parametrize("name", ARCHITECTURES.names())
@pytest.mark.parametrize("channels,size", [(1, 28), (3, 32)])
def test_output_shapes(name, channels, size):
    model = build_model(
        name, channels, 10, [0.5] * channels, [0.25] * channels, image_size=size
    ).eval()
    x = torch.rand(2, channels, size, size)
    if name == "distance_net":  # classifies against oracle images
        model.set_oracles(torch.rand_like(model.oracle_images))
    with torch.no_grad():
        assert model(x).shape == (2, 10)
        embedding = model.embed(x)
    assert embedding.dim() == 2 and embedding.shape[0] == 2
    if name in EMBEDDING:
        assert embedding.shape[1] == EMBEDDING[name]


def test_normalisation_is_inside_the_model():
    model = build_model("lenet1", 1, 10, [0.5], [0.25], image_size=28)
    x = torch.rand(1, 1, 28, 28)
    assert torch.allclose(model.normalize(x), (x - 0.5) / 0.25)
    assert "normalize.mean" in model.state_dict()


@pytest.mark.parametrize("name", ["lenet1", "vgg16", "distance_net"])
def test_a_loaded_model_equals_the_saved_one(name, tmp_path):
    """load_model builds on the meta device and takes the file's tensors: same outputs, no
    tensor left on meta."""
    from advrepro.model_files import load_model, save_model

    torch.manual_seed(0)
    model = build_model(name, 1, 10, [0.5], [0.25], image_size=28).eval()
    if name == "distance_net":
        model.set_oracles(torch.rand_like(model.oracle_images))
    save_model(tmp_path / "m.pt", model, {"method": "test"})
    loaded = load_model(tmp_path / "m.pt", torch.device("cpu"))
    assert not any(t.is_meta for t in (*loaded.parameters(), *loaded.buffers()))
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    assert loaded.protocol == {"method": "test"}
