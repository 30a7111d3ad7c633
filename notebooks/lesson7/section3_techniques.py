# %% [markdown]
# # Lesson 7, Section 3: Atari, DQN's repairs, and policy gradients up to PPO
#
# Section 2's DQN balanced a pole from four numbers. Breakout gives pixels, and DQN as
# first written overestimates its own values. This section is about the techniques that
# make deep RL work on Atari, each shown on numbers computed here:
#
# 1. **the preprocessing** of Mnih et al. (2015), on real Breakout frames: frame skip,
#    the max over two frames, grey 84 x 84, four frames stacked, no-op starts, a lost
#    life as the end of the learner's episode;
# 2. **DQN's repairs**: Double DQN (van Hasselt et al., 2016) against the overestimation
#    of a max over noisy estimates, the dueling network (Wang et al., 2016), and
#    prioritised replay (Schaul et al., 2016);
# 3. **policy gradients**: REINFORCE's log-derivative trick on a tiny example, the
#    actor-critic, generalised advantage estimation (GAE, Schulman et al., 2016) and
#    PPO's clipped objective (Schulman et al., 2017);
# 4. **vectorised environments**, the fast modern path: several games stepped at once.
#
# A quiz at the end opens Section 4, where you write Double DQN's target, GAE and PPO's
# loss, and train PPO on Breakout with them.
#
# Run time, measured once on 2 CPU cores shared with other jobs: 10.1 minutes, nearly
# all of it the three CartPole runs of 20,000 steps (459 s, 86 s and 47 s in that run:
# the spread is the other jobs, not the variants). 9 s in smoke mode
# (`PRACTICUM_SMOKE=1`). Not measured on a GPU.

# %%
import time
from dataclasses import replace

import ale_py
import gymnasium as gym
import numpy as np
import torch

from practicum.coursework import common, quiz
from practicum.lessons.lesson7 import atari, dqn, plots, ppo
from practicum.lessons.lesson7 import plots_atari as draw
from practicum.lessons.lesson7.prioritized import PrioritizedIndex, SumTree
from practicum.train import seed_everything

gym.register_envs(ale_py)
seed_everything(0)
started = time.perf_counter()

# %% [markdown]
# ## 1. What the emulator shows
#
# One Breakout game in the Arcade Learning Environment (ALE, Bellemare et al., 2013),
# here without any preprocessing: one emulator frame per step (`frameskip=1`), no sticky
# actions. A frame is a 210 x 160 colour image; the game has four actions.

# %%
raw_env = gym.make(
    "ALE/Breakout-v5", render_mode="rgb_array", frameskip=1, repeat_action_probability=0.0
)
frame, _ = raw_env.reset(seed=0)
meanings = raw_env.unwrapped.get_action_meanings()
print(f"a raw frame: shape {frame.shape}, dtype {frame.dtype}; actions: {meanings}")

# %% [markdown]
# ## 2. Frame skip and the max over two frames
#
# 60 frames a second is more decisions than the game needs: the agent chooses every 4th
# frame and its action is repeated on the frames between (**frame skip**), which makes an
# episode four times shorter for the learner. Some Atari games draw sprites only on
# every other frame (flicker); so the observation is the **pixel-wise max of the last
# two** of the four frames, in which a sprite drawn on either one shows. Below, the ball
# is served (FIRE) and four raw frames of one agent step are shown, then their max.

# %%
raw_env.step(meanings.index("FIRE"))
for _ in range(30):
    raw_env.step(meanings.index("NOOP"))
skipped = [raw_env.step(meanings.index("RIGHT"))[0] for _ in range(atari.FRAME_SKIP)]
pooled = np.maximum(skipped[-2], skipped[-1])
changed = int((skipped[-2] != skipped[-1]).any(axis=2).sum())
print(f"pixels that differ between the last two frames of the step: {changed}")
draw.draw_frames(
    [*skipped, pooled],
    [f"frame {i + 1}" for i in range(4)] + ["max of frames 3, 4"],
    title="One agent step: 4 emulator frames with the same action",
)

# %% [markdown]
# ## 3. Grey and 84 x 84
#
# Colour says little here and costs three times the memory; 84 x 84 keeps the ball (a
# couple of pixels) visible. The replay buffer of Mnih et al. holds a million
# observations, and at 84 x 84 bytes a frame that is about 7 GB instead of 100 GB of
# colour frames: this is what made it fit. (`grey_84` is Pillow's version, to show it;
# ALE does the same in C++.)

