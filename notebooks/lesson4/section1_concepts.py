# %% [markdown]
# # Lesson 4, Section 1: from English sentences to Japanese ones
#
# This lesson builds a translator from English to Japanese, trained on
# `small_parallel_enja`: 50,000 short sentence pairs from the Tanaka corpus, already
# split into tokens. This first section explains the ideas, each with a small experiment
# you can change and re-run:
#
# 1. tokens and vocabularies: how text becomes numbers;
# 2. embeddings: the vectors a network learns for its tokens (with a picture);
# 3. language models and perplexity: how likely a sentence is, and how to measure it;
# 4. the encoder-decoder: one network reads the English, another writes the Japanese;
# 5. teacher forcing: how the writer is trained;
# 6. greedy and beam search: how a sentence is chosen from the writer's probabilities;
# 7. BLEU: how translations are scored (the homework's metric), worked through by hand.
#
# A quiz at the end opens Section 2, where you write the translator's pieces yourself.
#
# Run time, measured once on 2 CPU cores: 35 s (21 s of it train the small word-vector
# model of part 2); 13 s in smoke mode (`PRACTICUM_SMOKE=1`). Not measured on a GPU.

# %%
import math
import time
from collections import Counter, defaultdict
from itertools import pairwise

import matplotlib.pyplot as plt
import numpy as np
import sacrebleu
import torch
from torch import nn

from practicum import data
from practicum.coursework import common, quiz
from practicum.lessons.lesson4 import bleu, decode, plots, translate
from practicum.lessons.lesson4.seq2seq import Seq2Seq
from practicum.lessons.lesson4.text import BOS, EOS, PAD, UNK, Vocab, pad_batch
from practicum.lessons.lesson4.toys import TableTranslator

