# %% [markdown]
# # Lesson 5, Section 1: describing a photo in words
#
# This lesson builds an **image captioner**: a network that looks at a photo and writes
# a sentence about it, "a black dog runs through the snow". It is trained on Flickr8k
# (Hodosh, Young and Hockenmaier, 2013): photos of people and animals doing things, each
# described by five people independently. This first section explains the ideas, each
# with a small experiment you can change and re-run:
#
# 1. the photos and their captions: what there is to learn from;
# 2. words as ids: normalisation and the vocabulary;
# 3. how a CNN sees a photo: the grid of features of your Lesson 2 network;
# 4. the encoder-decoder: a CNN reads the photo, an LSTM writes the words;
# 5. teacher forcing: how the writer is trained;
# 6. greedy and beam search: how a caption is chosen;
# 7. BLEU-4 and CIDEr-D, the two scores of captioning, worked through by hand;
# 8. why CIDEr-D rewards specific words and punishes generic captions.
#
# A quiz at the end opens Section 2, where you write the captioner's pieces yourself.
#
# Run time, measured once on 2 CPU cores: 7.4 minutes, 6.5 of them (392 s) training the
# Lesson 2 network of part 3, which happens only when no saved one is found (Section 2
# then reuses it); 12 s in smoke mode (`PRACTICUM_SMOKE=1`). Not measured on a GPU.

# %%
import math
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display

from practicum import data, settings
from practicum.coursework import common, quiz
from practicum.data.captioned import captioned_images
from practicum.grading.metrics import caption_bleu
from practicum.lessons.lesson2 import fast
from practicum.lessons.lesson2.resnet import RESNET18_FILE
from practicum.lessons.lesson4 import decode
from practicum.lessons.lesson4 import plots as search_plots
from practicum.lessons.lesson4.toys import TableTranslator
from practicum.lessons.lesson5 import features, plots
from practicum.lessons.lesson5.decoder import ShowAndTell
from practicum.lessons.lesson5.text import END, UNK, Vocab, normalize, pad_captions
from practicum.lessons.lesson5.train import caption_loss
from practicum.train import seed_everything
from practicum.train.cider import caption_tokens, cider_d

seed_everything(0)

# %% [markdown]
# ## 1. The photos and their captions
#
# The course's copy of Flickr8k has 800 photos in three splits: `train` (607 photos),
# `dev` (88) and `test` (105). The test photos belong to the homework: no number in this
# lesson comes from them. Every choice we make (how many words to keep, how long to
# train) is made on a **validation** split carved out of the training photos: 15% of
# them, drawn with a fixed seed, all five captions of a photo on the same side. Section 2
# carves the same split.

# %%
photos = captioned_images("flickr8k", "train")
train, valid = photos.carve(0.15, seed=0)
print(f"{len(photos)} training photos: {len(train)} to train on, {len(valid)} for validation")
print(f"{sum(len(c) for c in train.captions):,} training captions")
shown = list(range(min(4, len(valid))))
plots.photos_with_captions(
    valid.images(256, shown),
    [valid.captions[i] for i in shown],
    title="Validation photos, each with its five human captions",
)

# %% [markdown]
# Five people saw the same photo and wrote five different sentences: they chose different
# details (the colour of the dog, what is in the background), different words ("runs",
# "running") and different lengths. A captioner cannot hope to reproduce one of them
# word for word; the scores of part 7 compare its caption with all five at once.
#
# How long are captions, and which words do they use?

# %%
train_captions = [c for photo in train.captions for c in photo]
plots.caption_statistics(train_captions, title="The training captions")

# %% [markdown]
# Captions are short, about eleven words on average, and their words follow the same
# law as any text (Lesson 4): a few words ("a", "the", "in", "on", "is", "and") are
# everywhere, and a long tail of words is seen once or twice: of the 2,310 different
# words of the training captions, 1,034 occur only once. The most frequent nouns say
# what the photos show: "dog", "man", "boy", "girl", "woman", "water".

