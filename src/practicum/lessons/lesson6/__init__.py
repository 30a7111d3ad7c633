"""Lesson 6: generative models of Fashion-MNIST: autoencoders, the VAE, GANs and beyond."""
