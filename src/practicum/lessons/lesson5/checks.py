"""Lesson 5: the checks of Section 2's exercises, each able to name the mistake students make.

A check takes the student's function or class and the reference (which `exercise.checked`
finds by the exercise's id and hands over), runs both on small inputs built here, and
raises AssertionError with one sentence when they disagree. Where a usual mistake explains
the difference (padding at the front, a decoder blind to the photo or reading ahead,
targets not shifted, `<pad>` counted in the loss, a missing `zero_grad`...), the check
recomputes that mistake, or tests the behaviour it breaks, and names it.

The notebook (`lesson5/section2_implementation.py`) and `tests/lessons/test_lesson5_checks.py`
use these same functions.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from practicum.lessons.lesson4.decode import beam_search
from practicum.lessons.lesson5.decoder import ShowAndTell
from practicum.lessons.lesson5.text import END, PAD, START

Function = Callable[..., Any]

# ---------------------------------------------------------------------------------------
# pad_captions
# ---------------------------------------------------------------------------------------

PAD_CASES: tuple[list[list[int]], ...] = (
    [[START, 5, 6, END], [START, 7, END], [START, 8, 9, 10, 11, END]],
    [[START, 4, END]],
    [[START, 12, 13, 14, 15, 16, END], [START, END], [START, 9, 9, END]],
)
"""Batches whose longest caption is not always the first."""


def check_pad_captions(candidate: Function, reference: Function) -> None:
    for captions in PAD_CASES:
        try:
            got = candidate(copy.deepcopy(captions))
        except (AssertionError, NotImplementedError):
            raise
        except Exception as error:
            longest_first = sorted(captions, key=len, reverse=True)
            if captions != longest_first and _runs(candidate, longest_first):
                raise AssertionError(
                    "it fails when the longest caption is not the first: take the longest "
                    "of all the lengths (the batch is in any order)"
                ) from None
            raise AssertionError(f"raised {type(error).__name__}: {error} on {captions}") from None
        _same_padding(got, reference(captions), captions)
    _empty_batch(candidate, reference)


def _runs(candidate: Function, captions: list[list[int]]) -> bool:
    try:
        candidate(copy.deepcopy(captions))
    except Exception:
        return False
    return True


def _same_padding(got: Any, expected: tuple[torch.Tensor, torch.Tensor], captions: Any) -> None:
    """Raise, naming the mistake, unless `got` is `expected`."""
    want_ids, want_lengths = expected
    if not isinstance(got, tuple | list) or len(got) != 2:
        raise AssertionError("return two things: the padded ids (B, T) and the lengths (B,)")
    ids, lengths = got
    if not isinstance(ids, torch.Tensor):
        raise AssertionError(f"return the ids as a tensor, not a {type(ids).__name__}")
    if ids.dtype != torch.long:
        raise AssertionError(f"the ids are {ids.dtype}: nn.Embedding needs int64 (torch.long)")
    if ids.shape != want_ids.shape:
        raise AssertionError(
            f"for {captions} the ids have shape {tuple(ids.shape)}, expected "
            f"{tuple(want_ids.shape)}: one row per caption, as long as the longest"
        )
    if not torch.equal(ids, want_ids):
        order = sorted(range(len(captions)), key=lambda i: -len(captions[i]))
        if order != list(range(len(captions))) and torch.equal(ids, want_ids[order]):
            raise AssertionError(
                "keep the captions in the order given: row i is caption i (sorting by "
                "length would pair captions with the wrong photos)"
            )
        real = want_ids != PAD
        if torch.equal(ids[real], want_ids[real]):
            raise AssertionError(
                "fill the rest of each row with <pad> (PAD = 0), the id the loss ignores"
            )
        front = torch.full_like(want_ids, PAD)
        for row, caption in enumerate(captions):
            front[row, front.size(1) - len(caption) :] = torch.tensor(caption)
        if torch.equal(ids, front):
            raise AssertionError("the padding goes after each caption, not before it")
        raise AssertionError(f"for {captions} got ids {ids.tolist()}, expected {want_ids.tolist()}")
    if not isinstance(lengths, torch.Tensor):
        raise AssertionError(
            f"return the lengths as a tensor (torch.long), not a {type(lengths).__name__}"
        )
    if lengths.dtype != torch.long:
        raise AssertionError(f"the lengths are {lengths.dtype}: make them int64 (torch.long)")
    if lengths.shape != want_lengths.shape or not torch.equal(lengths, want_lengths):
        shown = lengths.tolist()
        if lengths.shape == want_lengths.shape and torch.equal(lengths, want_lengths - 2):
            raise AssertionError(
                "count every id of a caption in its length, <start> and <end> included"
            )
        if lengths.numel() and bool((lengths == ids.size(1)).all()):
            raise AssertionError(
                "the lengths are each caption's own number of ids, not the padded length"
            )
        raise AssertionError(
            f"for {captions} got lengths {shown}, expected {want_lengths.tolist()}"
        )


def _empty_batch(candidate: Function, reference: Function) -> None:
    message = (
        "an empty batch must give ids of shape (0, 0) and lengths of shape (0,) "
        "(max() of an empty list fails: give it default=0)"
    )
    try:
        got = candidate([])
    except (AssertionError, NotImplementedError):
        raise
    except Exception:
        raise AssertionError(message) from None
    ids, lengths = reference([])
    if (
        not isinstance(got, tuple | list)
        or len(got) != 2
        or not all(isinstance(t, torch.Tensor) for t in got)
        or got[0].shape != ids.shape
        or got[1].shape != lengths.shape
        or got[0].dtype != torch.long
        or got[1].dtype != torch.long
    ):
        raise AssertionError(message)


# ---------------------------------------------------------------------------------------
# ShowAndTell
# ---------------------------------------------------------------------------------------

FEATURE_DIM, VOCAB_SIZE = 8, 13
SIZES = {"embed": 6, "hidden": 10, "dropout": 0.3, "feature_dropout": 0.2}
LENGTHS = (6, 4, 3)
"""Caption lengths (ids, `<start>` and `<end>` included) of the check's batch."""