# %% [markdown]
# ## 2. Words as ids
#
# Before counting words, every caption is **normalised** the same way: lowercase,
# punctuation dropped, split on spaces (`text.normalize`). "A dog runs." and "a dog
# runs" become the same three words. (The scores of part 7 normalise too, so a capital
# letter or a full stop never costs a point.)

# %%
for caption in ("A black dog is running through the snow .", "A child's red ball, on grass!"):
    print(f"{caption!r:50} -> {normalize(caption)}")

# %% [markdown]
# The **vocabulary** lists the words the network knows, a word's id being its position in
# the list. It is built from the training captions only, and four ids are reserved:
#
# - `<pad>` (0) fills short captions up to the longest one of a batch;
# - `<start>` (1) is the decoder's first input, before any word;
# - `<end>` (2) ends every caption: the decoder learns to say when it is done;
# - `<unk>` (3) stands for every word the vocabulary does not have.
#
# `Vocab.build(captions, min_freq=m)` keeps the words seen at least `m` times. Rare words
# are hard to learn from a few examples and make the network's last layer wider; the
# price of dropping them is more `<unk>` in captions the network has not seen. Measured
# on the validation captions:

# %%
min_freqs = [1, 2, 3, 5, 10]
unknown = []
print("min_freq  vocabulary  <unk> among the validation words")
for m in min_freqs:
    vocab = Vocab.build(train_captions, min_freq=m)
    ids = [i for photo in valid.captions for c in photo for i in vocab.encode(c)[1:-1]]
    unknown.append(100 * np.mean(np.array(ids) == UNK))
    print(f"{m:>8}  {len(vocab):>10,}  {unknown[-1]:6.2f}%")

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(min_freqs, unknown, "o-")
ax.set_xscale("log")
ax.set_xticks(min_freqs, [str(m) for m in min_freqs])
ax.set_xlabel("min_freq")
ax.set_ylabel("<unk> among validation words (%)")
fig.tight_layout()
plt.show()

# %% [markdown]
# Even with every training word kept (`min_freq=1`: 2,314 ids), 5.8% of the validation
# words were never seen in training: 2,580 captions are a small sample of English.
# `min_freq=3` cuts the vocabulary to 919 ids, and `<unk>` rises to 10.1% of the
# validation words. Section 2 uses `min_freq=3`, the library's default (not tuned here:
# try 2 there and compare the validation scores). A caption as ids and back (`encode`
# adds `<start>` and `<end>`; `decode` stops at `<end>`):

# %%
vocab = Vocab.build(train_captions, min_freq=3)
caption = valid.captions[0][0]
ids = vocab.encode(caption)
print(caption)
print(ids)
print([vocab.itos[i] for i in ids])
print(vocab.decode(ids))

# %% [markdown]
# ## 3. How a CNN sees a photo
#
# 607 photos are far too few to learn to see. A captioner borrows its eyes: a CNN trained
# for something else, with its classifier cut off. Ours is **your Lesson 2 network**,
# the fast CIFAR-10 recipe (`lesson2/fast.py`): three groups of convolutions, each ending
# in a 2 × 2 max-pooling, trained to tell ten classes of 32 × 32 images apart. Being made
# only of convolutions and pooling, it slides over a photo of any size: a 128 × 128 photo
# comes out as a **grid** of 15 × 15 positions, each with one number per channel of the
# last convolution. Each number says how strongly a pattern the network learnt (fur, an
# edge, a patch of sky) is present at that place.
#
# If you saved your network at the end of Lesson 2 as shown below, in this folder, it is
# used. Otherwise the next cell trains one with the same recipe, narrower (widths 32, 128,
# 128 instead of 64, 256, 256) and for two epochs instead of eight, so that it takes a
# few minutes on a CPU, and saves it under that name: Section 2 finds it there.
#
# ```python
# torch.save({"widths": cfg.widths, "state_dict": net.state_dict()}, "lesson2_cnn.pt")
# ```