# %%
small = draw.grey_84(pooled)
print(f"{pooled.shape} colour, {pooled.nbytes:,} bytes -> {small.shape} grey, {small.nbytes:,}")
draw.draw_frames([pooled, small], ["210 x 160 colour", "84 x 84 grey"])

# %% [markdown]
# ## 4. Four frames stacked: what the network sees
#
# One frame does not say where the ball is going. The observation is the **last four**
# preprocessed frames, so speed and direction are in it. `atari.make` builds ALE's own
# vectorised environment, which does all of the above in C++: here one game, the ball
# served, a few steps later. Its observation is (n_envs, 4, 84, 84) bytes, oldest frame
# first.

# %%
stack_env = atari.make(atari.TRAINING, 1)
obs, info = stack_env.reset(seed=0)
print(f"observation: shape {obs.shape}, dtype {obs.dtype}; lives {info['lives'][0]}")
for action in [1] + [0] * 12:  # FIRE, then NOOPs
    obs, *_ = stack_env.step(np.array([action]))
draw.draw_frames(list(obs[0]), [f"t - {3 - i}" for i in range(4)], title="One observation")

# %% [markdown]
# ## 5. No-op starts, sticky actions, and a lost life
#
# Atari games are deterministic: an agent could learn one memorised sequence of actions
# from the fixed start. Two things break that. **No-op starts** (Mnih et al. 2015): after
# each reset a random number (here up to 30) of "do nothing" steps. **Sticky actions**
# (Machado et al. 2018): at every frame, with probability 0.25, the emulator repeats the
# previous action instead of the new one; the course's scored evaluation uses both.
#
# A game of Breakout has 5 lives. For the learner, Mnih et al. end the **episode** at each
# lost life: the value target stops there, which teaches that losing the ball is bad
# without waiting for the end of the game. The game itself goes on: the training setting
# says `terminated` at a lost life, and `atari.game_over` tells the real end of a game
# (no lives left, or the time limit). A random player shows it:

# %%
rng = np.random.default_rng(0)
obs, info = stack_env.reset(seed=1)
lives_lost = 0
for step in range(1, common.scale(5_000, 400) + 1):
    obs, reward, terminated, truncated, info = stack_env.step(rng.integers(0, 4, 1))
    over = atari.game_over(terminated, truncated, info)[0]
    if terminated[0]:
        lives_lost += 1
        print(f"step {step}: terminated=True, lives left {info['lives'][0]}, game over={over}")
    if over:
        break
print(f"{lives_lost} episodes for the learner in {step} steps of one game")
stack_env.close()
raw_env.close()

# %% [markdown]
# ## 6. Double DQN: the max of noisy estimates is biased upward
#
# DQN's target is $r + \gamma \max_a Q_{\text{target}}(s', a)$. Suppose every action is
# worth exactly 0, but each estimate is off by independent noise. The max picks the
# action whose noise happened to be largest, so its expected value is above 0: the max
# of $n$ standard normal numbers is on average 0.56 for $n = 2$, 1.03 for 4, 1.54 for 10.
# Each target is then too high, and bootstrapping copies the bias from state to state.
#
# **Double DQN** (van Hasselt et al., 2016) uses two sets of estimates: the online
# network **picks** the action, the target network **values** it,
# $r + \gamma\, Q_{\text{target}}(s', \arg\max_a Q_{\text{online}}(s', a))$. When the two
# noises are independent, the pick says nothing about the second one's noise, and the
# bias is gone. Measured on random numbers:

# %%
NOISE = 1.0
trials = common.scale(20_000, 500)
actions = [1, 2, 4, 8, 16, 32]
single, double = [], []
for n in actions:
    first = rng.normal(0.0, NOISE, (trials, n))
    second = rng.normal(0.0, NOISE, (trials, n))
    single.append(float(first.max(axis=1).mean()))
    double.append(float(second[np.arange(trials), first.argmax(axis=1)].mean()))
for n, s, d in zip(actions, single, double, strict=True):
    print(f"{n:2d} actions: max of one set {s:+.3f}, one picks and another values {d:+.3f}")
draw.draw_overestimation(actions, single, double, NOISE)

# %% [markdown]
# On CartPole (Section 2's task), plain DQN, Double DQN, and Double DQN with a dueling
# head (below), each trained on the same small budget with the same seed. With reward 1
# per step, at most 500 steps and $\gamma = 0.99$, no state is worth more than
# $\sum_{t<500} 0.99^t \approx 99.3$: a larger Q-value is an overestimate by definition.
# After training, each network's $\max_a Q$ at the start of a few games is compared with
# the discounted return its greedy policy then actually gets from there.

