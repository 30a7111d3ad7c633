"""Lesson 5's exercise checks reject the mistakes students make, each with its own
sentence, and accept the reference versions. The checks are the notebook's own
(`practicum.lessons.lesson5.checks`), so what passes here passes there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from practicum.coursework import exercise
from practicum.lessons.lesson5 import checks
from practicum.lessons.lesson5.decoder import PooledState, ShowAndTell
from practicum.lessons.lesson5.text import END, PAD, pad_captions
from practicum.lessons.lesson5.train import caption_batches
from practicum.lessons.lesson5.train import train_epoch as reference_epoch

pytestmark = pytest.mark.usefixtures("one_thread")


# --- pad_captions ------------------------------------------------------------------------


def padded(
    captions: Sequence[Sequence[int]],
    *,
    front: bool = False,
    fill: int = PAD,
    dtype: torch.dtype = torch.long,
    longest_first: bool = False,
    sort: bool = False,
    lengths: str = "right",
    empty: bool = True,
    pair: bool = True,
) -> Any:
    """A student's pad_captions, right unless told to make one mistake."""
    captions = [list(c) for c in captions]
    if sort:
        captions.sort(key=len, reverse=True)
    if longest_first:
        longest = len(captions[0]) if captions else 0
    elif empty:
        longest = max((len(c) for c in captions), default=0)
    else:
        longest = max(len(c) for c in captions)
    ids = torch.full((len(captions), longest), fill, dtype=dtype)
    for row, caption in enumerate(captions):
        if front:
            ids[row, longest - len(caption) :] = torch.tensor(caption, dtype=dtype)
        else:
            ids[row, : len(caption)] = torch.tensor(caption, dtype=dtype)
    sizes = [len(c) for c in captions]
    if lengths == "list":
        return ids, sizes
    if lengths == "words":
        sizes = [n - 2 for n in sizes]
    elif lengths == "padded":
        sizes = [longest] * len(captions)
    elif lengths == "int32":
        return ids, torch.tensor(sizes, dtype=torch.int32)
    return (ids, torch.tensor(sizes, dtype=torch.long)) if pair else ids


PAD_MISTAKES = {
    "front": ({"front": True}, "the padding goes after each caption, not before it"),
    "float": ({"dtype": torch.float32}, "nn.Embedding needs int64"),
    "end": ({"fill": END}, "fill the rest of each row with <pad>"),
    "longest_first": ({"longest_first": True}, "the longest caption is not the first"),
    "sorted": ({"sort": True}, "keep the captions in the order given"),
    "list_lengths": ({"lengths": "list"}, "return the lengths as a tensor"),
    "int32_lengths": ({"lengths": "int32"}, "the lengths are torch.int32"),
    "word_lengths": ({"lengths": "words"}, "<start> and <end> included"),
    "padded_lengths": ({"lengths": "padded"}, "not the padded length"),
    "empty": ({"empty": False}, "an empty batch must give ids of shape (0, 0)"),
    "ids_only": ({"pair": False}, "return two things"),
}


def test_pad_check_accepts_the_reference_and_a_right_version() -> None:
    checks.check_pad_captions(pad_captions, pad_captions)
    checks.check_pad_captions(padded, pad_captions)