# %%
CNN_FILE = Path("lesson2_cnn.pt")
if CNN_FILE.exists():
    widths = tuple(torch.load(CNN_FILE, weights_only=True)["widths"])
    backbone = features.load_fast_backbone(CNN_FILE, widths)
    print(f"loaded {CNN_FILE}: widths {widths}")
else:
    cifar = data.load("cifar10", "train")
    order = np.random.default_rng(0).permutation(len(cifar["x"]))  # the files are by class
    x, y = cifar["x"][order], cifar["y"][order]
    held_out = common.scale(5000, 100)
    widths = (8, 16, 16) if settings.smoke() else (32, 128, 128)
    cfg = replace(fast.FastConfig.for_cpu(), widths=widths, epochs=common.scale(2, 1))
    started = time.perf_counter()
    net = fast.train_fast(x[held_out:], y[held_out:], cfg, seed=0, progress=False)
    print(f"trained {cfg.describe()} in {time.perf_counter() - started:.0f} s")
    accuracy = np.mean(fast.predict_logits(net, x[:held_out]).argmax(1) == y[:held_out])
    print(f"accuracy on {held_out:,} held-out CIFAR-10 training images: {accuracy:.3f}")
    partial = CNN_FILE.with_suffix(".partial")  # renamed when complete: never found half-written
    torch.save({"widths": widths, "state_dict": net.state_dict()}, partial)
    partial.replace(CNN_FILE)
    backbone = features.fast_backbone(net.float())
print(backbone.name, f"{backbone.channels} channels")

# %% [markdown]
# `features.grid_features(backbone, photos)` standardises uint8 photos with the colour
# statistics the network was trained with and returns the grid, (N, C, h, w). (It also
# averages the grid with that of the mirrored photo, mirrored back: a little steadier.)
# The channels that respond most strongly to a photo, each drawn over the photo's area:

# %%
size = features.PHOTO_SIZE
some = valid.images(size, shown)
grids = features.grid_features(backbone, some)
print("photos", some.shape, "-> grid", tuple(grids.shape))
for k in range(2):
    display(plots.feature_maps(some[k], grids[k]))

# %% [markdown]
# In our run, on the photo of three dogs on a hill, some channels lit up on the sky,
# others on the grass, and a few where the dogs stand.
#
# The decoder of this section reads one vector per photo, not the grid: `features.pooled`
# takes, for each channel, its largest value over the grid (is the pattern anywhere?) and
# its mean (how much of the photo shows it), so C channels give 2C numbers.
#
# Do these vectors know what is in a photo? A quick test: for a validation photo, the
# training photos whose vectors are closest (cosine similarity, each feature standardised
# on the training photos first). The first photo of each row is the validation photo:

# %%
started = time.perf_counter()
train_vectors = features.pooled(features.grid_features(backbone, train.images(size)))
valid_vectors = features.pooled(features.grid_features(backbone, valid.images(size)))
print(f"{len(train) + len(valid)} photos through the CNN in {time.perf_counter() - started:.0f} s")
print("pooled vectors:", tuple(train_vectors.shape))
scale = features.Standardizer.fit(train_vectors)


def unit(v):
    v = scale(v)
    return v / v.norm(dim=1, keepdim=True)


similarity = unit(valid_vectors) @ unit(train_vectors).T
neighbours = 5
rows = list(range(min(4, len(valid))))
nearest = similarity[rows].topk(neighbours, dim=1).indices
tiles = np.concatenate(
    [
        np.concatenate([valid.images(96, [r]), train.images(96, nearest[k].tolist())])
        for k, r in enumerate(rows)
    ]
)
titles = [
    t
    for k, r in enumerate(rows)
    for t in ["validation photo", *(f"cos {similarity[r, j]:.2f}" for j in nearest[k].tolist())]
]
common.image_grid(tiles, titles=titles, cols=neighbours + 1, title="Nearest training photos")