# %%
GAMMA = 0.99
BOUND = (1 - GAMMA**500) / (1 - GAMMA)
STEPS = common.scale(20_000, 300)
base = dqn.DqnConfig(
    steps=STEPS,
    learning_starts=common.scale(1_000, 100),
    epsilon_decay=common.scale(10_000, 200),
    gamma=GAMMA,
)
variants = {
    "DQN": base,
    "Double DQN": replace(base, double=True),
    "Double DQN, dueling": replace(base, double=True, dueling=True),
}


def greedy_check(net, games, seed):
    """Mean predicted max_a Q at the start, and the mean discounted return obtained."""
    env = gym.make("CartPole-v1")
    predicted, obtained = [], []
    for game in range(games):
        obs, _ = env.reset(seed=seed + game)
        with torch.no_grad():
            predicted.append(float(net(torch.as_tensor(obs[None])).max()))
        ret, discount, done = 0.0, 1.0, False
        while not done:
            with torch.no_grad():
                action = int(net(torch.as_tensor(obs[None])).argmax())
            obs, reward, terminated, truncated, _ = env.step(action)
            ret, discount = ret + discount * reward, discount * GAMMA
            done = terminated or truncated
        obtained.append(ret)
    env.close()
    return float(np.mean(predicted)), float(np.mean(obtained))


cartpole = {}
for name, config in variants.items():
    run = dqn.train_dqn(gym.make("CartPole-v1"), config, seed=0, log=None)
    q, g = greedy_check(run.net, common.scale(10, 2), seed=100)
    cartpole[name] = run
    print(
        f"{name}: {config.steps:,} steps in {run.seconds:.0f} s; last 10 returns "
        f"{np.mean(run.returns[-10:]):.0f}; max Q at the start {q:.1f}, discounted return "
        f"obtained {g:.1f} (no state is worth more than {BOUND:.1f})"
    )
plots.curves(
    {name: (run.ends, run.returns) for name, run in cartpole.items()},
    window=10,
    xlabel="environment steps",
    ylabel="return of the episode",
    title="CartPole, one seed each (mean of the last 10 episodes in bold)",
)

# %% [markdown]
# One seed and a small budget: the curves are noisy, and a single run proves nothing
# about which variant learns faster. In the run measured for this text the three
# reached last-10 returns of 132, 134 and 138, and all three **under**estimated: max Q
# at the start 33.5, 32.9 and 32.6 against discounted returns obtained of 72.5, 62.6 and
# 71.4. After 20,000 steps the values are still climbing from 0 towards the truth, one
# bootstrap at a time; the bias of the max adds up once they have converged and the max
# runs over noisy estimates for long. Van Hasselt et al. (2016) measured it on Atari
# games over 200 million frames, where DQN's value estimates rose far above the returns
# its policy obtained and Double DQN's stayed much closer. The comparison of a max Q
# with the return its own policy obtains is the test to run on your own agent.
#
# ## 7. The dueling network: a value and advantages
#
# Many states are good or bad whatever the agent does (the ball far away and moving
# off). Wang et al. (2016) split the head of the network in two: $V(s)$, what the state
# is worth, and $A(s, a)$, how much better each action is than the others, and join them
# as
#
# $$Q(s, a) = V(s) + A(s, a) - \tfrac{1}{|A|} \textstyle\sum_{a'} A(s, a').$$
#
# The mean is subtracted so that the split is unique: adding a constant to every $A$ and
# taking it from $V$ would give the same $Q$. With it, $V(s)$ is the mean of the
# $Q(s, \cdot)$, and $V$ learns from every transition, whichever action it took. The
# dueling head (`dqn.DuelingHead`) on random features:

# %%
head = dqn.DuelingHead(features=8, n_actions=4, hidden=16)
h = torch.randn(3, 8, generator=torch.Generator().manual_seed(0))
with torch.no_grad():
    q = head(h)
    v = head.value(h)[:, 0]
    a = head.advantage(h)
print("Q(s, .) for 3 states:\n", q.numpy().round(3))
print("V(s):            ", v.numpy().round(3))
print("mean_a Q(s, a):  ", q.mean(dim=1).numpy().round(3))
print("A - mean A:      \n", (a - a.mean(dim=1, keepdim=True)).numpy().round(3))