def tiny_batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(features (3, FEATURE_DIM), ids (3, 6)): `<start>` words `<end>` `<pad>`..."""
    gen = torch.Generator().manual_seed(seed)
    features = torch.randn(len(LENGTHS), FEATURE_DIM, generator=gen)
    ids = torch.full((len(LENGTHS), max(LENGTHS)), PAD)
    for row, n in enumerate(LENGTHS):
        ids[row, 0] = START
        ids[row, 1 : n - 1] = torch.randint(4, VOCAB_SIZE, (n - 2,), generator=gen)
        ids[row, n - 1] = END
    return features, ids


def _models(cls: Function, reference: Function) -> tuple[nn.Module, nn.Module]:
    """The student's model holding the reference's weights, and the reference, in eval mode."""
    torch.manual_seed(0)
    theirs = reference(FEATURE_DIM, VOCAB_SIZE, **SIZES)
    try:
        ours = cls(FEATURE_DIM, VOCAB_SIZE, **SIZES)
    except TypeError as error:
        raise AssertionError(
            f"the class must be built as ({FEATURE_DIM}, {VOCAB_SIZE}, embed=..., hidden=..., "
            f"dropout=..., feature_dropout=...): {error}"
        ) from None
    mine, wanted = ours.state_dict(), theirs.state_dict()
    if set(mine) != set(wanted):
        extra, missing = sorted(set(mine) - set(wanted)), sorted(set(wanted) - set(mine))
        raise AssertionError(
            f"keep the layers of __init__ as given (missing {missing or 'nothing'}, "
            f"extra {extra or 'nothing'})"
        )
    for name, tensor in wanted.items():
        if mine[name].shape != tensor.shape:
            raise AssertionError(
                f"{name} has shape {tuple(mine[name].shape)}, expected {tuple(tensor.shape)}: "
                "keep the layers of __init__ as given"
            )
    ours.load_state_dict(wanted)
    return ours.eval(), theirs.eval()


def _logits(model: nn.Module, features: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        out = model(features.clone(), ids.clone())
    if not isinstance(out, torch.Tensor):
        raise AssertionError(f"forward must return a tensor of logits, not a {type(out).__name__}")
    return out


def _close(a: torch.Tensor, b: torch.Tensor, tol: float = 1e-5) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, rtol=tol, atol=tol)


def check_show_and_tell(cls: Function, reference: Function) -> None:
    ours, theirs = _models(cls, reference)
    features, ids = tiny_batch()
    inputs = ids[:, :-1]
    got, expected = _logits(ours, features, inputs), _logits(theirs, features, inputs)
    if got.shape != expected.shape:
        raise AssertionError(
            f"forward returned shape {tuple(got.shape)}, expected (B, T, V) = "
            f"{tuple(expected.shape)}: one row of scores per input word"
        )
    if not _close(got, _logits(ours, features, inputs)):
        raise AssertionError(
            "in evaluation mode two calls give different logits: use the nn.Dropout layers "
            "(self.drop, self.feature_drop), which switch off in eval mode"
        )
    _sees_the_photo(ours, features, inputs)
    _reads_left_to_right(ours, features, inputs)
    _padding_changes_nothing(ours, features, ids)
    real = inputs != PAD  # positions after a caption's end may hold anything (packing)
    if not _close(got[real], expected[real]):
        if _close(got[real], torch.log_softmax(expected, dim=-1)[real]):
            raise AssertionError(
                "forward returns log-probabilities: return the raw logits (the loss applies "
                "the softmax; step returns log_softmax)"
            )
        for flaw, message in FORWARD_MISTAKES.items():
            if _close(got[real], _flawed_forward(theirs, features, inputs, flaw)[real]):
                raise AssertionError(message)
        raise AssertionError(
            f"with the reference's weights your logits differ from its logits by up to "
            f"{(got - expected)[real].abs().max():.3g}"
        )
    _uses_dropout(ours, theirs, features, inputs, real)
    _steps_like_forward(ours, features, inputs, got, real)
    _beam_search_runs(ours, theirs, features)


def _sees_the_photo(model: nn.Module, features: torch.Tensor, inputs: torch.Tensor) -> None:
    same_caption = inputs[:1].expand(len(inputs), -1)
    logits = _logits(model, features, same_caption)
    if _close(logits[0], logits[1]) and _close(logits[0], logits[2]):
        raise AssertionError(
            "different photos give the same logits for the same caption: the image must set "
            "the first state (init_h, init_c) and join every step's input (image_in)"
        )


def _reads_left_to_right(model: nn.Module, features: torch.Tensor, inputs: torch.Tensor) -> None:
    t = 2
    changed = inputs.clone()
    changed[:, t + 1 :] = _other_words(changed[:, t + 1 :])
    before, after = _logits(model, features, inputs), _logits(model, features, changed)
    if not _close(before[:, : t + 1], after[:, : t + 1]):
        raise AssertionError(
            f"the logits at position {t} change with the words after position {t}: the "
            "decoder may only read the words before the one it predicts (one LSTM, left to "
            "right, fed captions_in as it is)"
        )
    now = inputs.clone()
    now[:, t] = _other_words(now[:, t])
    if _close(before[:, t], _logits(model, features, now)[:, t]):
        raise AssertionError(
            f"the logits at position {t} do not depend on the word at position {t}: "
            "captions_in is already shifted (<start> w1 ...), so do not shift it again"
        )


def _other_words(ids: torch.Tensor) -> torch.Tensor:
    """Other word ids in the same places (never the same id)."""
    return torch.where(ids >= 4, 4 + (ids - 3) % (VOCAB_SIZE - 4), torch.full_like(ids, 5))


def _padding_changes_nothing(model: nn.Module, features: torch.Tensor, ids: torch.Tensor) -> None:
    batch = _logits(model, features, ids)
    for row, n in enumerate(LENGTHS):
        alone = _logits(model, features[row : row + 1], ids[row : row + 1, :n])
        if not _close(batch[row, :n], alone[0]):
            raise AssertionError(
                f"caption {row} gets other logits in a padded batch than alone: the <pad> "
                "after a caption must change nothing before it"
            )


def _uses_dropout(
    ours: nn.Module,
    theirs: nn.Module,
    features: torch.Tensor,
    inputs: torch.Tensor,
    real: torch.Tensor,
) -> None:
    """In training mode, the reference's logits under the same random draws."""
    drawn = []
    for model in (ours, theirs):
        model.train()
        torch.manual_seed(3)
        try:
            drawn.append(_logits(model, features, inputs))
        finally:
            model.eval()
    if _close(drawn[0], _logits(ours, features, inputs)):
        raise AssertionError(
            "in training mode the logits are those of evaluation mode: use the dropout "
            "layers (self.feature_drop, self.drop)"
        )
    if not _close(drawn[0][real], drawn[1][real]):
        raise AssertionError(
            "in training mode, with the same random draws, your logits differ from the "
            "reference's: apply self.feature_drop to the features (in start), then self.drop "
            "to the embedded words and to the LSTM's outputs"
        )


