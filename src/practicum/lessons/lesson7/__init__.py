"""Lesson 7: deep reinforcement learning, from tabular Q-learning to PPO on Atari Breakout."""