# %% [markdown]
# ## 8. Prioritised replay
#
# Uniform replay spends most updates on transitions the network already predicts well.
# Schaul et al. (2016) draw transition $i$ with probability
# $P(i) = p_i^\alpha / \sum_k p_k^\alpha$, its priority $p_i = |\delta_i| + \epsilon$ the
# last TD error seen for it ($\alpha = 0.6$: between uniform, 0, and fully greedy, 1).
# Drawing some transitions more often changes the expected gradient; each sample's loss
# is weighted by $w_i = (N \cdot P(i))^{-\beta}$, divided by the largest weight, which
# undoes that when $\beta = 1$.
#
# Drawing in proportion to priority among a million transitions must be fast: a **sum
# tree** keeps priorities in its leaves and, in each inner node, the sum below it. A
# number drawn uniformly in $[0, \text{total})$ walks down in $\log_2 N$ steps to the
# leaf where the running sum passes it, and changing a priority updates $\log_2 N$
# sums. Priorities 1, 2, 3, 4 have a total of 10; the masses 0.5, 1.5, 3.5 and 9.9 land
# in leaves 0, 1, 2 and 3:

# %%
tree = SumTree(4)
tree.set(np.arange(4), np.array([1.0, 2.0, 3.0, 4.0]))
print(
    f"total {tree.total:g}; leaves of 0.5, 1.5, 3.5, 9.9: {tree.find(np.array([0.5, 1.5, 3.5, 9.9]))}"
)

# %% [markdown]
# Eight transitions, their TD errors given; how often each is drawn over many batches,
# against $P(i)$, and the importance weights of one batch:

# %%
index = PrioritizedIndex(8, alpha=0.6)
for row in range(8):
    index.added(row)
td_errors = np.array([0.1, 0.5, 1.0, 2.0, 4.0, 0.0, 0.2, 3.0])
index.update(np.arange(8), td_errors)
counts = np.zeros(8)
for _ in range(common.scale(4_000, 100)):
    rows, weights = index.sample(8, beta=0.4, rng=rng)
    np.add.at(counts, rows, 1)
priorities = np.abs(td_errors) + index.eps
expected = priorities**index.alpha / (priorities**index.alpha).sum()
print("drawn   :", (counts / counts.sum()).round(3))
print("P(i)    :", expected.round(3))
rows, weights = index.sample(8, beta=0.4, rng=rng)
print(f"a batch : rows {rows}, weights {weights.round(2)}")
draw.draw_priorities(priorities, counts / counts.sum(), expected)

# %% [markdown]
# ## 9. Policy gradients: the log-derivative trick
#
# DQN learns values and acts greedily on them. A **policy gradient** method learns the
# policy $\pi_\theta(a \mid s)$ itself, by gradient ascent on the expected return
# $J(\theta) = \mathbb{E}_{a \sim \pi_\theta}[R(a)]$. The return is not differentiable (it
# comes out of the game), but its expectation is, by the **log-derivative trick**:
#
# $$\nabla_\theta J = \sum_a R(a) \nabla_\theta \pi_\theta(a)
#   = \sum_a \pi_\theta(a) R(a) \nabla_\theta \log \pi_\theta(a)
#   = \mathbb{E}_{a \sim \pi_\theta}\!\left[R(a) \nabla_\theta \log \pi_\theta(a)\right],$$
#
# an average over the agent's own actions: play, and push up the log-probability of each
# action in proportion to the return that followed (REINFORCE, Williams 1992). On a tiny
# example, three actions with rewards 1, 0 and 2 and a softmax policy: the exact
# gradient by autograd, the sum above, and its estimate from sampled actions, without
# and with a **baseline** $b$ subtracted from the reward (any $b$ that does not depend on
# the action leaves the expectation unchanged, since $\sum_a \nabla \pi(a) = 0$).

# %%
theta = torch.tensor([0.0, 0.5, -0.5], requires_grad=True)
rewards = torch.tensor([1.0, 0.0, 2.0])
pi = torch.softmax(theta, dim=0)
(exact,) = torch.autograd.grad((pi * rewards).sum(), theta)
with torch.no_grad():
    grad_log = torch.eye(3) - pi  # row a: the gradient of log pi(a) over theta
    trick = (pi[:, None] * rewards[:, None] * grad_log).sum(dim=0)
    samples = torch.multinomial(
        pi, common.scale(1_000, 100), replacement=True, generator=torch.Generator().manual_seed(0)
    )
    baseline = (pi * rewards).sum()
    plain = rewards[samples, None] * grad_log[samples]
    centred = (rewards[samples, None] - baseline) * grad_log[samples]