# %% [markdown]
# In our run the neighbours shared the layout and the colours of a photo more than its
# content: for three dogs on a green hill under a cloudy sky, the nearest training photos
# were beaches and lakes, water and sky in the same places; for two workers sitting on a
# steel beam, people standing in streets. The network learnt from 32-pixel thumbnails of
# ten classes, none of them people: it tells grass, sky and water apart, and people and
# what they do hardly at all. That limits what a captioner built on it can say.
#
# **Better eyes.** A network trained on ImageNet (1.2 million photos of 1,000 classes)
# sees far more than one trained on 50,000 thumbnails of ten classes. If you have
# torchvision's ResNet-18 weights, put the file `resnet18-f37072fd.pth` in this folder
# (it comes from https://download.pytorch.org/models/; Practicum never downloads it) and
# re-run this section: the next cell then shows its grid, 4 × 4 positions of 512
# channels for a 128-pixel photo, and Section 2 can use it (`EYES = "resnet18"` there).
# It would change what the captioner can say: ImageNet knows a hundred dog breeds,
# bicycles and surfboards, the Lesson 2 network only ten classes of small objects.

# %%
if Path(RESNET18_FILE).exists():
    resnet = features.resnet18_backbone(RESNET18_FILE)
    resnet_grids = features.grid_features(resnet, some)
    print(resnet.name, "grid", tuple(resnet_grids.shape))
    display(plots.feature_maps(some[0], resnet_grids[0]))
else:
    print(f"no {RESNET18_FILE} here: this lesson uses the Lesson 2 network")

# %% [markdown]
# ## 4. The encoder-decoder
#
# A captioner has two parts (Vinyals et al., 2015, "Show and Tell"):
#
# - the **encoder**, the CNN above, turns the photo into one vector $v$ (its pooled grid);
# - the **decoder**, an LSTM, writes the caption one word at a time. Its first state
#   $(h_0, c_0)$ is computed from $v$ (a linear layer and tanh each), and at every step
#   it reads the previous word's embedding together with a projection of $v$; a linear
#   layer turns its state into a score for every word of the vocabulary.
#
# Feeding $v$ at every step, not only at the start, follows Mao et al.'s m-RNN (2015):
# the LSTM does not have to carry the photo through its state for twenty words. The
# drawing, for the caption "a dog runs":

# %%
plots.draw_captioner(
    ["a", "dog", "runs"],
    valid.image(0, 96),
    grid=f"{grids.shape[2]} x {grids.shape[3]} x {grids.shape[1]}",
)

# %% [markdown]
# `lesson5/decoder.py` is this network (`ShowAndTell`). Given the image vectors (B, F)
# and the decoder's inputs (B, T) it returns scores (B, T, V): for every position, a
# score for each word of the vocabulary being the *next* one. You write it in Section 2.

# %%
feature_dim = train_vectors.shape[1]
model = ShowAndTell(feature_dim, len(vocab))
print(model)
print(f"{sum(p.numel() for p in model.parameters()):,} parameters")
batch = [vocab.encode(c) for c in valid.captions[0]]
ids, lengths = pad_captions(batch)
images = scale(valid_vectors[[0] * len(batch)])
print(
    "image vectors",
    tuple(images.shape),
    " caption ids",
    tuple(ids.shape),
    " lengths",
    lengths.tolist(),
)
model.eval()
with torch.no_grad():
    print("scores", tuple(model(images, ids[:, :-1]).shape))

# %% [markdown]
# Most of the weights sit in the LSTM and in the output layer, whose size grows with the
# vocabulary. Everything the decoder knows about the photo is the vector $v$: Section 3
# lets it look at every region of the grid instead (attention).
#
# ## 5. Teacher forcing
#
# The decoder is trained as a language model of captions, conditioned on the photo: at
# every position, the cross-entropy of the correct next word. For the caption `<start> w1
# ... wn <end>` it reads `<start> w1 ... wn` and must predict `w1 ... wn <end>`: the same
# ids, shifted by one. In training it always reads the *correct* previous words, never
# its own guesses (**teacher forcing**), so all positions are computed in one call.
# `<pad>` positions are not predictions and count for nothing.