def _steps_like_forward(
    model: Any,
    features: torch.Tensor,
    inputs: torch.Tensor,
    logits: torch.Tensor,
    real: torch.Tensor,
) -> None:
    """Step by step from `start`, the log-probabilities of teacher forcing (at the
    positions of the captions: `real`)."""
    expected = torch.log_softmax(logits, dim=-1)
    with torch.no_grad():
        state = model.start(features.clone())
        for t in range(inputs.size(1)):
            out = model.step(state, inputs[:, t].clone())
            if not isinstance(out, tuple) or len(out) != 2:
                raise AssertionError("step must return (log_probs (B, V), new state)")
            log_probs, state = out
            if not isinstance(log_probs, torch.Tensor) or log_probs.shape != expected[:, t].shape:
                shape = getattr(log_probs, "shape", type(log_probs).__name__)
                raise AssertionError(
                    f"step returned log-probabilities of shape {tuple(shape)}, expected "
                    f"(B, V) = {tuple(expected[:, t].shape)}"
                )
            rows = real[:, t]
            if _close(log_probs[rows], expected[rows, t]):
                continue
            if _close(log_probs[rows], logits[rows, t]):
                raise AssertionError(
                    "step returns raw logits: return their log_softmax over the vocabulary"
                )
            if t > 0:
                fresh, _ = model.step(model.start(features.clone()), inputs[:, t].clone())
                if _close(log_probs[rows], fresh[rows]):
                    raise AssertionError(
                        "step forgets the state: run the LSTM from the (h, c) it is given "
                        "and return the new (h, c) in the state"
                    )
            raise AssertionError(
                f"step by step, the log-probabilities at position {t} differ from those of "
                "forward (teacher forcing) by up to "
                f"{(log_probs[rows] - expected[rows, t]).abs().max():.3g}"
            )