@pytest.mark.parametrize("mistake", PAD_MISTAKES)
def test_pad_check_names_the_mistake(mistake: str) -> None:
    options, message = PAD_MISTAKES[mistake]

    def wrong(captions: Sequence[Sequence[int]]) -> Any:
        return padded(captions, **options)

    with pytest.raises(AssertionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        checks.check_pad_captions(wrong, pad_captions)


# --- ShowAndTell --------------------------------------------------------------------------


class Decoder(nn.Module):
    """A student's Show and Tell, right unless `FLAW` names one mistake: the library's
    layers, with `start`, `forward` and `step` written anew."""

    FLAW = ""

    def __init__(self, feature_dim: int, vocab_size: int, **sizes: Any) -> None:
        super().__init__()
        for name, layer in ShowAndTell(feature_dim, vocab_size, **sizes).named_children():
            self.add_module(name, layer)

    def start(self, features: torch.Tensor) -> PooledState:
        f = features if self.FLAW == "no_dropout_at_all" else self.feature_drop(features)
        h, c = self.init_h(f), self.init_c(f)
        if self.FLAW != "no_tanh":
            h, c = torch.tanh(h), torch.tanh(c)
        if self.FLAW == "swapped":
            h, c = c, h
        image = self.image_in(f)
        if self.FLAW == "blind":
            h, c, image = torch.zeros_like(h), torch.zeros_like(c), torch.zeros_like(image)
        if self.FLAW == "plain_state":
            return h.unsqueeze(0), c.unsqueeze(0), image  # type: ignore[return-value]
        return PooledState(h.unsqueeze(0), c.unsqueeze(0), image)

    def _run(self, state: Any, tokens: torch.Tensor) -> tuple[torch.Tensor, Any]:
        if isinstance(state, tuple):
            state = PooledState(*state)
        words = self.embed(tokens)
        if self.FLAW not in ("no_dropout", "no_dropout_at_all"):
            words = self.drop(words)
        image = state.image.unsqueeze(1).expand(-1, tokens.size(1), -1)
        both = [image, words] if self.FLAW == "image_first" else [words, image]
        out, (h, c) = self.lstm(torch.cat(both, dim=-1), (state.h, state.c))
        if self.FLAW == "always_dropout":
            out = nn.functional.dropout(out, 0.3, training=True)
        elif self.FLAW != "no_dropout_at_all":
            out = self.drop(out)
        return self.out(out), PooledState(h, c, state.image)

    def forward(self, features: torch.Tensor, captions_in: torch.Tensor) -> torch.Tensor:
        if self.FLAW == "shift_left":  # feeds the targets: reads the word it must predict
            captions_in = torch.cat([captions_in[:, 1:], captions_in[:, :1] * 0], dim=1)
        elif self.FLAW == "shift_again":
            captions_in = torch.cat([captions_in[:, :1], captions_in[:, :-1]], dim=1)
        logits, _ = self._run(self.start(features), captions_in)
        if self.FLAW == "log_softmax":
            return torch.log_softmax(logits, dim=-1)
        if self.FLAW == "by_length":  # depends on how long the batch is padded
            return logits * (1 + captions_in.size(1) / 10)
        if self.FLAW == "packed":  # pads give zeros: allowed, the loss ignores them
            return logits * (captions_in != PAD).unsqueeze(-1)
        return logits

    def step(self, state: PooledState, tokens: torch.Tensor) -> tuple[torch.Tensor, Any]:
        if self.FLAW == "step_forgets" and hasattr(self, "_first"):
            state = self._first
        logits, new = self._run(state, tokens.unsqueeze(1))
        if self.FLAW == "step_forgets" and not hasattr(self, "_first"):
            self._first = state
        if self.FLAW == "step_logits":
            return logits[:, -1], new
        if self.FLAW == "step_shape":
            return torch.log_softmax(logits, dim=-1), new
        if self.FLAW == "plain_state":
            return torch.log_softmax(logits[:, -1], dim=-1), (new.h, new.c, new.image)
        return torch.log_softmax(logits[:, -1], dim=-1), new


def flawed(flaw: str) -> type[Decoder]:
    return type(f"Decoder_{flaw}", (Decoder,), {"FLAW": flaw})


class Renamed(Decoder):
    def __init__(self, feature_dim: int, vocab_size: int, **sizes: Any) -> None:
        super().__init__(feature_dim, vocab_size, **sizes)
        self.fc = self.out
        del self.out


DECODER_MISTAKES = {
    "blind": "different photos give the same logits",
    "shift_left": "change with the words after position",
    "shift_again": "do not shift it again",
    "by_length": "in a padded batch than alone",
    "log_softmax": "forward returns log-probabilities",
    "image_first": "torch.cat\\(\\[words, image\\]",
    "no_tanh": "squash the first state with tanh",
    "swapped": "h0 comes from init_h",
    "always_dropout": "in evaluation mode two calls give different logits",
    "no_dropout": "in training mode, with the same random draws, your logits differ",
    "no_dropout_at_all": "in training mode the logits are those of evaluation mode",
    "step_logits": "step returns raw logits",
    "step_shape": "step returned log-probabilities of shape",
    "step_forgets": "step forgets the state",
    "plain_state": "beam search cannot reorder your state",
}


def test_decoder_check_accepts_the_reference_and_right_versions() -> None:
    checks.check_show_and_tell(ShowAndTell, ShowAndTell)
    checks.check_show_and_tell(Decoder, ShowAndTell)
    checks.check_show_and_tell(flawed("packed"), ShowAndTell)


@pytest.mark.parametrize("mistake", DECODER_MISTAKES)
def test_decoder_check_names_the_mistake(mistake: str) -> None:
    with pytest.raises(AssertionError, match=DECODER_MISTAKES[mistake]):
        checks.check_show_and_tell(flawed(mistake), ShowAndTell)


def test_decoder_check_wants_the_layers_as_given() -> None:
    with pytest.raises(AssertionError, match=r"keep the layers of __init__ as given \(missing"):
        checks.check_show_and_tell(Renamed, ShowAndTell)


# --- train_epoch ---------------------------------------------------------------------------


def epoch(
    model: nn.Module,
    features: torch.Tensor,
    pairs: Sequence[tuple[int, list[int]]],
    optimizer: torch.optim.Optimizer,
    *,
    batch_size: int = 64,
    rng: np.random.Generator,
    clip: float = 5.0,
    flaw: str = "",
) -> Any:
    """A student's train_epoch, right unless `flaw` names one mistake."""
    if flaw != "eval":
        model.train()
    losses = []
    for index, ids in caption_batches(pairs, batch_size, None if flaw == "order" else rng):
        inputs, targets = ids[:, :-1], ids[:, 1:]
        if flaw == "unshifted":
            inputs = targets = ids
        elif flaw == "same":
            targets = inputs
        elif flaw == "reversed":
            inputs, targets = targets, inputs
        photos = features[: len(index)] if flaw == "photos" else features[index]
        logits = model(photos, inputs)
        loss = nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)),
            targets.reshape(-1),
            ignore_index=-100 if flaw == "pad" else PAD,
        )
        if flaw != "no_zero_grad":
            optimizer.zero_grad()
        loss.backward()
        if flaw != "no_clip":
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        if flaw != "no_step":
            optimizer.step()
        losses.append(loss.item())
    if flaw == "last_loss":
        return losses[-1]
    if flaw == "tensor_list":
        return losses
    return float(np.mean(losses))