# %%
ids = vocab.encode(valid.captions[0][0])
print(f"{'position':>8}  {'reads':>10}  must predict")
for t in range(len(ids) - 1):
    print(f"{t:>8}  {vocab.itos[ids[t]]:>10}  {vocab.itos[ids[t + 1]]}")

# %% [markdown]
# An untrained decoder spreads its probability about evenly over the vocabulary, so its
# loss should be close to $\ln V$:

# %%
ids, _ = pad_captions([vocab.encode(c) for photo in valid.captions[:8] for c in photo])
images = scale(valid_vectors[[i for i in range(min(8, len(valid))) for _ in range(5)]])
with torch.no_grad():
    loss = caption_loss(model(images, ids[:, :-1]), ids[:, 1:])
print(f"untrained loss {loss:.3f}, ln V = {math.log(len(vocab)):.3f}")

# %% [markdown]
# ## 6. Greedy and beam search
#
# A trained decoder gives, at each step, the probabilities of the next word. **Greedy
# search** takes the most likely word and feeds it back; **beam search** keeps the `beam`
# most likely beginnings at each step, extends each by every word and keeps the best
# `beam` of those (Lesson 4). The decoder offers the two calls Lesson 4's searches need,
# `start(features)` and `step(state, words)`, so `lesson4/decode.py` serves unchanged.
#
# A toy decoder whose probabilities are a fixed table shows the difference. (The drawing
# is Lesson 4's, where `<start>` was called `<s>`.)

# %%
names = {
    END: "<end>",
    4: "a",
    5: "two",
    6: "dog",
    7: "man",
    8: "child",
    9: "dogs",
    10: "runs",
    11: "walks",
    12: "play",
}
table = {
    (): {4: 0.6, 5: 0.4},
    (4,): {6: 0.36, 7: 0.34, 8: 0.30},
    (4, 6): {10: 0.55, END: 0.45},
    (4, 7): {11: 0.6, END: 0.4},
    (5,): {9: 0.9, END: 0.1},
    (5, 9): {12: 0.9, END: 0.1},
}
toy = TableTranslator(table, vocab_size=13)
photo = torch.zeros((1, 1))  # the toy ignores the photo
found = {
    "greedy": decode.greedy(toy, photo, max_len=6)[0],
    "beam search, beam 2": decode.beam_search(toy, photo, beam=2, max_len=6, alpha=0.0)[0],
}
sentences = toy.sentences()
for how, ids in found.items():
    print(f"{how:>20}: {' '.join(names[i] for i in ids):<14} P = {sentences[(*ids, END)]:.3f}")
search_plots.draw_search_tree(
    toy,
    names,
    {
        label: (ids, colour)
        for (label, ids), colour in zip(found.items(), ("tab:red", "tab:green"), strict=True)
    },
)

# %% [markdown]
# Greedy takes "a" (0.6 > 0.4) and then can only continue with at most 0.36: its caption
# has probability 0.6 × 0.36 × 0.55 = 0.119. Beam search keeps "two" alive after the first
# step, and "two dogs play" (0.4 × 0.9 × 0.9 = 0.324) wins. Section 2 compares the two
# searches on a trained captioner.

# %% [markdown]
# ## 7. BLEU-4 and CIDEr-D
#
# A caption is scored against the five human captions of its photo. Two scores are
# standard, and Section 2 reports both.
#
# **BLEU-4** (Papineni et al., 2002; Lesson 4) with several references: for n = 1 to 4,
# the **clipped precision** $p_n$ of the hypotheses' n-grams, each n-gram counted at most
# as often as the reference that has it most often has it; matches and totals summed over
# the corpus; their geometric mean, times a **brevity penalty** $e^{1 - r/c}$ when the
# hypotheses' length $c$ is below $r$, the sum over photos of the reference length
# closest to each hypothesis's length. The homework's score is BLEU-4 by sacrebleu
# (lowercased, its standard tokenisation: `caption_bleu`). By hand, on three photos with
# two references each:

