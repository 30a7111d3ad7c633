"""Lesson 1: neural network basics, on MNIST and Fashion-MNIST.

Read in the order the lesson teaches it: `autograd.py` (a scalar autograd, what
`loss.backward()` does), `layers.py` (affine, ReLU, softmax-cross-entropy, dropout and batch
norm, each forward and backward, in numpy), `optim.py` (SGD with momentum and Adam),
`loop.py` (the bare PyTorch training epoch and evaluation), and `mlp.py`: the data, the
numpy MLP with its backpropagation, the same network as a PyTorch `nn.Module`, the L1/L2
penalties. `reference.py` is the homework reference (what `practicum lesson homework 1`
runs), kept apart so that a course can withhold it. `checks.py` and `checks_techniques.py` check the students' versions.
"""
