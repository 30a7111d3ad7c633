"""Lesson 2's building blocks: convolution by hand, the CNNs, input normalisation and
augmentation, ResNet-18 with torchvision's parameter names, feature extraction, pictures."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from numpy.typing import NDArray
from torch import nn
from torch.nn import functional as F

from practicum import data, train
from practicum.data import synthetic
from practicum.lessons.lesson2 import cnn, inputs, plots, resnet
from practicum.train.plots import plot_confusion_matrix


def test_load_cifar10_shuffles_a_class_sorted_source(monkeypatch: pytest.MonkeyPatch) -> None:
    y = np.repeat(np.arange(10), 30)  # an image-folder import lists the images class by class
    x = np.broadcast_to(y[:, None, None, None], (300, 32, 32, 3)).astype(np.uint8)
    monkeypatch.setattr(data, "load", lambda name, split: {"x": x, "y": y})
    monkeypatch.setenv("PRACTICUM_SMOKE", "0")
    images, labels = cnn.load_cifar10("train")
    assert images.shape == (300, 32, 32, 3) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and sorted(labels) == sorted(y)
    np.testing.assert_array_equal(images[:, 5, 5, 1], labels)  # each image keeps its label
    assert len(set(labels[-30:])) > 3  # the last rows are no longer all of one class
    assert len(cnn.load_cifar10("train", limit=100)[1]) == 100
    np.testing.assert_array_equal(
        cnn.load_cifar10("train", seed=3)[1], cnn.load_cifar10("train", seed=3)[1]
    )


# ---------------------------------------------------------------------------------------
# Convolution by hand
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding"),
    [(28, 3, 1, 1), (32, 5, 1, 0), (32, 3, 2, 1), (7, 7, 1, 0), (224, 7, 2, 3), (31, 4, 3, 2)],
)
def test_conv_output_size_matches_conv2d(size: int, kernel: int, stride: int, padding: int) -> None:
    layer = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)
    actual = layer(torch.zeros(1, 1, size, size)).shape[-1]
    assert cnn.conv_output_size(size, kernel, stride, padding) == actual


def test_conv_output_size_rejects_a_kernel_that_does_not_fit() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        cnn.conv_output_size(4, 7)


@pytest.mark.parametrize(("stride", "padding"), [(1, 0), (2, 1), (1, 2)])
def test_correlate2d_is_what_conv2d_computes(stride: int, padding: int) -> None:
    rng = np.random.default_rng(0)
    image, kernel = rng.normal(size=(9, 8)), rng.normal(size=(3, 3))
    expected = F.conv2d(
        torch.tensor(image)[None, None],
        torch.tensor(kernel)[None, None],
        stride=stride,
        padding=padding,
    )[0, 0].numpy()
    np.testing.assert_allclose(
        cnn.correlate2d(image, kernel, stride=stride, padding=padding), expected, atol=1e-12
    )


def test_correlate2d_finds_a_vertical_edge() -> None:
    image = np.zeros((5, 6))
    image[:, 3:] = 1.0  # dark left, bright right
    edges = cnn.correlate2d(image, np.array([[-1.0, 1.0]]))
    assert edges.shape == (5, 5)
    np.testing.assert_array_equal(edges, np.tile([0, 0, 1, 0, 0], (5, 1)))


@pytest.mark.parametrize(("stride", "padding", "bias"), [(1, 0, False), (2, 1, True), (1, 2, True)])
def test_conv2d_unfold_matches_conv2d(stride: int, padding: int, bias: bool) -> None:
    torch.manual_seed(0)
    x, weight = torch.randn(2, 3, 9, 7), torch.randn(4, 3, 3, 3)
    b = torch.randn(4) if bias else None
    got = cnn.conv2d_unfold(x, weight, b, stride=stride, padding=padding)
    expected = F.conv2d(x, weight, b, stride=stride, padding=padding)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------------------
# The first networks
# ---------------------------------------------------------------------------------------


def test_first_cnn_and_lenet_give_class_scores() -> None:
    assert cnn.FirstCNN()(torch.zeros(5, 1, 28, 28)).shape == (5, 10)
    assert cnn.FirstCNN(3, 4, side=32)(torch.zeros(2, 3, 32, 32)).shape == (2, 4)
    assert cnn.LeNet()(torch.zeros(5, 3, 32, 32)).shape == (5, 10)
    kinds = {type(m) for m in cnn.LeNet(batchnorm=True).modules()}
    assert {nn.BatchNorm2d, nn.BatchNorm1d} <= kinds
    assert nn.BatchNorm2d not in {type(m) for m in cnn.LeNet().modules()}
    with pytest.raises(ValueError, match="divisible by 4"):
        cnn.FirstCNN(side=30)


def test_parameter_counts_show_what_sharing_saves() -> None:
    # LeNet-5: conv 3->6 5x5, conv 6->16 5x5, then 400->120->84->10, each with biases
    lenet = (3 * 25 + 1) * 6 + (6 * 25 + 1) * 16 + 401 * 120 + 121 * 84 + 85 * 10
    assert cnn.count_parameters(cnn.LeNet()) == lenet == 62_006
    conv = nn.Conv2d(3, 32, 3, padding=1)  # 32 x 32 x 3 in, 32 x 32 x 32 out
    assert cnn.count_parameters(conv) == 3 * 9 * 32 + 32
    dense_equivalent = (32 * 32 * 3) * (32 * 32 * 32) + 32 * 32 * 32
    assert dense_equivalent > 100_000 * cnn.count_parameters(conv)


# ---------------------------------------------------------------------------------------
# Learning-rate schedules
# ---------------------------------------------------------------------------------------


def test_schedule_shapes() -> None:
    f = cnn.schedule_factor
    assert f("one-cycle", 0.0) == 0.0 and f("one-cycle", 0.2) == pytest.approx(1.0)
    assert f("one-cycle", 1.0) == pytest.approx(0.0)
    assert f("one-cycle", 0.1) == pytest.approx(0.5) and f("one-cycle", 0.6) == pytest.approx(0.5)
    cosine = [f("cosine", p) for p in np.linspace(0, 1, 11)]
    assert cosine[0] == 1.0 and cosine[-1] == pytest.approx(0.0) and cosine[5] == pytest.approx(0.5)
    assert all(a > b for a, b in itertools.pairwise(cosine))
    assert [f("step", p) for p in (0.0, 0.49, 0.5, 0.8)] == pytest.approx([1, 1, 0.1, 0.01])
    with pytest.raises(ValueError, match="kind"):
        f("linear", 0.5)


def test_make_schedule_sets_each_epochs_learning_rate() -> None:
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.4)
    scheduler = cnn.make_schedule(optimizer, "one-cycle", 5, warmup=0.3)
    seen = []
    for _ in range(5):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    at, factors = cnn.schedule_curve("one-cycle", 5, warmup=0.3)
    np.testing.assert_allclose(at, [0.5, 1.5, 2.5, 3.5, 4.5])
    np.testing.assert_allclose(seen, 0.4 * factors)
    assert seen.index(max(seen)) == 1  # epoch 1's middle is 30% of the run: the peak
    assert seen[0] == pytest.approx(0.4 * 0.1 / 0.3) and seen[-1] == pytest.approx(0.4 * 0.1 / 0.7)
    with pytest.raises(ValueError, match="kind"):
        cnn.make_schedule(optimizer, "triangle", 5)


# ---------------------------------------------------------------------------------------
# Input normalisation
# ---------------------------------------------------------------------------------------


def _images(n: int = 64, seed: int = 0) -> NDArray[np.uint8]:
    return synthetic.blob_images(np.arange(n) % 10, np.random.default_rng(seed))


def test_channel_normalisation_uses_the_training_statistics() -> None:
    x = _images(200)
    mean, std = inputs.channel_stats(x)
    np.testing.assert_allclose(mean, x.reshape(-1, 3).mean(0) / 255, rtol=1e-5)
    out = inputs.normalize_channels(x, mean, std)
    assert out.shape == (200, 3, 32, 32) and out.dtype == np.float32
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0.0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1.0, rtol=1e-4)
    # channel c of image i is the c-th colour plane of the original
    np.testing.assert_allclose(out[3, 1] * std[1] + mean[1], x[3, :, :, 1] / 255, atol=1e-5)


def test_global_contrast_normalisation_gives_zero_mean_unit_norm_images() -> None:
    x = _images(20).astype(np.float32)
    x[5] = 0.2 * x[5] + 100  # a dim, washed-out copy of an image ...
    x[6] = x[5] * 3 + 7  # ... and a brighter one with more contrast: the same after GCN
    out = inputs.global_contrast_normalize(x)
    flat = out.reshape(20, -1)
    assert out.shape == x.shape
    np.testing.assert_allclose(flat.mean(1), 0.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(flat, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(out[5], out[6], atol=1e-5)
    scaled = inputs.global_contrast_normalize(x, scale=math.sqrt(flat.shape[1]))
    np.testing.assert_allclose(np.sqrt((scaled.reshape(20, -1) ** 2).mean(1)), 1.0, rtol=1e-5)
    flat_image = inputs.global_contrast_normalize(np.full((1, 4, 4), 9.0))
    assert np.all(flat_image == 0.0)  # a constant image has no contrast to normalise


def test_zca_whitening_gives_identity_covariance_on_training_data() -> None:
    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(12, 12))
    x = (rng.normal(size=(4000, 12)) @ mixing + 5.0).reshape(4000, 2, 2, 3)  # correlated
    zca = inputs.fit_zca(x, eps=1e-8)
    white = zca.apply(x)
    assert white.shape == x.shape
    covariance = np.cov(white.reshape(4000, -1), rowvar=False)
    np.testing.assert_allclose(covariance, np.eye(12), atol=1e-4)
    np.testing.assert_allclose(white.reshape(4000, -1).mean(0), 0.0, atol=1e-6)
    np.testing.assert_allclose(zca.matrix, zca.matrix.T)  # symmetric: ZCA, not just any whitening
    # eps leaves low-variance directions partly unwhitened: the variance falls below 1
    damped = np.cov(inputs.fit_zca(x, eps=10.0).apply(x).reshape(4000, -1), rowvar=False)
    assert np.trace(damped) < 0.9 * 12
    with pytest.raises(ValueError, match="12 values per image"):
        zca.apply(np.zeros((3, 5)))


# ---------------------------------------------------------------------------------------
# Augmentation and test-time augmentation
# ---------------------------------------------------------------------------------------


def test_random_flip_mirrors_exactly_about_half_the_images() -> None:
    x = torch.rand(400, 3, 8, 8)
    out = inputs.random_flip(x, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    same = (out == x).flatten(1).all(1)
    mirrored = (out == x.flip(-1)).flatten(1).all(1)
    assert bool((same ^ mirrored).all())  # every image is itself or its exact mirror
    assert 0.4 < mirrored.float().mean().item() < 0.6
    np.testing.assert_array_equal(out[mirrored][0].numpy(), x[mirrored][0].numpy()[..., ::-1])


def test_random_translate_shifts_each_image_in_place_with_reflected_borders() -> None:
    x = torch.rand(200, 3, 8, 8)
    out = inputs.random_translate(x, 2, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    padded = F.pad(x, (2, 2, 2, 2), mode="reflect")
    offsets = []
    for i in range(len(x)):  # image i is still image i (so its label still applies), shifted
        found = [
            (dy, dx)
            for dy in range(5)
            for dx in range(5)
            if torch.equal(out[i], padded[i, :, dy : dy + 8, dx : dx + 8])
        ]
        assert found, f"image {i} is not a shifted copy of itself"
        offsets.append(found[0])
    assert len(set(offsets)) > 15  # shifts are drawn per image
    assert inputs.random_translate(x, 0) is x


def test_augment_layer_acts_only_while_training() -> None:
    layer = inputs.Augment(pad=2)
    x = torch.rand(64, 3, 8, 8)
    assert torch.equal(layer.eval()(x), x)
    out = layer.train()(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert not torch.equal(out, x)
    with pytest.raises(ValueError, match="pad"):
        inputs.Augment(pad=-1)


class _LeftHalf(nn.Module):
    """Looks only at the left half of an image, so its answers change under mirroring."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(3 * 8 * 4, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.linear(x[..., :4].flatten(1))
        return out