print("autograd           ", exact.numpy().round(4))
print("sum over actions   ", trick.numpy().round(4))
print(
    f"from {len(samples)} samples   ",
    plain.mean(0).numpy().round(4),
    f"variance {plain.var(0).sum():.3f}",
)
print(
    "with a baseline    ", centred.mean(0).numpy().round(4), f"variance {centred.var(0).sum():.3f}"
)

# %% [markdown]
# ## 10. Actor-critic and GAE
#
# REINFORCE's return is noisy: it sums every reward of the rest of the game. An
# **actor-critic** learns a value $V(s)$ (the critic) next to the policy (the actor)
# and uses it two ways: as the baseline, and to cut the return short. The one-step
# **TD error** $\delta_t = r_t + \gamma V(s_{t+1}) - V(s_t)$ is an estimate of the
# advantage of $a_t$ with little variance but the critic's bias; the whole return minus
# $V(s_t)$ has no bias but much variance. **GAE** (Schulman et al., 2016) mixes them:
#
# $$\hat A_t = \sum_{k \ge 0} (\gamma \lambda)^k \delta_{t+k}, \qquad
#   \hat A_t = \delta_t + \gamma\lambda\, \hat A_{t+1},$$
#
# computed backwards over a rollout, the sum stopped at the end of an episode.
# $\lambda = 0$ is the TD error alone, $\lambda = 1$ the return minus the value. Five
# steps, a reward of 1 at the last, a critic that guesses 0.5 everywhere (`ppo.gae`):

# %%
steps5 = torch.tensor([[0.0], [0.0], [0.0], [0.0], [1.0]])
values5 = torch.full((5, 1), 0.5)
no_done = torch.zeros(5, 1)
for lam in (0.0, 0.5, 0.95, 1.0):
    adv, ret = ppo.gae(steps5, values5, no_done, torch.tensor([0.5]), gamma=0.99, lam=lam)
    print(f"lambda {lam:4}: advantages {adv[:, 0].numpy().round(3)}")

# %% [markdown]
# ## 11. PPO's clipped objective
#
# A policy gradient step uses data from the policy that collected it; one step too big
# and the new policy is a different one, whose data would have looked different. PPO
# (Schulman et al., 2017) reuses each rollout for a few epochs and keeps the new policy
# near the old with the probability ratio $r_t = \pi_{\text{new}}(a_t \mid s_t) /
# \pi_{\text{old}}(a_t \mid s_t)$, computed as $\exp(\log \pi_{\text{new}} - \log
# \pi_{\text{old}})$, and the objective
#
# $$L^{\text{CLIP}} = \mathbb{E}_t\!\left[\min\!\left(r_t \hat A_t,\
#   \operatorname{clip}(r_t, 1 - \epsilon, 1 + \epsilon)\, \hat A_t\right)\right].$$
#
# Where the advantage is positive, raising the action's probability pays only up to
# $r = 1 + \epsilon$; beyond it the objective is flat, and a flat objective gives no
# gradient. Where it is negative, lowering it pays only down to $1 - \epsilon$. The min
# makes it a pessimistic bound: a change that makes things worse is never clipped away.

# %%
draw.draw_clipped_objective(0.2)

# %% [markdown]
# The same in numbers, `ppo.clipped_loss` (the negative of the objective, to minimise):
# one sample with advantage +1 at ratios 0.5, 1.0, 1.5, and its gradient with respect
# to the log-probability, zero where the clip is active.

# %%
for r in (0.5, 1.0, 1.5):
    new = torch.tensor([np.log(r)], requires_grad=True)
    loss = ppo.clipped_loss(new, torch.zeros(1), torch.ones(1), clip=0.2)
    (grad,) = torch.autograd.grad(loss, new)
    print(f"ratio {r}: loss {loss.item():+.2f}, gradient {grad.item():+.2f}")

# %% [markdown]
# ## 12. Vectorised environments
#
# PPO learns from the agent's own recent experience, so it needs many steps quickly. The
# modern path is to step **many games at once**: ALE's `AtariVectorEnv` runs them on C++
# threads and hands back one batch of observations, and the network then chooses all
# their actions in one forward pass. Random actions, steps per second (agent steps, 4
# frames each) for 1, 4 and 8 games on this machine:

# %%
for n in (1, 4, 8):
    envs = atari.make(atari.TRAINING, n)
    envs.reset(seed=0)
    count = common.scale(400, 5)
    tic = time.perf_counter()
    for _ in range(count):
        envs.step(rng.integers(0, 4, n))
    seconds = time.perf_counter() - tic
    envs.close()
    print(f"{n} games: {n * count / seconds:,.0f} steps/s")

# %% [markdown]
# In the run measured for this text: 1,948 steps/s with 1 game, 3,080 with 4, 3,293
# with 8, on 2 cores shared with other jobs. With more games than cores the gain stops,
# and the emulator is rarely the limit anyway: the network's update is (Section 4 prints
# PPO's frames per second).

# %%
print(f"{(time.perf_counter() - started) / 60:.1f} minutes")

# %% [markdown]
# ## Quiz
#
# Answer every question with the letter of your choice, then run the check cell: it says
# which answers are wrong. All right opens Section 4; after three tries the right
# answers are shown and the section opens anyway.

# %%
quiz3 = quiz.Quiz(
    7,
    3,
    [
        quiz.Question(
            "q1",
            "The last step of a rollout: reward 1, $V(s_t) = 0.5$, $V(s_{t+1}) = 2$, $\\gamma = 0.9$, the game goes on. What is the TD error $\\delta_t$?",
            {
                "a": "2.5: $1 + 2 - 0.5$, the next value added as it is",
                "b": "2.3: $1 + 0.9 \\times 2 - 0.5$",
                "c": "0.5: $1 - 0.5$, since the rollout stops here",
                "d": "2.8: $1 + 0.9 \\times 2$, the value of $s_t$ left out",
            },
            "cde335b04bf448e2bd38a275de4e233181c4434070cad5596f41e489d61213e8",
        ),
        quiz.Question(
            "q2",
            "PPO with clip 0.2: one sample has ratio $r = 1.5$ and advantage $+2$. What is its term of the clipped objective, and does it push $r$ higher?",
            {
                "a": "3.0, the unclipped $r A$, and it pushes $r$ higher",
                "b": "2.4, and it still pushes $r$ higher with slope 2",
                "c": "2.4, $1.2 \\times 2$, with no gradient: $r$ is not pushed",
                "d": "1.6, the ratio clipped down to 0.8, times 2",
            },
            "b89bb481338b7e41ef1fa8d5c3a7a8a5bcbf690f4a21e9d9e01f28b90c8428cb",
        ),
        quiz.Question(
            "q3",
            "Two actions both truly worth 0; each estimate has independent noise $N(0, 1)$. What is, on average, the larger of the two estimates?",
            {
                "a": "0: the noise averages out over many draws",
                "b": "about 1.0: one standard deviation above",
                "c": "about −0.56: taking the max is pessimistic",
                "d": "about 0.56 ($1/\\sqrt{\\pi}$): the max picks the luckier noise",
            },
            "8773bb7128cd52dee997a1a21c9c83837870494dccbbb2a768c5838c5356ba6b",
        ),
        quiz.Question(
            "q4",
            "Prioritised replay over 4 transitions with priorities 1, 1, 2, 4, $\\alpha = 1$, $\\beta = 1$. What are the last one's probability and its weight divided by the largest weight?",
            {
                "a": "0.5 and 0.25",
                "b": "0.5 and 2.0",
                "c": "0.25 and 0.5",
                "d": "0.5 and 1.0",
            },
            "3629498883dc95c6a2ebaeff82c3e9257050d37e6edc1839a20ad2bb7cbbbb8a",
        ),
        quiz.Question(
            "q5",
            "The agent acts every 4th emulator frame and sees its last 4 preprocessed frames stacked. How many emulator frames separate the oldest and the newest frame of one observation?",
            {
                "a": "3: the four frames are consecutive",
                "b": "16: 4 frames skipped times 4 frames stacked",
                "c": "12: one frame per agent step, 3 steps apart",
                "d": "4: one agent step",
            },
            "99e8d0736e2e3ce2104f6e4a5cf5d83f29a3cf843a87546f0e443c01fd31aad3",
        ),
    ],
)
quiz3.show()

# %%
answers = {"q1": "", "q2": "", "q3": "", "q4": "", "q5": ""}  # your letters, e.g. "a"

# %% tags=["solution"]
answers = quiz3.shown_letters({"q1": "b", "q2": "c", "q3": "d", "q4": "a", "q5": "c"})

# %%
passed = quiz3.check(answers)