def _beam_search_runs(ours: nn.Module, theirs: nn.Module, features: torch.Tensor) -> None:
    try:
        got = beam_search(ours, features, beam=2, max_len=5, alpha=0.0)  # type: ignore[arg-type]
    except AttributeError as error:
        raise AssertionError(
            f"beam search cannot reorder your state ({error}): return a PooledState(h, c, image)"
        ) from None
    if got != beam_search(theirs, features, beam=2, max_len=5, alpha=0.0):  # type: ignore[arg-type]
        raise AssertionError(
            "beam search on your decoder finds other captions than on the reference: the "
            "state's h and c are (1, B, H), image (B, E), so that select() picks rows"
        )


FORWARD_MISTAKES = {
    "image_first": "the LSTM's input is the word's embedding followed by the image's, in "
    "that order: torch.cat([words, image], dim=-1)",
    "no_tanh": "squash the first state with tanh: h0 = tanh(init_h(features)), "
    "c0 = tanh(init_c(features))",
    "h_c_swapped": "h0 comes from init_h and c0 from init_c, not the other way round",
    "zero_state": "start the LSTM from the image (h0 = tanh(init_h(features)), "
    "c0 = tanh(init_c(features))), not from zeros",
}


def _flawed_forward(
    model: nn.Module, features: torch.Tensor, inputs: torch.Tensor, flaw: str
) -> torch.Tensor:
    """The reference's forward (eval mode) with one usual mistake."""
    if flaw not in FORWARD_MISTAKES:
        raise ValueError(f"unknown mistake {flaw!r}")
    m: Any = model
    with torch.no_grad():
        h, c = m.init_h(features), m.init_c(features)
        if flaw != "no_tanh":
            h, c = torch.tanh(h), torch.tanh(c)
        if flaw == "h_c_swapped":
            h, c = c, h
        if flaw == "zero_state":
            h, c = torch.zeros_like(h), torch.zeros_like(c)
        words = m.embed(inputs)
        image = m.image_in(features).unsqueeze(1).expand(-1, inputs.size(1), -1)
        both = [image, words] if flaw == "image_first" else [words, image]
        out, _ = m.lstm(torch.cat(both, dim=-1), (h.unsqueeze(0), c.unsqueeze(0)))
        logits: torch.Tensor = m.out(out)
    return logits


