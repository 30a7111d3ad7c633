"""Lesson 4: sequence to sequence with attention, English to Japanese (small_parallel_enja).

Read in this order, each file top to bottom:

- `text.py`: vocabularies, padding, batches of similar length;
- `seq2seq.py`: the LSTM encoder-decoder with teacher forcing, with and without attention;
- `decode.py`: greedy search and beam search with length normalisation;
- `bleu.py`: BLEU written out (checked against sacrebleu);
- `attention.py`: masked scaled dot-product, additive and multi-head attention;
- `transformer.py`: positional encodings and a small pre-norm Transformer;
- `translate.py`: the training loop within a time budget;
- `reference.py`: the homework reference (`solve_translation`, what `practicum lesson
  homework 4` runs), withheld from students' servers until the course releases it.
"""
