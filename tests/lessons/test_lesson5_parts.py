"""Lesson 5's building blocks: normalisation and vocabulary, the two decoders (step by step
equals teacher forcing; padding after a caption changes nothing; the photo matters), the
baselines, and the reference end to end on look-alike photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from practicum.data import import_files, synthetic
from practicum.data.captioned import caption_text, captioned_images
from practicum.lessons.lesson5 import baselines, features, reference
from practicum.lessons.lesson5.decoder import AttendAndTell, ShowAndTell, doubly_stochastic_penalty
from practicum.lessons.lesson5.text import END, PAD, START, UNK, Vocab, normalize, pad_captions
from practicum.lessons.lesson5.train import (
    caption_loss,
    fit_captioner,
    score_captions,
    write_captions,
)


def test_normalize_lowercases_and_drops_punctuation() -> None:
    assert normalize("A dog, running.  Fast!") == ["a", "dog", "running", "fast"]
    assert normalize("The dog's ball .") == ["the", "dog", "'s", "ball"]


def test_vocab_keeps_frequent_words_and_wraps_captions() -> None:
    vocab = Vocab.build(["a dog runs", "A dog sits .", "a cat"], min_freq=2)
    assert vocab.itos[4:] == ("a", "dog")
    assert vocab.encode("a cat") == [START, vocab.id("a"), UNK, END]
    assert vocab.decode([START, vocab.id("dog"), END, vocab.id("a")]) == "dog"


def test_pad_captions_pads_at_the_end_and_reports_lengths() -> None:
    ids, lengths = pad_captions([[1, 5, 2], [1, 2]])
    assert ids.tolist() == [[1, 5, 2], [1, 2, PAD]] and lengths.tolist() == [3, 2]


def _captions(batch: int = 3, length: int = 6, vocab: int = 20) -> torch.Tensor:
    torch.manual_seed(1)
    ids = torch.randint(4, vocab, (batch, length))
    ids[:, 0] = START
    return ids


@pytest.mark.parametrize("kind", ["pooled", "attention"])
def test_step_by_step_decoding_equals_teacher_forcing(kind: str) -> None:
    torch.manual_seed(0)
    model: ShowAndTell | AttendAndTell
    if kind == "pooled":
        model, x = ShowAndTell(8, 20, embed=6, hidden=10), torch.randn(3, 8)
    else:
        model, x = AttendAndTell(8, 20, embed=6, hidden=10, attention=5), torch.randn(3, 4, 8)
    model.eval()
    ids = _captions()
    out = model(x, ids)
    forced = out[0] if isinstance(out, tuple) else out
    state = model.start(x)
    for t in range(ids.size(1)):
        log_probs, state = model.step(state, ids[:, t])  # type: ignore[arg-type]
        assert torch.allclose(log_probs, torch.log_softmax(forced[:, t], -1), atol=1e-5)


@pytest.mark.parametrize("kind", ["pooled", "attention"])
def test_padding_after_a_caption_changes_nothing_before_it_and_the_photo_matters(kind: str) -> None:
    torch.manual_seed(0)
    model: ShowAndTell | AttendAndTell
    if kind == "pooled":
        model, x = ShowAndTell(8, 20, embed=6, hidden=10), torch.randn(2, 8)
    else:
        model, x = AttendAndTell(8, 20, embed=6, hidden=10, attention=5), torch.randn(2, 4, 8)
    model.eval()
    ids = _captions(batch=2)
    padded = ids.clone()
    padded[:, 4:] = PAD

    def logits(photos: torch.Tensor, captions: torch.Tensor) -> torch.Tensor:
        out = model(photos, captions)
        return out[0] if isinstance(out, tuple) else out

    assert torch.allclose(logits(x, ids)[:, :4], logits(x, padded)[:, :4], atol=1e-6)
    assert not torch.allclose(logits(x, ids), logits(x.flip(0), ids), atol=1e-3)


def test_attention_weights_sum_to_one_and_the_penalty_is_zero_when_spread_evenly() -> None:
    torch.manual_seed(0)
    model = AttendAndTell(8, 20, embed=6, hidden=10, attention=5).eval()
    ids = _captions()
    _, alphas = model(torch.randn(3, 4, 8), ids)
    assert torch.allclose(alphas.sum(-1), torch.ones(3, ids.size(1)), atol=1e-6)
    even = torch.full((1, 4, 2), 0.5)
    assert doubly_stochastic_penalty(even, torch.tensor([[START, 5, 6, 7]])) == pytest.approx(0.0)
    stuck = torch.tensor([[[1.0, 0.0]] * 4])
    assert doubly_stochastic_penalty(stuck, torch.tensor([[START, 5, 6, 7]])) == pytest.approx(8.0)


def test_caption_loss_ignores_padding() -> None:
    logits = torch.randn(1, 3, 5)
    full = caption_loss(logits[:, :2], torch.tensor([[1, 4]]))
    assert caption_loss(logits, torch.tensor([[1, 4, PAD]])) == pytest.approx(full.item())


def test_consensus_picks_the_caption_the_others_agree_with() -> None:
    captions = [
        "a dog runs on grass",
        "a dog runs",
        "a cat sleeps indoors",
        "the dog runs on grass",
    ]
    assert baselines.consensus(captions) == "a dog runs on grass"


def test_nearest_neighbour_copies_the_closest_photos_captions() -> None:
    train = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.1, 0.9]])
    captions = [["a dog"], ["a man on a bike"], ["a man on a bike in the street"]]
    out = baselines.nearest_neighbour_captions(
        train, captions, torch.tensor([[0.9, 0.1], [0.0, 1.0]])
    )
    assert out == ["a dog", "a man on a bike"]


def test_best_constant_caption_is_the_one_most_photos_share() -> None:
    captions = [["a dog runs on the grass", "a brown dog"]] * 6 + [["a red car parked"]] * 2
    assert baselines.best_constant_caption(captions, sample=8) == "a dog runs on the grass"


def test_photo_views_are_the_photo_its_mirror_and_crops() -> None:
    photo = np.random.default_rng(0).integers(0, 255, (60, 80, 3), dtype=np.uint8)
    views = reference.photo_views(photo, 32, 4)
    assert views.shape == (4, 32, 32, 3) and views.dtype == np.uint8
    assert np.array_equal(views[1], views[0][:, ::-1])
    assert not np.array_equal(views[2], views[0])


def test_recipe_sizes_keep_the_multi_scale_path_off_by_default() -> None:
    assert reference.Recipe().sizes == (features.PHOTO_SIZE,)
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 5, 3, stride=2)
    backbone = features.Backbone("tiny", conv, ([0.5] * 3, [0.25] * 3), channels=5)
    rng = np.random.default_rng(1)
    photos = [rng.integers(0, 255, (40 + 5 * i, 50, 3), dtype=np.uint8) for i in range(3)]
    with torch.no_grad():
        single = reference.photo_vectors(backbone, photos, 2, (16,))
        multi = reference.photo_vectors(backbone, photos, 2, (16, 24))
    assert single.shape == (3, 2, 10) and multi.shape == (3, 2, 20)
    torch.testing.assert_close(multi[..., :10], single)  # each size's features side by side
    assert not torch.allclose(multi[..., 10:], single)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lesson5")
    home = root / "cache"
    flickr = synthetic.write_flickr8k_like(root / "flickr", n_images=48, seed=3)
    import_files("flickr8k", [flickr], verify=False, home=home)
    cifar = synthetic.write_cifar10_like(root / "cifar-10-python.tar.gz", n_train=300, n_test=10)
    import_files("cifar10", [cifar], verify=False, home=home)
    return home


def test_a_decoder_learns_the_look_alike_captions(cache: Path) -> None:
    """On look-alike photos whose captions name their colours, Show and Tell beats the best
    constant caption on held-out photos within a few epochs (features: a raw thumbnail)."""
    torch.manual_seed(0)
    photos = captioned_images("flickr8k", "train", home=cache)
    rest, valid = photos.carve(0.25, seed=0)

    def vectors(images: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(images[:, ::4, ::4].reshape(len(images), -1)).float() / 255

    x_rest, x_valid = vectors(rest.images(16)), vectors(valid.images(16))
    standard = features.Standardizer.fit(x_rest)
    vocab = Vocab.build([c for p in rest.captions for c in p], min_freq=1)
    model = ShowAndTell(x_rest.size(1), len(vocab), embed=32, hidden=64, dropout=0.1)
    result = fit_captioner(
        model,
        standard(x_rest),
        rest.captions,
        standard(x_valid),
        valid.captions,
        vocab,
        epochs=12,
        lr=5e-3,
        batch_size=16,
        beam=2,
    )
    constant = baselines.best_constant_caption(rest.captions)
    floor = score_captions(valid.captions, [constant] * len(valid))
    assert result.best.cider > floor.cider + 0.3
    assert len(write_captions(model, standard(x_valid), vocab, beam=1)) == len(valid)


def test_the_reference_writes_one_lowercased_caption_per_photo(cache: Path, tmp_path: Path) -> None:
    monkey = pytest.MonkeyPatch()
    monkey.setenv("PRACTICUM_DATA", str(cache))
    monkey.setenv(reference.RESNET18_ENV, "")
    monkey.setenv("TORCH_HOME", str(tmp_path))
    try:
        train = captioned_images("flickr8k", "train", home=cache)
        test = captioned_images("flickr8k", "test", home=cache)
        photos = [test.image_bytes(i) for i in range(len(test))]
        lines: list[str] = []
        out = reference.solve_captions(
            train,
            photos,
            budget_minutes=0.3,
            text=caption_text(home=cache)[:100],
            log=lines.append,
        )
    finally:
        monkey.undo()
    assert len(out) == len(test) and all(c == c.lower() and "\n" not in c for c in out)
    assert any(line.startswith("kept epoch") for line in lines)
    assert any(line.startswith("reranked by 10 neighbours") for line in lines)