def test_flip_tta_makes_predictions_mirror_invariant() -> None:
    torch.manual_seed(0)
    model, x = _LeftHalf(), torch.rand(10, 3, 8, 8)
    plain, mirrored = train.predict(model, x), train.predict(model, x.flip(-1))
    assert not torch.allclose(plain, mirrored)
    tta = inputs.predict_tta(model, x)
    assert tta.shape == (10, 5)
    torch.testing.assert_close(tta, inputs.predict_tta(model, x.flip(-1).numpy()))
    torch.testing.assert_close(tta.sum(1), torch.ones(10))


# ---------------------------------------------------------------------------------------
# ResNet-18 with torchvision's names, and pretrained weights from disk
# ---------------------------------------------------------------------------------------

BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def _torchvision_resnet18_keys() -> list[str]:
    """The state-dict keys of torchvision.models.resnet18(), written out from its
    architecture (conv1/bn1 stem; layer1..4 of two BasicBlocks, a 1x1 `downsample` conv + BN
    in the first block of layers 2-4; fc)."""
    keys = ["conv1.weight", *(f"bn1.{p}" for p in BN)]
    for layer in range(1, 5):
        for block in range(2):
            prefix = f"layer{layer}.{block}"
            keys += [f"{prefix}.conv1.weight", *(f"{prefix}.bn1.{p}" for p in BN)]
            keys += [f"{prefix}.conv2.weight", *(f"{prefix}.bn2.{p}" for p in BN)]
            if layer > 1 and block == 0:
                keys += [f"{prefix}.downsample.0.weight"]
                keys += [f"{prefix}.downsample.1.{p}" for p in BN]
    return [*keys, "fc.weight", "fc.bias"]