# ---------------------------------------------------------------------------------------
# train_epoch
# ---------------------------------------------------------------------------------------

EPOCH_CLIP = 0.05
"""Small, so that clipping changes every update of the check (SGD, learning rate 0.5)."""
EPOCH_BATCH = 4

EPOCH_MISTAKES = {
    "no_zero_grad": "the gradients pile up from batch to batch: call optimizer.zero_grad() "
    "before each backward()",
    "no_shift": "the targets are not shifted: the model reads ids[:, :-1] and must predict "
    "ids[:, 1:], the next word at every position",
    "no_shift_full": "the model reads the whole caption and predicts the same words: feed "
    "ids[:, :-1] and predict ids[:, 1:]",
    "backwards": "the shift goes the wrong way: the model reads ids[:, :-1] (starting with "
    "<start>) and predicts ids[:, 1:] (ending with <end>)",
    "pad_counted": "the <pad> positions are counted in the loss: pass ignore_index=PAD to "
    "the cross-entropy",
    "no_train_mode": "the model stays in evaluation mode (dropout off): call model.train() first",
    "no_clip": "the gradient is not clipped to `clip` before the step: call "
    "nn.utils.clip_grad_norm_(model.parameters(), clip) between backward() and step()",
    "first_photos": "each caption must go with its own photo: take features[index] with the "
    "photo indices of the batch, not the first rows of features",
    "unshuffled": "shuffle the pairs with the rng you are given: caption_batches(pairs, "
    "batch_size, rng)",
}


def tiny_captioner(seed: int = 0) -> ShowAndTell:
    torch.manual_seed(seed)
    return ShowAndTell(FEATURE_DIM, VOCAB_SIZE, embed=6, hidden=10, dropout=0.3)


def tiny_pairs(seed: int = 0) -> tuple[torch.Tensor, list[tuple[int, list[int]]]]:
    """(features (5, FEATURE_DIM), 10 (photo index, `<start>` ids `<end>`) pairs)."""
    gen = torch.Generator().manual_seed(seed)
    features = torch.randn(5, FEATURE_DIM, generator=gen)
    pairs = []
    for k in range(10):
        n = int(torch.randint(1, 6, (), generator=gen))
        words = torch.randint(4, VOCAB_SIZE, (n,), generator=gen).tolist()
        pairs.append(((3 * k + 1) % 5, [START, *words, END]))
    return features, pairs