EPOCH_MISTAKES = {
    "no_zero_grad": "call optimizer.zero_grad\\(\\) before each backward",
    "unshifted": "reads the whole caption and predicts the same words",
    "same": "the targets are not shifted",
    "reversed": "the shift goes the wrong way",
    "pad": "pass ignore_index=PAD",
    "eval": "call model.train\\(\\) first",
    "no_clip": "clip_grad_norm_",
    "photos": "each caption must go with its own photo",
    "order": "shuffle the pairs with the rng you are given",
    "no_step": "the weights did not change",
    "last_loss": "return the mean of the batches' losses \\(",
    "tensor_list": "return the mean of the batches' losses as a float",
}


def test_epoch_check_accepts_the_reference_and_a_right_version() -> None:
    checks.check_train_epoch(reference_epoch, reference_epoch)
    checks.check_train_epoch(epoch, reference_epoch)


@pytest.mark.parametrize("mistake", EPOCH_MISTAKES)
def test_epoch_check_names_the_mistake(mistake: str) -> None:
    def wrong(*args: Any, **kwargs: Any) -> Any:
        return epoch(*args, **kwargs, flaw=mistake)

    with pytest.raises(AssertionError, match=EPOCH_MISTAKES[mistake]):
        checks.check_train_epoch(wrong, reference_epoch)


# --- through exercise.checked, as the notebook runs them ------------------------------------


def test_checked_falls_back_to_the_reference_and_says_why(
    capsys: pytest.CaptureFixture[str], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRACTICUM_HOME", str(tmp_path))
    monkeypatch.setenv("PRACTICUM_URL", "")
    got = exercise.checked(
        flawed("blind"),
        lesson=5,
        exercise="show_and_tell",
        check=checks.check_show_and_tell,
        name="MyShowAndTell",
    )
    assert got is ShowAndTell
    assert (
        "✗ MyShowAndTell: wrong: different photos give the same logits" in capsys.readouterr().out
    )
    got = exercise.checked(
        padded, lesson=5, exercise="pad_captions", check=checks.check_pad_captions
    )
    assert got is padded
    assert "✓ padded is correct" in capsys.readouterr().out