def test_resnet18_has_torchvisions_parameter_names_and_shapes() -> None:
    expected = _torchvision_resnet18_keys()
    assert len(expected) == 122
    state = resnet.resnet18().state_dict()
    assert sorted(state) == sorted(expected)
    assert state["conv1.weight"].shape == (64, 3, 7, 7)
    assert state["layer2.0.downsample.0.weight"].shape == (128, 64, 1, 1)
    assert state["layer4.1.conv2.weight"].shape == (512, 512, 3, 3)
    assert state["fc.weight"].shape == (1000, 512)
    assert cnn.count_parameters(resnet.resnet18()) == 11_689_512  # torchvision's count
    assert resnet.resnet18()(torch.zeros(1, 3, 64, 64)).shape == (1, 1000)


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A resnet18-*.pth as torchvision saves it: a plain state dict, with trained-looking
    batch-norm statistics."""
    torch.manual_seed(1)
    source = resnet.resnet18()
    with torch.no_grad():
        for name, tensor in source.state_dict().items():
            if name.endswith(("running_mean", "running_var")):
                tensor.uniform_(0.5, 1.5)
    path = tmp_path_factory.mktemp("weights") / resnet.RESNET18_FILE
    torch.save(source.state_dict(), path)
    return path


def test_load_pretrained_reads_a_torchvision_state_dict(weights_file: Path) -> None:
    saved = torch.load(weights_file, weights_only=True)
    torch.manual_seed(2)
    model = resnet.resnet18()
    loaded = resnet.load_pretrained(model, weights_file)
    assert len(loaded) == 122
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, saved[name]), name


def test_load_pretrained_can_keep_a_new_classifier(weights_file: Path) -> None:
    saved = torch.load(weights_file, weights_only=True)
    model = resnet.resnet18(n_classes=10)
    fresh_fc = model.fc.weight.detach().clone()
    with pytest.raises(resnet.PretrainedMismatch) as raised:
        resnet.load_pretrained(model, weights_file)
    message = str(raised.value)
    assert "fc.weight: file (1000, 512), model (10, 512)" in message
    assert "skip=('fc.',)" in message
    loaded = resnet.load_pretrained(model, weights_file, skip=("fc.",))
    assert len(loaded) == 120
    assert torch.equal(model.fc.weight, fresh_fc)
    state = model.state_dict()
    assert torch.equal(state["layer3.1.conv2.weight"], saved["layer3.1.conv2.weight"])
    assert torch.equal(state["bn1.running_var"], saved["bn1.running_var"])


def test_load_pretrained_names_missing_and_unexpected_keys(
    weights_file: Path, tmp_path: Path
) -> None:
    small = resnet.small_resnet()
    before = {k: v.clone() for k, v in small.state_dict().items()}
    with pytest.raises(resnet.PretrainedMismatch) as raised:
        resnet.load_pretrained(small, weights_file)
    message = str(raised.value)
    assert "does not fit ResNet" in message
    # ResNet-18's second blocks of layers 1-3 (12 keys each) and all of layer4 (30 keys)
    assert "unexpected (66): layer1.1.bn1.bias, layer1.1.bn1.num_batches_tracked" in message
    assert (
        "shape (" in message and "conv1.weight: file (64, 3, 7, 7), model (32, 3, 3, 3)" in message
    )
    assert all(torch.equal(v, before[k]) for k, v in small.state_dict().items())  # untouched

    parallel = tmp_path / "parallel.pth"
    torch.save({f"module.{k}": v for k, v in torch.load(weights_file).items()}, parallel)
    with pytest.raises(resnet.PretrainedMismatch, match="missing \\(122\\)") as raised:
        resnet.load_pretrained(resnet.resnet18(), parallel)
    assert "strip the 'module.' prefix" in str(raised.value)

    with pytest.raises(FileNotFoundError, match="never downloads"):
        resnet.load_pretrained(small, tmp_path / "resnet18-absent.pth")


# ---------------------------------------------------------------------------------------
# Learning, feature extraction and the pictures
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blobs() -> dict[str, Any]:
    """A tiny CNN trained on a 2-class look-alike of CIFAR-10 (red blobs vs green blobs)."""
    rng = np.random.default_rng(0)
    y_train, y_test = rng.integers(0, 2, 400), rng.integers(0, 2, 200)
    x_train, x_test = synthetic.blob_images(y_train, rng), synthetic.blob_images(y_test, rng)
    mean, std = inputs.channel_stats(x_train)
    xt_train = inputs.normalize_channels(x_train, mean, std)
    xt_test = inputs.normalize_channels(x_test, mean, std)
    train.seed_everything(0)
    model = cnn.FirstCNN(3, 2, side=32, widths=(8, 16), hidden=16)
    train.fit(
        model,
        train.make_loader(xt_train, y_train, batch_size=32, shuffle=True),
        epochs=4,
        optimizer=torch.optim.Adam(model.parameters(), lr=3e-3),
        progress=False,
    )
    return {"model": model, "x_test": xt_test, "y_test": y_test, "raw_test": x_test}


def test_a_tiny_cnn_learns_blob_images_well_above_chance(blobs: dict[str, Any]) -> None:
    predicted = train.predict(blobs["model"], blobs["x_test"]).argmax(1).numpy()
    assert np.mean(predicted == blobs["y_test"]) > 0.9  # chance: 0.5


def test_extracted_features_feed_a_linear_probe(blobs: dict[str, Any]) -> None:
    x, y = blobs["x_test"], blobs["y_test"]
    features = resnet.extract_features(blobs["model"], x, batch_size=64)
    assert features.shape == (200, 16) and features.dtype == np.float32
    probe = resnet.fit_linear_probe(features[:100], y[:100])
    assert np.mean(probe.predict(features[100:]) == y[100:]) > 0.9


def test_extract_features_is_the_input_of_the_last_linear_layer() -> None:
    torch.manual_seed(0)
    model = resnet.small_resnet(widths=(8, 16), blocks=(1, 1)).eval()
    x = torch.randn(6, 3, 32, 32)
    features = resnet.extract_features(model, x, batch_size=4)
    assert features.shape == (6, 16)
    np.testing.assert_allclose(features, model.features(x).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert resnet.extract_features(cnn.LeNet(), x).shape == (6, 84)
    with pytest.raises(ValueError, match="no Linear layer"):
        resnet.extract_features(nn.Conv2d(3, 2, 3), x)


def test_linear_probe_separates_classes_of_clustered_features() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 300)
    features = rng.normal(size=(4, 20))[labels] * 3 + rng.normal(size=(300, 20))
    probe = resnet.fit_linear_probe(features[:200], labels[:200], n_classes=5)
    assert probe.linear.out_features == 5
    assert np.mean(probe.predict(features[200:]) == labels[200:]) > 0.9


def test_pictures_have_one_panel_per_filter_map_or_mistake(blobs: dict[str, Any]) -> None:
    model = blobs["model"]
    filters = plots.plot_filters(model.conv1)
    assert isinstance(filters, Figure) and len(filters.axes) == 8
    grey = plots.plot_filters(cnn.FirstCNN().conv1, cols=8)
    assert len(grey.axes) == 32
    maps = plots.plot_feature_maps(model, model.conv2, blobs["x_test"][0], max_maps=12)
    assert sum(bool(ax.images) for ax in maps.axes) == 12
    assert model.training  # the model's mode is restored
    y_true = np.array([0, 1, 1, 0, 1, 0, 0])
    y_pred = np.array([0, 0, 1, 1, 1, 1, 0])
    wrong = plots.plot_misclassified(
        blobs["raw_test"][:7], y_true, y_pred, ["red", "green"], cols=2
    )
    titles = [ax.get_title() for ax in wrong.axes if ax.get_title()]
    assert titles == ["green\n→ red", "red\n→ green", "red\n→ green"]
    assert len(wrong.axes) == 4  # 3 mistakes on a grid of 2 columns
    with pytest.raises(ValueError, match="every prediction is right"):
        plots.plot_misclassified(blobs["raw_test"][:3], y_true[:3], y_true[:3])


def test_confusion_matrix_counts_true_rows_against_predicted_columns() -> None:
    y_true = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    y_pred = np.array([0, 0, 1, 1, 1, 2, 0, 2, 2])
    counts = plot_confusion_matrix(y_true, y_pred, ["a", "b", "c"], normalize=False)
    assert len(counts.axes) == 1
    np.testing.assert_array_equal(
        counts.axes[0].images[0].get_array(), [[2, 1, 0], [0, 2, 0], [1, 0, 3]]
    )
    rates = np.asarray(plot_confusion_matrix(y_true, y_pred).axes[0].images[0].get_array())
    np.testing.assert_allclose(rates.sum(1), 1.0)
    np.testing.assert_allclose(np.diag(rates), [2 / 3, 1.0, 3 / 4])
    with pytest.raises(ValueError, match="equally long"):
        plot_confusion_matrix(y_true, y_pred[:-1])
    with pytest.raises(ValueError, match=r"0\.\.1"):
        plot_confusion_matrix(y_true, y_pred, ["a", "b"])


def test_filters_are_drawn_channel_by_channel_with_zero_in_the_middle() -> None:
    conv = nn.Conv2d(3, 2, 3, bias=False)
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0, 0, 1, 2] = 2.0  # filter 0: red at row 1, column 2
        conv.weight[1, 2, 0, 0] = -1.0  # filter 1: minus blue at the top left
    shown = [np.asarray(ax.images[0].get_array()) for ax in plots.plot_filters(conv).axes]
    assert shown[0].shape == (3, 3, 3)
    np.testing.assert_allclose(shown[0][1, 2], [1.0, 0.5, 0.5])
    np.testing.assert_allclose(shown[1][0, 0], [0.5, 0.5, 0.0])
    np.testing.assert_allclose(shown[1][2, 2], [0.5, 0.5, 0.5])
    grey = nn.Conv2d(1, 1, 3, bias=False)
    with torch.no_grad():
        grey.weight.copy_(torch.linspace(-1, 1, 9).reshape(1, 1, 3, 3))
    (panel,) = plots.plot_filters(grey).axes
    pixels = np.asarray(panel.images[0].get_array())
    assert pixels.shape == (3, 3, 3)  # coloured: blue for negative, white for 0, red for positive
    np.testing.assert_allclose(pixels[1, 1], [1.0, 1.0, 1.0], atol=0.04)
    assert pixels[0, 0, 2] > 2 * pixels[0, 0, 0] and pixels[2, 2, 0] > 2 * pixels[2, 2, 2]


def test_displayable_accepts_channels_first_tensors() -> None:
    images = torch.rand(2, 3, 5, 4) * 4 - 2
    shown = plots.displayable(images, rescale=True)
    assert shown.shape == (2, 5, 4, 3)
    assert shown.min() == 0.0 and shown.max() == pytest.approx(1.0)
    assert plots.displayable(torch.rand(2, 1, 5, 5)).shape == (2, 5, 5)


def test_the_diagrams_are_drawn_by_code() -> None:
    from practicum.lessons.lesson2 import diagrams

    image = np.zeros((6, 6))
    image[:, 3:] = 1
    kernel = np.array([[-1.0, 0.0, 1.0]] * 3)
    sliding = diagrams.draw_sliding_convolution(image, kernel, positions=[(0, 0), (2, 1)])
    assert len(sliding.axes) == 6
    titles = [ax.get_title() for ax in sliding.axes]
    assert "output[0, 0] = 0" in titles and "output[2, 1] = 3" in titles
    block = diagrams.draw_residual_block(projection=True)
    texts = [t.get_text() for t in block.axes[0].texts]
    assert any("1x1 conv" in t for t in texts) and "+" in texts
