"""Lesson 2: convolutional neural networks, on Fashion-MNIST and CIFAR-10.

Read `cnn.py` first, top to bottom: the data, convolution by hand, the first CNNs (a small
one for Fashion-MNIST, LeNet for CIFAR-10) and learning-rate schedules. Then, as the
lesson's Section 3 reaches them:

- `layers.py`: a convolution and a max-pooling layer, forward and backward, in numpy
  (the references of Section 2's exercises; `checks.py` checks them, and
  `checks_techniques.py` Section 4's);
- `inputs.py`: input normalisation (per channel, GCN, ZCA), augmentation, test-time
  augmentation;
- `resnet.py`: residual blocks, ResNets, pretrained weights, feature extraction;
- `plots.py`: first-layer filters, feature maps, misclassified images; `diagrams.py`: a
  filter sliding over an image, a residual block;
- `fast.py`: the homework reference, a fast CIFAR-10 network (airbench recipe) with
  compute-budget presets (what `practicum lesson homework 2` runs).
"""
