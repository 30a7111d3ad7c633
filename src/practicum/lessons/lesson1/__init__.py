"""Lesson 1: neural network basics, on MNIST and Fashion-MNIST.

Read `mlp.py`, top to bottom: the data as rows of 784 numbers, softmax and cross-entropy,
a multi-layer perceptron in numpy with its backpropagation written out by hand, the same
network as a PyTorch `nn.Module` (activations, initialisation, dropout, batch norm, L1/L2
penalties, one training step), and at the end the homework reference
(`solve_homework`, what `practicum lesson homework 1` runs).
"""