# %%
references = [
    ["a dog runs on the grass", "a brown dog runs through the grass"],
    ["a man rides a bike", "a man is riding a bicycle on the road"],
    ["two children play in the snow", "two kids are playing in the snow"],
]
hypotheses = ["a dog runs through the grass", "a man rides", "a dog plays in the snow"]


def ngrams(words, n):
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


matches, totals = [0] * 4, [0] * 4
c = r = 0
for hypothesis, refs in zip(hypotheses, references, strict=True):
    hyp, ref_words = hypothesis.split(), [ref.split() for ref in refs]
    c += len(hyp)
    r += min((abs(len(w) - len(hyp)), len(w)) for w in ref_words)[1]  # closest, then shorter
    for n in range(1, 5):
        most = Counter()
        for w in ref_words:
            most |= ngrams(w, n)  # the largest count of each n-gram in any reference
        mine = ngrams(hyp, n)
        matches[n - 1] += sum(min(k, most[g]) for g, k in mine.items())
        totals[n - 1] += sum(mine.values())
for n in range(4):
    print(f"p_{n + 1} = {matches[n]}/{totals[n]} = {matches[n] / totals[n]:.4f}")
mean = math.exp(sum(math.log(m / t) for m, t in zip(matches, totals, strict=True)) / 4)
penalty = 1.0 if c >= r else math.exp(1 - r / c)
print(f"geometric mean {mean:.4f}; c = {c}, r = {r}: brevity penalty {penalty:.4f}")
print(f"by hand: BLEU-4 = 100 × {penalty:.4f} × {mean:.4f} = {100 * penalty * mean:.2f}")
print(f"caption_bleu: {caption_bleu(references, hypotheses).score:.2f}")

# %% [markdown]
# **CIDEr-D** (Vedantam, Zitnick and Parikh, 2015) asks a different question: does the
# caption say what the *other* people said about *this* photo, and not what everyone says
# about every photo? Every n-gram (n = 1 to 4) of a caption gets a **tf-idf** weight:
#
# $$w(g) = \underbrace{\text{count of } g \text{ in the caption}}_{\text{tf}} \times
# \underbrace{\log\frac{N}{\text{df}(g)}}_{\text{idf}},$$
#
# with $N$ the number of photos in the corpus and $\text{df}(g)$ the number of photos
# whose references contain $g$. An n-gram every photo's references contain ("a", "in
# the") weighs $\log 1 = 0$; one that only this photo's references contain weighs the
# most. For each n, the hypothesis's weights and a reference's weights form two vectors,
# compared by a cosine where each hypothesis weight is first clipped to the reference's
# (so repeating a word does not pay):
#
# $$s_n(h, r) = \frac{\sum_g \min(w_h(g), w_r(g))\, w_r(g)}{\lVert w_h \rVert\, \lVert w_r \rVert}
# \cdot e^{-(\ell_h - \ell_r)^2 / (2 \cdot 6^2)},$$
#
# the last factor a penalty for a length $\ell_h$ different from the reference's $\ell_r$
# (in words). A photo's CIDEr-D is 10 × the mean of $s_n$ over its references and over
# n = 1 to 4; the corpus score is the mean over photos. By hand, on the same three photos:

# %%
N = len(references)
document_frequency = Counter()
for refs in references:
    document_frequency.update(
        {g for ref in refs for n in range(1, 5) for g in ngrams(caption_tokens(ref), n)}
    )


def weights(caption, n):
    return {
        g: k * (math.log(N) - math.log(max(1, document_frequency[g])))  # no reference has it: 1
        for g, k in ngrams(caption_tokens(caption), n).items()
    }


print("unigrams of the first hypothesis (each once, so the weight is the idf):")
for (word,), w in weights(hypotheses[0], 1).items():
    print(f"   {word:>8}: df {document_frequency[(word,)]}  weight {w:.3f}")