torch.manual_seed(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. Tokens and vocabularies
#
# The corpus comes with a training split (50,000 pairs) and a development split, `dev`
# (500 pairs), for every choice we make: all numbers below that are not about the
# training sentences come from `dev`. (The test split is the homework's: Section 4 only
# translates its English sentences, and no number in this lesson comes from it.)

# %%
train = data.load("small-parallel-enja", "train")
dev = data.load("small-parallel-enja", "dev")
print(f"train: {len(train['en']):,} pairs, dev: {len(dev['en']):,} pairs\n")
for en, ja in zip(train["en"][:5], train["ja"][:5], strict=True):
    print(f"{en}\n{ja}\n")

# %% [markdown]
# Each sentence is a line of **tokens** separated by spaces. The English side was
# lowercased and split into words and punctuation ("can 't" is two tokens). Japanese
# is written without spaces; a morphological analyser cut it into tokens, often shorter
# than words: "分か り ま せ ん" (do not understand) is five tokens.
#
# A network reads numbers, so each language gets a **vocabulary**: a list of the tokens
# it knows, a token's **id** being its position in the list. The list is built from the
# *training* sentences only. Four ids are reserved:
#
# - `<pad>` (0) fills short sentences up to the longest one of a batch;
# - `<s>` (1) starts the sentence the decoder reads, `</s>` (2) ends every target (the
#   network learns to say when it is done);
# - `<unk>` (3) stands for every token the vocabulary does not have.

# %%
counts = {side: Counter(t for s in train[side] for t in s.split()) for side in ("en", "ja")}
for side, counter in counts.items():
    lengths = [len(s.split()) for s in train[side]]
    print(
        f"{side}: {sum(counter.values()):,} tokens, {len(counter):,} different ones; "
        f"{np.mean(lengths):.1f} tokens per sentence on average, at most {max(lengths)}"
    )
    print("   most frequent:", "  ".join(f"{t} {c:,}" for t, c in counter.most_common(8)))

# %% [markdown]
# A few tokens are everywhere and most are rare. Plotted by rank (the most frequent
# first) on log scales, the counts fall along a nearly straight line, as in most
# languages (Zipf's law: the count of the token of rank $r$ is roughly proportional to
# $1/r$):

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for side, counter in counts.items():
    frequencies = np.array(sorted(counter.values(), reverse=True))
    ranks = np.arange(1, len(frequencies) + 1)
    ax.loglog(ranks, frequencies, label={"en": "English", "ja": "Japanese"}[side])
ax.loglog(ranks, frequencies[0] / ranks, "k:", label="$\\propto 1/r$")
ax.set_xlabel("rank of the token")
ax.set_ylabel("count in the training sentences")
ax.set_title("Token frequencies, small_parallel_enja train")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Many tokens occur only once. Keeping them makes the vocabulary, and with it the
# network's first and last layers, much larger, yet one example is too few to learn a
# token from. `Vocab.build(sentences, min_freq=m)` keeps only the tokens seen at least
# `m` times. The price: more `<unk>` in sentences the network has not seen. Measured on
# the dev sentences:

# %%
min_freqs = [1, 2, 3, 5, 10]
print("min_freq | English: vocabulary, <unk> in dev | Japanese: vocabulary, <unk> in dev")
unknown_rate = {side: [] for side in ("en", "ja")}
for m in min_freqs:
    row = []
    for side in ("en", "ja"):
        vocab = Vocab.build(train[side], min_freq=m)
        ids = [i for s in dev[side] for i in vocab.encode(s)]
        unknown_rate[side].append(100 * np.mean(np.array(ids) == UNK))
        row.append(f"{len(vocab):>6,} {unknown_rate[side][-1]:5.2f}%")
    print(f"{m:>8} | {row[0]:>33} | {row[1]:>34}")

fig, ax = plt.subplots(figsize=(5, 3))
for side, name in (("en", "English"), ("ja", "Japanese")):
    ax.plot(min_freqs, unknown_rate[side], "o-", label=name)
ax.set_xscale("log")
ax.set_xticks(min_freqs, [str(m) for m in min_freqs])
ax.set_xlabel("min_freq")
ax.set_ylabel("<unk> tokens in dev (%)")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Dropping the tokens seen once cuts the vocabularies by about 40% and costs about half
# a point of `<unk>` in dev; Section 2 uses `min_freq=2`. Here is a sentence as ids and
# back (`encode` adds `<s>` and `</s>` when asked, `decode` stops at `</s>`):

# %%
ja_vocab = Vocab.build(train["ja"], min_freq=2)
sentence = dev["ja"][0]
ids = ja_vocab.encode(sentence, bos=True, eos=True)
print(sentence)
print(ids)
print([ja_vocab.itos[i] for i in ids])
print(ja_vocab.decode(ids[1:]))

# %% [markdown]
# ## 2. Embeddings
#
# An id is only a name: 57 is no closer to 58 than to 3000. The first layer of a text
# network, `nn.Embedding(V, d)`, turns each id into a vector of $d$ numbers by looking up
# row `id` of a $V \times d$ weight matrix. That is the same as multiplying a one-hot
# vector by the matrix, only without building the one-hot vector:

# %%
embedding = nn.Embedding(10, 4)
one_hot = nn.functional.one_hot(torch.tensor([7]), 10).float()
print(embedding(torch.tensor([7])))
print(one_hot @ embedding.weight)

# %% [markdown]
# The rows start random and are trained with the rest of the network, so tokens that
# play similar roles end up with similar vectors. To see that happen, train the
# smallest model that needs good vectors: **CBOW** (continuous bag of words, Mikolov et
# al., 2013), which guesses a word from the average of the vectors of its two neighbours
# on each side. Its only weights are the embedding and one linear layer that scores every
# word of the vocabulary. English side, words seen at least 5 times, 32 numbers per word:

# %%
en_vocab = Vocab.build(train["en"], min_freq=5)
window = 2
centres, contexts = [], []
for sentence in train["en"][: common.scale(len(train["en"]), 200)]:
    ids = en_vocab.encode(sentence)
    padded = [PAD] * window + ids + [PAD] * window
    for t, centre in enumerate(ids):
        centres.append(centre)
        contexts.append(padded[t : t + window] + padded[t + window + 1 : t + 2 * window + 1])
centres, contexts = torch.tensor(centres), torch.tensor(contexts)
print(f"{len(centres):,} (context, word) examples, vocabulary of {len(en_vocab):,}")


class CBOW(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=PAD)
        self.out = nn.Linear(dim, vocab_size)

    def forward(self, context):
        present = (context != PAD).sum(1, keepdim=True).clamp(min=1)
        return self.out(self.embed(context).sum(1) / present)


torch.manual_seed(0)
cbow = CBOW(len(en_vocab), 32)
untrained = cbow.embed.weight.detach().clone()
optimizer = torch.optim.Adam(cbow.parameters(), lr=3e-3)
started = time.perf_counter()
for epoch in range(common.scale(3, 1)):
    order = torch.randperm(len(centres))
    total = 0.0
    for batch in order.split(512):
        loss = nn.functional.cross_entropy(cbow(contexts[batch]), centres[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
    print(f"epoch {epoch + 1}: mean loss {total / len(centres):.3f}")
print(f"trained in {time.perf_counter() - started:.0f} s")

# %% [markdown]
# Each word is now a point in 32 dimensions. To look at some of them, project them onto
# the plane that shows most of their spread: the first two principal components (PCA).
# Left, the vectors before training; right, after:

# %%
groups = {
    "numbers": ["one", "two", "three", "four", "five", "six", "seven", "ten"],
    "family": ["father", "mother", "brother", "sister", "son", "daughter", "wife", "uncle"],
    "colours": ["red", "blue", "white", "black", "green", "yellow"],
    "days": ["monday", "sunday", "saturday", "friday", "today", "tomorrow", "yesterday"],
    "pronouns": ["i", "you", "he", "she", "we", "they"],
}
chosen = {g: [w for w in words if en_vocab.id(w) != UNK] for g, words in groups.items()}
chosen = {g: words for g, words in chosen.items() if words}
if sum(len(words) for words in chosen.values()) < 3:  # a tiny smoke-test corpus
    chosen = {"frequent": list(en_vocab.itos[4:24])}


def pca_2d(vectors):
    centred = vectors - vectors.mean(0)
    _, _, v = torch.linalg.svd(centred, full_matrices=False)
    return (centred @ v[:2].T).numpy()


fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
panels = (("random, before training", untrained), ("after training", cbow.embed.weight))
for ax, (title, weights) in zip(axes, panels, strict=True):
    words = [w for ws in chosen.values() for w in ws]
    points = pca_2d(weights.detach()[[en_vocab.id(w) for w in words]])
    start = 0
    for group, ws in chosen.items():
        part = points[start : start + len(ws)]
        ax.scatter(part[:, 0], part[:, 1], label=group)
        for (x, y), word in zip(part, ws, strict=True):
            ax.annotate(word, (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
        start += len(ws)
    ax.set_title(f"CBOW word vectors, {title}")
    ax.set_xticks([])
    ax.set_yticks([])
axes[1].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Before training the words lie at random. In the run shown here, after three epochs
# (about 20 seconds on two CPU cores) the family words and the pronouns each form a group
# of their own and the numbers gather on one side, while the colours and the days are
# not yet told apart from each other. Nobody told the model which words belong together:
# words that occur in similar contexts ("my ___ is", "___ o'clock") are predicted by
# similar averages, so their vectors are pulled the same way.
#
# Another way to look: the nearest words by **cosine similarity**, the cosine of the
# angle between two vectors ($1$: same direction).

# %%
vectors = nn.functional.normalize(cbow.embed.weight.detach(), dim=1)
probes = [w for w in ("monday", "father", "three", "red", "dog", "bought") if en_vocab.id(w) != UNK]
for word in probes or list(en_vocab.itos[4:7]):
    similarity = vectors @ vectors[en_vocab.id(word)]
    similarity[:4] = -1  # not the specials
    nearest = similarity.topk(6).indices[1:]
    print(f"{word:>8}: " + ", ".join(f"{en_vocab.itos[i]} {similarity[i]:.2f}" for i in nearest))

# %% [markdown]
# The translator of Section 2 has two such tables, one per language, trained with
# everything else; no separate step is needed.

# %% [markdown]
# ## 3. Language models and perplexity
#
# A **language model** gives every sentence a probability. By the chain rule, the
# probability of the tokens $w_1 \dots w_n$ followed by `</s>` is a product of
# next-token probabilities:
#
# $$P(w_1, \dots, w_n, \text{</s>}) = \prod_{t=1}^{n+1} P(w_t \mid w_1, \dots, w_{t-1}).$$
#
# The decoder of a translator is a language model of Japanese whose every next-token
# probability also depends on the English sentence. Before building that, the simplest
# useful one: a **bigram model**, which looks only at the previous token,
# $P(w_t \mid w_{t-1}) = \text{count}(w_{t-1} w_t) / \text{count}(w_{t-1})$, counted in
# the training sentences. A pair never seen in training would get probability 0, and one
# zero makes the whole sentence impossible; **add-$k$ smoothing** pretends every pair was
# seen $k$ more times:
#
# $$P_k(w_t \mid w_{t-1}) = \frac{\text{count}(w_{t-1} w_t) + k}{\text{count}(w_{t-1}) + kV}$$
#
# with $V$ the number of tokens that can come next.
#
# How good is a language model? The standard measure is **perplexity** on sentences it
# has not seen: the exponential of the mean negative log-probability per predicted token,
#
# $$\text{PPL} = \exp\Big(-\frac{1}{N}\sum_{t=1}^{N} \log P(w_t \mid \text{before})\Big).$$
#
# It reads as "the model is as unsure as if it chose uniformly among PPL tokens at each
# step": a model that knows nothing (uniform over $V$ tokens) has perplexity $V$, a
# perfect one 1. It is also the exponential of the mean cross-entropy a network is trained
# on, so a training loss of 3.0 nats per token is a perplexity of $e^{3} \approx 20$.

# %%
ja_all = Vocab.build(train["ja"], min_freq=1)  # every training token; dev adds <unk>
V = len(ja_all) - 2  # anything can come next except <pad> and <s>


def token_pairs(sentences):
    for sentence in sentences:
        ids = [BOS, *ja_all.encode(sentence), EOS]
        yield from pairwise(ids)


pair_count = Counter(token_pairs(train["ja"]))
before_count = Counter()
followers = defaultdict(Counter)
for (a, b), c in pair_count.items():
    before_count[a] += c
    followers[a][b] = c


def perplexity(sentences, k):
    log_p = [
        math.log((pair_count[a, b] + k) / (before_count[a] + k * V))
        for a, b in token_pairs(sentences)
    ]
    return math.exp(-np.mean(log_p))


token_count = Counter(b for _, b in token_pairs(train["ja"]))
unigram_log_p = [
    math.log((token_count[b] + 1) / (token_count.total() + V)) for _, b in token_pairs(dev["ja"])
]
print(f"uniform over {V:,} tokens: perplexity {V:,}")
print(
    f"unigram (ignores the previous token), add-1: dev perplexity {math.exp(-np.mean(unigram_log_p)):.1f}"
)

ks = [1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 3e-4, 1e-4, 1e-5]
some_train = train["ja"][: common.scale(5000, 100)]
dev_ppl = [perplexity(dev["ja"], k) for k in ks]
train_ppl = [perplexity(some_train, k) for k in ks]
for k, d, t in zip(ks, dev_ppl, train_ppl, strict=True):
    print(f"bigram, k = {k:<6}: dev perplexity {d:7.1f}   (on training sentences {t:6.1f})")

fig, ax = plt.subplots(figsize=(5.5, 3.4))
ax.semilogx(ks, dev_ppl, "o-", label="dev sentences")
ax.semilogx(ks, train_ppl, "o--", label="training sentences")
ax.set_xlabel("k (add-k smoothing)")
ax.set_ylabel("perplexity")
ax.set_title("Bigram language model of Japanese")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Two lessons in one plot. Knowing the previous token helps a lot (compare the unigram
# model). And the training sentences flatter the model: on them, the smaller $k$ the
# better, because every pair in them was counted. On the dev sentences, which contain
# pairs never seen in training, the perplexity is lowest around $k = 0.001$ and rises
# again when there is less smoothing. The best $k$ is chosen on dev, never on the
# training data.
#
# A language model can also write: draw the first token from $P(\cdot \mid \text{<s>})$,
# the next from $P(\cdot \mid \text{that token})$, and so on until `</s>`:

# %%
best_k = ks[int(np.argmin(dev_ppl))]
rng = np.random.default_rng(0)


def sample_sentence(k, longest=25):
    previous, out = BOS, []
    for _ in range(longest):
        seen = before_count[previous]
        if rng.random() < seen / (seen + k * V):  # a pair seen in training
            tokens, weights = zip(*followers[previous].items(), strict=True)
            previous = tokens[rng.choice(len(tokens), p=np.array(weights) / seen)]
        else:  # the smoothing's share: any token
            previous = int(rng.integers(EOS, len(ja_all)))
        if previous == EOS:
            break
        out.append(ja_all.itos[previous])
    return " ".join(out)


print(f"k = {best_k}:")
for _ in range(5):
    print("  ", sample_sentence(best_k))

# %% [markdown]
# Locally plausible, globally aimless: one token of context is not enough to carry a
# sentence. (The odd rare words come from the smoothing: after a token seen only a few
# times in training, most of the probability is the share that add-$k$ spreads over all
# tokens.) Recurrent networks (Lesson 3) carry the whole prefix in their state; that is
# what the decoder below does.

# %% [markdown]
# ## 4. The encoder-decoder
#
# Translation maps a sequence to another sequence of a different length, and Japanese
# puts the verb last, so the decoder cannot write the $t$-th Japanese token after reading
# the $t$-th English one. The **encoder-decoder** (Sutskever et al., 2014; Cho et al.,
# 2014) separates reading from writing:
#
# - the **encoder**, an LSTM, reads the embedded English tokens; its final hidden and
#   cell states $(h, c)$ summarise the sentence;
# - the **decoder**, a second LSTM, starts from that summary and writes the Japanese one
#   token at a time: at each step it reads the previous token and a linear layer turns
#   its state into scores for every token of the vocabulary.
#
# (The drawing writes the Japanese in romaji: 私 は 猫 が 好き で す 。, "I like cats".)

# %%
plots.draw_encoder_decoder(
    ["i", "like", "cats", "."], ["watashi", "wa", "neko", "ga", "suki", "de", "su", "."]
)

# %% [markdown]
# `lesson4/seq2seq.py` is this network (`Seq2Seq`). For a batch of source ids (B, S) and
# decoder inputs (B, T) it returns scores (B, T, V), one row of V scores per position;
# the last axis is the vocabulary, so a softmax over it gives next-token probabilities.

# %%
en_vocab2 = Vocab.build(train["en"], min_freq=2)
model = Seq2Seq(len(en_vocab2), len(ja_vocab), embed=256, hidden=256, attention=False)
print(model)
print(f"{sum(p.numel() for p in model.parameters()):,} parameters")
src = pad_batch([en_vocab2.encode(s) for s in dev["en"][:4]])
tgt = pad_batch([ja_vocab.encode(s, bos=True, eos=True) for s in dev["ja"][:4]])
print("source ids", tuple(src.shape), " target ids", tuple(tgt.shape))
with torch.no_grad():
    print("scores", tuple(model(src, tgt).shape))

# %% [markdown]
# Most of the parameters sit in the two embeddings and the output layer, all in
# proportion to the vocabularies: another reason for `min_freq`. And everything the
# decoder knows about the English sentence must pass through $(h, c)$, 2 × 256 numbers,
# whether the sentence has 3 tokens or 16. Section 3 removes that bottleneck with
# attention.

# %% [markdown]
# ## 5. Teacher forcing
#
# The decoder is trained as a language model: at every position, the cross-entropy of
# the correct next token. With the target `<s> w1 ... wn </s>` it reads `<s> w1 ... wn`
# and must predict `w1 ... wn </s>`: the same sentence, shifted by one. During training
# it always reads the *correct* previous tokens, never its own guesses; that is **teacher
# forcing** (Williams and Zipser, 1989), and it lets all positions be computed in one call.
# `<pad>` positions are not predictions, so they count for nothing.

# %%
sentence = dev["ja"][1]
ids = ja_vocab.encode(sentence, bos=True, eos=True)
print(f"{'position':>8}  {'reads':>6}  must predict")
for t in range(len(ids) - 1):
    print(f"{t:>8}  {ja_vocab.itos[ids[t]]:>6}  {ja_vocab.itos[ids[t + 1]]}")

# %% [markdown]
# An untrained network spreads its probability evenly, so its loss should be close to
# $\ln V$, the cross-entropy of a uniform guess among the $V$ Japanese tokens. A quick
# check that the loss is wired right (`translate.teacher_forcing_loss` is the lesson's
# version; in Section 2 you write your own):

# %%
model.eval()
with torch.no_grad():
    loss = translate.teacher_forcing_loss(model, src, tgt)
print(f"untrained loss {loss:.3f}, ln V = {math.log(len(ja_vocab)):.3f}")

# %% [markdown]
# Teacher forcing has a cost: in training the decoder only ever continues correct
# prefixes, but when translating it continues its own, and one wrong token leads it
# into prefixes it never saw ("exposure bias"; Bengio et al., 2015, proposed mixing in
# the model's own guesses during training).

# %% [markdown]
# ## 6. Greedy and beam search
#
# A trained decoder gives, at each step, the probabilities of the next token. To
# translate, we want the most probable sentence, but there are $V^n$ sentences of $n$
# tokens: too many to try. **Greedy search** takes the most probable token at each step
# and feeds it back. It is fast, and it can miss: a likely first token may only lead to
# unlikely continuations. **Beam search** keeps the `beam` most probable *prefixes* at
# each step, extends each by every token, and keeps the best `beam` of those.
#
# A toy decoder whose probabilities are a fixed table makes this visible (the sentences
# in romaji; `lesson4/decode.py` runs on it unchanged):

# %%
names = {EOS: "</s>", 4: "watashi", 5: "neko", 6: "wa", 7: "ga", 8: "suki", 9: "inu", 10: "no"}
table = {
    (): {4: 0.55, 5: 0.45},
    (4,): {6: 0.4, 10: 0.3, EOS: 0.3},
    (4, 6): {5: 0.6, 9: 0.4},
    (4, 10): {5: 1.0},
    (5,): {7: 0.9, EOS: 0.1},
    (5, 7): {8: 0.9, EOS: 0.1},
}
toy = TableTranslator(table, vocab_size=11)
src_toy = torch.zeros((1, 1), dtype=torch.long)  # the toy ignores its source
found = {
    "greedy": decode.greedy(toy, src_toy, max_len=6)[0],
    "beam search, beam 2": decode.beam_search(toy, src_toy, beam=2, max_len=6, alpha=0.0)[0],
}
sentences = toy.sentences()
for how, ids in found.items():
    print(f"{how:>20}: {' '.join(names[i] for i in ids):<20} P = {sentences[(*ids, EOS)]:.3f}")
plots.draw_search_tree(
    toy,
    names,
    {
        label: (ids, colour)
        for (label, ids), colour in zip(found.items(), ("tab:red", "tab:green"), strict=True)
    },
)

# %% [markdown]
# Greedy takes "watashi" (0.55 > 0.45) and is then stuck with continuations of at most
# 0.4; the sentence it ends with has probability 0.55 × 0.4 × 0.6 = 0.132. With two
# prefixes kept, "neko" survives the first step and "neko ga suki" (0.45 × 0.9 × 0.9 =
# 0.365) wins. Beam search is still a heuristic, not a guarantee, and it costs `beam`
# times the work of greedy. Raw probabilities also favour short sentences (every token
# multiplies by a number below 1); Section 3 corrects for length. (`alpha=0.0` above
# turns that correction off.)

# %% [markdown]
# ## 7. BLEU
#
# How good is a translation? There are many right ones, so a score compares it with a
# human reference by counting shared **n-grams** (runs of n tokens). **BLEU** (Papineni et
# al., 2002), the homework's metric, works on a whole corpus:
#
# 1. for n = 1, 2, 3, 4 the **clipped precision** $p_n$: of all the hypothesis n-grams,
#    the share found in the reference, each n-gram counted at most as often as the
#    reference has it (so "は は は は" earns one match, not four); matches and totals
#    are summed over all sentences before dividing;
# 2. their **geometric mean** $\exp\big(\frac14 \sum_n \log p_n\big)$;
# 3. times the **brevity penalty**: with $c$ hypothesis tokens and $r$ reference tokens
#    in all, $\text{BP} = 1$ if $c \ge r$, else $e^{1 - r/c}$. Precision alone would
#    reward saying little; a short hypothesis is penalised here instead.
#
# Scores are reported from 0 to 100. Step by step, on two sentences:

# %%
hypotheses = ["彼 は 彼 は 医者 で す", "私 は 猫 が 好き で す"]
references = ["彼 は 医者 で す 。", "私 は 猫 が とても 好き で す 。"]
for n in (1, 2):
    print(f"{n}-grams of the first sentence pair:")
    mine, theirs = bleu.ngrams(hypotheses[0].split(), n), bleu.ngrams(references[0].split(), n)
    for gram, count in mine.items():
        print(
            f"   {' '.join(gram):<8} hypothesis {count}  reference {theirs[gram]}  counts {min(count, theirs[gram])}"
        )

parts = bleu.corpus_bleu(hypotheses, references)
print("\nover both sentences:")
for n, (match, total) in enumerate(zip(parts.matches, parts.totals, strict=True), start=1):
    print(f"   p_{n} = {match}/{total} = {match / total:.4f}")
mean = math.exp(sum(math.log(m / t) for m, t in zip(parts.matches, parts.totals, strict=True)) / 4)
c, r = parts.hyp_len, parts.ref_len
penalty = 1.0 if c >= r else math.exp(1 - r / c)
print(f"geometric mean of the p_n: {mean:.4f}")
print(f"c = {c} hypothesis tokens, r = {r} reference tokens: BP = exp(1 - {r}/{c}) = {penalty:.4f}")
print(f"BLEU = 100 × {penalty:.4f} × {mean:.4f} = {100 * penalty * mean:.2f}")

scorer = sacrebleu.BLEU(tokenize="none")
result = scorer.corpus_score(hypotheses, [references])
print(f"\nsacrebleu: {result.score:.2f}  ({scorer.get_signature()})")

# %% [markdown]
# The same number. `tokenize="none"` tells sacrebleu to take the tokens as given; by
# default it would split the text its own way, and BLEU depends on how text is cut into
# tokens, so scores are only comparable under the same signature. The homework is scored
# exactly so.
#
# Two more things to keep in mind. BLEU is a corpus score: a single sentence often has
# no matching 4-gram, which makes its own BLEU 0 (sacrebleu smooths such zeros a
# little). And it only rewards shared n-grams: a correct paraphrase scores low.
#
# **Next:** Section 2, where you write the padding, the loss, the training loop, greedy
# search and BLEU yourself, and train the translator.

# %% [markdown]
# ## Quiz
#
# Answer every question with the letter of your choice, then run the check cell: it says
# which answers are wrong. All right opens Section 2; after three tries the right
# answers are shown and the section opens anyway.

# %%
quiz1 = quiz.Quiz(
    4,
    1,
    [
        quiz.Question(
            "q1",
            "A language model gives the four tokens of a sentence (its `</s>` included) the probabilities 1/2, 1/4, 1/2 and 1/8. What is its perplexity on this sentence?",
            {
                "a": "$2^{7/4} \\approx 3.4$",
                "b": "4, the mean of 2, 4, 2 and 8",
                "c": "$11/32 \\approx 0.34$, the mean probability",
                "d": "$2^{7} = 128$",
            },
            "82066f65945db116d99d4490da2e3e98ac4bdad6cae3a4f1db6d3acd2aef4b98",
        ),
        quiz.Question(
            "q2",
            "Hypothesis `the the cat the`, reference `the cat sat`. What is the clipped unigram precision $p_1$?",
            {
                "a": "2/3: two of the three reference tokens are found",
                "b": "2/4: `the` counts once, `cat` once",
                "c": "4/4: every hypothesis token is in the reference",
                "d": "1/4: only `cat` counts",
            },
            "ca91e623d3c830ea689bc5f8540afc459989c995d786191948c6851ce27ed8c2",
        ),
        quiz.Question(
            "q3",
            "A system's translations of a test corpus have 80 tokens in all, the references 100. What is BLEU's brevity penalty?",
            {
                "a": "$80/100 = 0.80$",
                "b": "$e^{1 - 80/100} \\approx 1.22$",
                "c": "$e^{1 - 100/80} \\approx 0.78$",
                "d": "1: the penalty is only for long output",
            },
            "ccd83bf4cdeaf3021eb38e505aa19baf053426edff1608affb762491de35dd1a",
        ),
        quiz.Question(
            "q4",
            "A translator's training loss falls to almost 0 within one epoch, yet greedy search gives nonsense. Which bug fits best?",
            {
                "a": "the loss compares the decoder's inputs with themselves: the target is not shifted",
                "b": "the learning rate is far too small for Adam to make progress",
                "c": "`<pad>` positions are counted in the loss along with the real tokens",
                "d": "beam search was needed: greedy search cannot work on this model",
            },
            "44de74e308b23d42da498cdfecda066e20bf36b8bcc6198c3803d5e497361669",
        ),
        quiz.Question(
            "q5",
            "A decoder's first token is `x` (0.5), `y` (0.3) or `z` (0.2). After `x` come four tokens, each 0.25, each followed by `</s>` for sure; after `y` comes `</s>` with 0.9. What do greedy search and beam search (beam 2) return?",
            {
                "a": "both `y`: its 0.3 × 0.9 = 0.27 is the best sentence",
                "b": "both a sentence starting `x`, the most likely first token",
                "c": "greedy `y`, beam search a sentence starting `x`",
                "d": "greedy a sentence starting `x` (0.125), beam search `y` (0.27)",
            },
            "5a0d00e2166f534492481b1bc24bb59b1886a1910640a04c3bebc232a2d12edb",
        ),
    ],
)
quiz1.show()

# %%
answers = {"q1": "", "q2": "", "q3": "", "q4": "", "q5": ""}  # your letters, e.g. "a"

# %% tags=["solution"]
answers = quiz1.shown_letters({"q1": "a", "q2": "b", "q3": "c", "q4": "a", "q5": "d"})

# %%
passed = quiz1.check(answers)