def _flawed_epoch(
    model: nn.Module,
    features: torch.Tensor,
    pairs: Sequence[tuple[int, list[int]]],
    optimizer: torch.optim.Optimizer,
    flaw: str,
) -> None:
    """One epoch with one usual mistake (never the right loop)."""
    from practicum.lessons.lesson5.train import caption_batches

    if flaw not in EPOCH_MISTAKES:
        raise ValueError(f"unknown mistake {flaw!r}")
    model.train(flaw != "no_train_mode")
    rng = None if flaw == "unshuffled" else np.random.default_rng(0)
    for index, ids in caption_batches(pairs, EPOCH_BATCH, rng):
        inputs, targets = ids[:, :-1], ids[:, 1:]
        if flaw == "no_shift":
            targets = inputs
        elif flaw == "no_shift_full":
            inputs = targets = ids
        elif flaw == "backwards":
            inputs, targets = ids[:, 1:], ids[:, :-1]
        photos = features[: len(index)] if flaw == "first_photos" else features[index]
        logits = model(photos, inputs)
        loss = nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)),
            targets.reshape(-1),
            ignore_index=-100 if flaw == "pad_counted" else PAD,
        )
        if flaw != "no_zero_grad":
            optimizer.zero_grad()
        loss.backward()
        if flaw != "no_clip":
            nn.utils.clip_grad_norm_(model.parameters(), EPOCH_CLIP)
        optimizer.step()


def _flawed(
    features: torch.Tensor,
    pairs: Sequence[tuple[int, list[int]]],
    flaw: str,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
) -> None:
    _flawed_epoch(model, features, pairs, optimizer, flaw)


def _one_epoch(run: Callable[[nn.Module, torch.optim.Optimizer], Any]) -> tuple[Any, nn.Module]:
    """From the same weights and the same dropout draws: what `run` returns, and the model."""
    model = tiny_captioner()
    model.eval()  # the loop itself must switch to training mode
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    torch.manual_seed(1)
    return run(model, optimizer), model


def _gap(a: nn.Module, b: nn.Module) -> float:
    return max(
        float((p - q).detach().abs().max())
        for p, q in zip(a.parameters(), b.parameters(), strict=True)
    )


def check_train_epoch(candidate: Function, reference: Function) -> None:
    features, pairs = tiny_pairs()

    def run(train: Function, copies: bool) -> Callable[[nn.Module, torch.optim.Optimizer], Any]:
        def go(model: nn.Module, optimizer: torch.optim.Optimizer) -> Any:
            given = (features.clone(), copy.deepcopy(pairs)) if copies else (features, pairs)
            return train(
                model, *given, optimizer, batch_size=EPOCH_BATCH,
                rng=np.random.default_rng(0), clip=EPOCH_CLIP,
            )  # fmt: skip

        return go

    got, mine = _one_epoch(run(candidate, copies=True))
    expected, theirs = _one_epoch(run(reference, copies=False))
    if _gap(mine, tiny_captioner()) == 0:
        raise AssertionError("the weights did not change: call optimizer.step() after backward()")
    gap = _gap(mine, theirs)
    if gap > 1e-5:
        for flaw in EPOCH_MISTAKES:
            _, wrong = _one_epoch(functools.partial(_flawed, features, pairs, flaw))
            if _gap(mine, wrong) <= 1e-5:
                raise AssertionError(EPOCH_MISTAKES[flaw])
        raise AssertionError(
            f"after one epoch from the same weights, yours differ from the reference's by "
            f"up to {gap:.2e}"
        )
    if not isinstance(got, float | int | torch.Tensor) or isinstance(got, bool):
        raise AssertionError(f"return the mean of the batches' losses as a float, not {got!r}")
    if not math.isclose(float(got), float(expected), rel_tol=1e-5):
        raise AssertionError(
            f"return the mean of the batches' losses ({float(expected):.4f} here), not "
            f"{float(got):.4f}"
        )