per_photo = []
for hypothesis, refs in zip(hypotheses, references, strict=True):
    total = 0.0
    for ref in refs:
        gap = len(caption_tokens(hypothesis)) - len(caption_tokens(ref))
        penalty = math.exp(-(gap**2) / (2 * 6.0**2))
        for n in range(1, 5):
            h, r = weights(hypothesis, n), weights(ref, n)
            norms = math.sqrt(sum(v * v for v in h.values())) * math.sqrt(
                sum(v * v for v in r.values())
            )
            shared = sum(min(v, r.get(g, 0.0)) * r.get(g, 0.0) for g, v in h.items())
            total += (shared / norms if norms else 0.0) * penalty
    per_photo.append(10 * total / (4 * len(refs)))
print("per photo:", " ".join(f"{s:.4f}" for s in per_photo))
print(f"by hand: CIDEr-D = {np.mean(per_photo):.4f}")
result = cider_d(references, hypotheses)
print(f"cider_d: {result.score:.4f}")

# %% [markdown]
# Both computations agree. Look at the first hypothesis's unigrams: "a" and "the" occur in
# the references of two of the three photos and weigh little, "dog" and "runs" weigh
# the most. The third hypothesis says "a dog plays in the snow" about two children: "in the
# snow" matches, and that is all.
#
# (The reference CIDEr-D, coco-caption's, tokenises with Stanford's PTB tokenizer, which
# needs Java; `caption_tokens` does the same in Python for plain sentences. Papers often
# write CIDEr-D times 100: 1.0 here is their 100.)

# %% [markdown]
# ## 8. Specific words pay, generic captions do not
#
# What do the scores say about captions we know? Three captioners on the validation
# photos, each scored against the photos' references 2 to 5:
#
# - **a human**: each photo's first reference, written by a fifth person;
# - **a human, wrong photo**: the first reference of *another* validation photo: fluent,
#   and about a photo of the same kind of world, but not this one;
# - **one generic caption** for every photo, "a man in a blue shirt is standing on the
#   street", of the kind a captioner that ignores the photo learns to say.

# %%
others = [photo[1:] for photo in valid.captions]
own = [photo[0] for photo in valid.captions]
shifted = own[1:] + own[:1]
generic = ["a man in a blue shirt is standing on the street"] * len(valid)
print(f"{'captioner':<22} {'BLEU-4':>7} {'CIDEr-D':>8}")
for name, captions in (
    ("a human", own),
    ("a human, wrong photo", shifted),
    ("one generic caption", generic),
):
    bleu_score = caption_bleu(others, captions).score
    cider = cider_d(others, captions).score
    print(f"{name:<22} {bleu_score:7.2f} {cider:8.3f}")

# %% [markdown]
# In our run a fifth person's caption scored BLEU-4 21.43 and CIDEr-D 0.770 against the
# other four; the same captions given to the wrong photos fell to 0.88 and 0.028; the
# generic caption got 5.72 and 0.120. Both scores put the three in the same order, but
# they weigh them differently: BLEU-4 gives the generic caption a quarter of the human's
# score (5.72 / 21.43), CIDEr-D a sixth (0.120 / 0.770). And the generic caption beats a
# real caption of the wrong photo on both: saying what is common (a man, a shirt,
# standing) is safer than saying something specific and wrong. A captioner trained to
# give probable words learns that lesson too, so Section 2 also counts how many
# *different* captions a model writes.
#
# Why? The idf of a few words, over the validation photos' references:

# %%
df = Counter()
for refs in others:
    df.update({w for ref in refs for w in caption_tokens(ref)})
for word in ("a", "in", "man", "dog", "grass", "water", "snow", "shirt", "bike", "ball"):
    if df[word]:
        print(
            f"{word:>6}: in the references of {df[word]:>2} of {len(others)} photos, idf {math.log(len(others) / df[word]):.2f}"
        )

