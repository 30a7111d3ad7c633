"""Lesson 5: image captioning on real photos (Flickr8k), a CNN encoder and an RNN decoder.

- `text`: caption normalisation, the vocabulary, padding;
- `features`: CNN feature grids (the Lesson 2 network, or ResNet-18 weights from disk);
- `decoder`: Show and Tell (one image vector) and Show, Attend and Tell (soft attention);
- `train`: teacher-forcing loss, the training loop, language-model pretraining, captions
  by greedy or beam search, BLEU-4 and CIDEr-D on a validation split;
- `baselines`: the best constant caption and the nearest-neighbour caption;
- `reference`: the homework reference (`practicum lesson homework 5`).
"""