# %% [markdown]
# **Next:** Section 2, where you write the padding, the decoder and its training loop,
# train a Show-and-Tell captioner on the Lesson 2 network's vectors, and compare it with
# two captioners that do not learn anything: the best constant caption and the caption of
# the nearest training photo.

# %% [markdown]
# ## Quiz
#
# Answer every question with the letter of your choice, then run the check cell: it says
# which answers are wrong. All right opens Section 2; after three tries the right
# answers are shown and the section opens anyway.

# %%
quiz1 = quiz.Quiz(
    5,
    1,
    [
        quiz.Question(
            "q1",
            "The caption `<start> a dog runs <end>` is one training example. Under teacher forcing, how many positions add to the loss, and what does the decoder read at the position whose target is `runs`?",
            {
                "a": "4 positions; it reads `dog`",
                "b": "5 positions; it reads `dog`",
                "c": "4 positions; it reads `runs`",
                "d": "3 positions; it reads `a dog`",
            },
            "58a841569fcd236bdfa03a6f7ed56aa9118a217544ffe6c92234ddc9c289c092",
        ),
        quiz.Question(
            "q2",
            "In a corpus of 100 photos, `a` occurs in the references of all 100 and `frisbee` in those of 4. What idf weights does CIDEr-D give them (natural log)?",
            {
                "a": "`a` ln 100 ≈ 4.61 and `frisbee` ln 4 ≈ 1.39",
                "b": "`a` 1 and `frisbee` 4/100 = 0.04",
                "c": "`a` 0 and `frisbee` ln 25 ≈ 3.22",
                "d": "`a` 100 and `frisbee` 4, their counts",
            },
            "47ce9cf326f2ab4b41b40a426e236c7dce169f6c6041082dc9b7e197cd935b7b",
        ),
        quiz.Question(
            "q3",
            "The Lesson 2 network turns a 128-pixel photo into a grid of 15 × 15 positions with 128 channels. How many numbers does `pooled` (max and mean of each channel) give the decoder per photo?",
            {
                "a": "128",
                "b": "256",
                "c": "28,800 (15 × 15 × 128)",
                "d": "450 (2 × 15 × 15)",
            },
            "1b0b4f0b34a656e8c3b83513d326445aa67668c303dddd8fd2400171ca2982f5",
        ),
        quiz.Question(
            "q4",
            "A trained captioner writes `a man in a blue shirt is standing` for almost every validation photo, yet its training loss fell normally. Which cause fits best?",
            {
                "a": "teacher forcing let the decoder copy each next word from its input",
                "b": "beam search with beam 3 always returns the same caption for every photo",
                "c": "min_freq is too high, so the rarer words of the captions became <unk>",
                "d": "the image vectors reach the decoder nearly constant, so it learnt the most likely caption",
            },
            "87f753bc93bd7daad8f20917ccc069637d0e6e72da6b4cdf09bcb6d82e280019",
        ),
        quiz.Question(
            "q5",
            "A decoder's first word is `a` (0.5) or `two` (0.5, ties go to `a`). After `a`: `dog` 0.4, `man` 0.3, `boy` 0.3, each then `<end>` for sure. After `two`: `dogs` 0.8, then `<end>` for sure. What do greedy search and beam search (beam 2) return?",
            {
                "a": "greedy `a dog` (0.20), beam search `two dogs` (0.40)",
                "b": "both `a dog`: `a` wins the tie at the first step",
                "c": "both `two dogs`: its 0.40 is the best caption",
                "d": "greedy `two dogs`, beam search `a dog`",
            },
            "b3ed6fb0cf39b82f5f992dde5d705e02814919325c16cd5631be5b12fbd90b3f",
        ),
    ],
)
quiz1.show()

# %%
answers = {"q1": "", "q2": "", "q3": "", "q4": "", "q5": ""}  # your letters, e.g. "a"

# %% tags=["solution"]
answers = quiz1.shown_letters({"q1": "a", "q2": "c", "q3": "b", "q4": "d", "q5": "a"})

# %%
passed = quiz1.check(answers)
