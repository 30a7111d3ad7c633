# %% [markdown]
# # Lesson 7, Section 1: learning from rewards
#
# Every network of this course so far learnt from examples with answers: an image and its
# class, a sentence and its translation. This lesson's last notebook ends with an agent
# that plays Atari Breakout from the screen's pixels, and nobody gives it the right move:
# it gets points when a brick breaks, and has to find out on its own which of its moves,
# many steps earlier, earned them. That is **reinforcement learning**. This section
# explains its ideas on a world small enough to solve exactly, each with a computation
# you can change and re-run:
#
# 1. the loop of an agent and its environment: observations, actions, rewards;
# 2. Markov decision processes, and a grid world as one;
# 3. returns and discounting;
# 4. value functions and the Bellman equations, and value iteration, which solves the grid
#    world when its rules are known;
# 5. tabular **Q-learning**, which learns the same values from experience alone: you
#    write its update and its epsilon-greedy choice of actions;
# 6. exploration: how much randomness the agent needs, and a slippery world.
#
# A quiz at the end opens Section 2, where the table becomes a neural network (DQN) and
# learns to balance a pole on a cart.
#
# Run time, measured on 2 CPU cores shared with other jobs (load average about 7): 18 s
# of computing, 41 s with the kernel's start; 5 s (8 s with the kernel's start) in smoke
# mode (`PRACTICUM_SMOKE=1`). Not measured on a GPU: nothing here uses one.

# %%
import time

import numpy as np

from practicum.coursework import common, exercise, quiz
from practicum.lessons.lesson7 import checks, gridworld, plots

# %% [markdown]
# ## 1. The loop
#
# An **agent** and an **environment** take turns (Sutton and Barto, 2018, chapter 3). At
# each step $t$ the agent sees an **observation** $s_t$ of the environment, picks an
# **action** $a_t$, and the environment answers with a **reward** $r_{t+1}$, a number, and
# the next observation $s_{t+1}$. An **episode** is one run of this loop from a start to
# an end (a game lost, a goal reached) or to a time limit. The agent's rule for picking
# actions is its **policy** $\pi(a \mid s)$, and its aim is as much reward as possible over
# the whole episode, not at the next step alone.

# %%
plots.draw_rl_loop()

# %% [markdown]
# Three things make this harder than the supervised learning of the lessons before. No one
# says which action was right: a reward only says how good things went. Rewards come late:
# in Breakout the move that sends the ball up is rewarded when the ball breaks a brick,
# dozens of steps later. And the agent's own actions decide which situations it sees, and
# so which data it learns from.

# %% [markdown]
# ## 2. Markov decision processes, and a grid world
#
# The standard model of such an environment is a **Markov decision process** (MDP): a set
# of states $\mathcal{S}$, a set of actions $\mathcal{A}$, for every state and action the
# probabilities $P(s' \mid s, a)$ of the next state and the expected reward $R(s, a)$, and
# a **discount** $\gamma \in [0, 1)$ (part 3). "Markov" means that the next state and
# reward depend on the current state and action only, not on how the agent got there: the
# state says everything that matters. (In Breakout one frame does not show which way the
# ball moves; Section 3 stacks four frames to make the observation a state again.)
#
# Our first environment is an MDP we can see whole: a grid world (`gridworld.GridWorld`).
# The agent walks up, right, down or left; walls and the edge block it; every step costs
# 0.1; stepping on the cliff costs 10 and sends it back to the start; reaching the goal
# earns 1 and ends the episode. The state is the cell, numbered row by row.

# %%
world = gridworld.GridWorld()
print(
    f"{world.shape[0]} x {world.shape[1]} cells = {world.n_states} states, {world.n_actions} "
    f"actions {gridworld.ACTION_NAMES}; start {world.start}, goal {world.goal}"
)
for action, name in enumerate(gridworld.ACTION_NAMES):
    print(
        f"from the start, {name:>5}: (next state, reward, over) = {world.outcome(world.start, action)}"
    )
beside_cliff = 4 * world.shape[1] + 2
print(f"from state {beside_cliff}, right: {world.outcome(beside_cliff, 1)}  (the cliff)")
plots.draw_world(world)

# %% [markdown]
# Moving up or left from the start bumps into the edge: the agent stays, and still pays
# the step. Two routes lead to the goal: the short one through the middle and down past the
# cliff's right end, and a longer one over the top right.

# %% [markdown]
# ## 3. Returns and discounting
#
# The **return** from step $t$ is the sum of the rewards that follow, each discounted by
# how far ahead it is:
#
# $$G_t = r_{t+1} + \gamma r_{t+2} + \gamma^2 r_{t+3} + \dots = \sum_{k=0}^{\infty}
# \gamma^k r_{t+k+1}, \qquad G_t = r_{t+1} + \gamma G_{t+1}.$$
#
# With $\gamma < 1$ the sum stays finite even if an episode never ends, and a reward now
# is worth more than the same reward later; $1 / (1 - \gamma)$ steps is roughly how far
# ahead the agent looks. The right-hand form, one reward plus the discounted return from
# the next step, is the idea that all of this section builds on.
#
# The shortest route from the start to the goal takes 13 moves: 12 steps of $-0.1$, then
# $+1$ for the last move onto the goal. Its return with $\gamma = 0.95$, computed
# backwards with $G_t = r_{t+1} + \gamma G_{t+1}$:

# %%
gamma = 0.95
rewards = [world.step_reward] * 12 + [world.goal_reward]
g = 0.0
for reward in reversed(rewards):
    g = reward + gamma * g
shortest_return = g
print(
    f"13 moves: undiscounted {sum(rewards):.3f}, discounted (gamma {gamma}) {shortest_return:.4f}"
)
longer = [world.step_reward] * 14 + [world.goal_reward]
longer_return = sum(gamma**k * r for k, r in enumerate(longer))
print(f"15 moves: undiscounted {sum(longer):.3f}, discounted (gamma {gamma}) {longer_return:.4f}")
plots.discount_weights([0.5, 0.9, 0.95, 0.99])

# %% [markdown]
# All four are negative: 12 or 14 steps cost more than the goal's $+1$ pays back,
# discounted or not. The shorter route's return is the higher, and that is all that
# matters for choosing it. Keep $-0.3789$ in mind: part 4 finds it again without walking any route.

# %% [markdown]
# ## 4. Values and the Bellman equations
#
# The **value** of a state under a policy $\pi$ is the return expected from it,
# $V^\pi(s) = \mathbb{E}_\pi[G_t \mid s_t = s]$, and the value of an action is the return
# expected after taking it and following $\pi$ afterwards,
# $Q^\pi(s, a) = \mathbb{E}_\pi[G_t \mid s_t = s, a_t = a]$. Putting $G_t = r_{t+1} +
# \gamma G_{t+1}$ inside the expectation gives the **Bellman equation**: a value is the
# next reward plus the discounted value of where the agent goes next,
#
# $$Q^\pi(s, a) = \mathbb{E}\Big[r_{t+1} + \gamma \sum_{a'} \pi(a' \mid s_{t+1})\,
# Q^\pi(s_{t+1}, a') \,\Big|\, s_t = s, a_t = a\Big].$$
#
# The best policy takes the best action everywhere, and its values $Q^*$ satisfy the
# **Bellman optimality equation** (Bellman, 1957; Sutton and Barto, 2018, eq. 3.20):
#
# $$Q^*(s, a) = \mathbb{E}\big[r_{t+1} + \gamma \max_{a'} Q^*(s_{t+1}, a') \,\big|\,
# s_t = s, a_t = a\big].$$
#
# Once $Q^*$ is known, acting well is easy: in every state take $\arg\max_a Q^*(s, a)$,
# the **greedy** action. When the rules $P$ and $R$ are known, **value iteration** finds
# $Q^*$: start from any table, replace every entry by the right-hand side, and repeat.
# Each sweep shrinks the distance to $Q^*$ by a factor $\gamma$ at least (the backup is a
# contraction), so the table converges. `gridworld.value_iteration` sweeps until no entry
# moves by more than $10^{-10}$:

# %%
started = time.perf_counter()
q_star = gridworld.value_iteration(world, gamma=gamma)
v_star = q_star.max(axis=1)
print(f"value iteration: {time.perf_counter() - started:.2f} s")
print(f"V*(start) = {v_star[world.start]:.4f}  (the 13-move route's return: {shortest_return:.4f})")
residual = 0.0
for s in range(world.n_states):
    for a in range(world.n_actions):
        next_state, reward, over = world.outcome(s, a)
        backup = reward + (0.0 if over else gamma * v_star[next_state])
        residual = max(residual, abs(q_star[s, a] - backup))
print(f"largest gap between the two sides of the Bellman optimality equation: {residual:.1e}")
best_path = gridworld.greedy_path(world, q_star)
print(f"the greedy policy's path: {len(best_path) - 1} moves, {best_path}")
plots.world_panels(world, {"V*(s) = max_a Q*(s, a), greedy actions and path": (q_star, best_path)})

# %% [markdown]
# Value iteration finds $V^*(\text{start}) = -0.3789$, the return of the 13-move route
# computed in part 3, and every entry satisfies the optimality equation to within
# rounding. Each arrow is that cell's greedy action; from every cell they lead the shortest
# way to the goal, and never onto the cliff.
#
# Value iteration needs $P$ and $R$, the rules of the world. An agent in Breakout does not
# have them: it can only play and see what happens.

# %% [markdown]
# ## 5. Q-learning
#
# **Q-learning** (Watkins, 1989; Watkins and Dayan, 1992) replaces the expectation in the
# Bellman optimality equation by what the agent just saw. After a move from $s$ with
# action $a$ that earned $r$ and led to $s'$, it moves its estimate a step $\alpha$ (the
# learning rate) towards the **TD target** $y = r + \gamma \max_{a'} Q(s', a')$:
#
# $$Q(s, a) \leftarrow Q(s, a) + \alpha\,\big(\underbrace{r + \gamma \max_{a'} Q(s', a')
# - Q(s, a)}_{\text{TD error } \delta}\big).$$
#
# When the move ended the episode there is no next state to bootstrap from, and the target
# is $r$ alone. Q-learning learns $Q^*$, the values of the greedy policy, whatever policy
# picks the moves, as long as every action keeps being tried in every state: it is
# **off-policy**.
#
# Write `q_learning_update(q, state, action, reward, next_state, over, alpha, gamma)`: `q`
# is the table, a numpy array (states × actions), changed **in place**; the function
# returns nothing. `over` says whether this move ended the episode. The check runs it on
# three moves worked out by hand (one onto the goal, one onto the cliff) and names the
# usual mistakes.

# %% [markdown]
# <details><summary>Hint</summary>
#
# The target is the reward plus the discounted best value of the next state, except
# when the episode is over: then nothing follows the reward. Move $Q(s, a)$ a step of
# size $\alpha$ toward that target, in the table itself (the function returns nothing).
#
# </details>


# %%
def q_learning_update(q, state, action, reward, next_state, over, alpha, gamma):
    """Q(s, a) += alpha * (r + gamma * max_a' Q(s', a') - Q(s, a)), in place; no bootstrap
    from the end of an episode."""
    ### BEGIN SOLUTION
    target = reward + (0.0 if over else gamma * q[next_state].max())
    q[state, action] += alpha * (target - q[state, action])
    ### END SOLUTION


q_learning_update = exercise.checked(
    q_learning_update,
    lesson=7,
    exercise="q_learning_update",
    check=checks.check_q_learning_update,
)

# %% [markdown]
# An agent that always takes its greedy action may never try the action that is in fact
# better: Q-learning only learns about the actions it takes. **Epsilon-greedy** exploration
# takes a random action (any of them, uniformly) with probability $\epsilon$, and the
# greedy action otherwise.
#
# Write `epsilon_greedy(q_row, epsilon, rng)`: `q_row` holds one state's Q-values, one per
# action; `rng` is a `numpy.random.Generator`, and every random draw must come from it, so
# a run can be repeated. Return the action as an `int`. When several actions share the
# best value, pick one of them at random: at the start the whole table is 0, and an agent
# that breaks ties towards action 0 always tries "up" first; in a world where steps cost
# nothing, its values would stay 0 and it would walk up forever.
#
# The check draws thousands of choices and compares their frequencies with what they
# should be, e.g. $1 - \epsilon + \epsilon / 4$ for the best of four actions.

# %% [markdown]
# <details><summary>Hint</summary>
#
# One uniform draw decides between exploring and exploiting. Several actions may share
# the best value (at the start, all of them do): pick one of those at random, or a table
# of zeros always answers action 0. `np.flatnonzero` finds where a condition holds.
#
# </details>


# %%
def epsilon_greedy(q_row, epsilon, rng):
    """A random action with probability epsilon, else a best one (ties broken at random)."""
    ### BEGIN SOLUTION
    if rng.random() < epsilon:
        return int(rng.integers(len(q_row)))
    return int(rng.choice(np.flatnonzero(q_row == q_row.max())))
    ### END SOLUTION


epsilon_greedy = exercise.checked(
    epsilon_greedy, lesson=7, exercise="epsilon_greedy", check=checks.check_epsilon_greedy
)

# %% [markdown]
# ## 6. Q-learning in the grid world
#
# `gridworld.q_learning` runs episodes from the start with your two functions: choose an
# action epsilon-greedily, take it, update the table, until the goal or 200 steps. Here
# with $\alpha = 0.5$, $\gamma = 0.95$, $\epsilon = 0.1$ and a table of zeros to begin.

# %%
episodes = common.scale(500, 40)
started = time.perf_counter()
run = gridworld.q_learning(
    world,
    episodes=episodes,
    alpha=0.5,
    gamma=gamma,
    epsilon=0.1,
    seed=0,
    update=q_learning_update,
    choose=epsilon_greedy,
)
print(f"{episodes} episodes, {sum(run.lengths):,} steps in {time.perf_counter() - started:.1f} s")
print(f"first 10 episodes: {run.lengths[:10]} steps")
print(f"last 10 episodes:  {run.lengths[-10:]} steps")
print(
    f"mean return: first 50 episodes {np.mean(run.returns[:50]):.2f}, "
    f"last 50 {np.mean(run.returns[-50:]):.2f}"
)
plots.curves(
    {"epsilon 0.1": (np.arange(1, episodes + 1), run.returns)},
    window=20,
    xlabel="episode",
    ylabel="return (undiscounted)",
    title="Q-learning in the grid world: the return of each training episode",
)

# %% [markdown]
# In our run the first episode hit the 200-step limit without finding the goal: with a
# table of zeros, the agent wanders. The next ones were shorter (68, 150, 133, 47, ...
# steps) and the last ten took 13 to 16: 13 when no random move got in the way. The
# training returns rose from -3.66, the mean of the first 50 episodes, to -0.79 for the
# last 50; the best possible is -0.2, the undiscounted return of 13 moves, and the
# difference is what the random moves cost, a fall off the cliff now and then included.
#
# Has it found the values of value iteration? Its greedy path and its values, next to the
# optimum:

# %%
learnt_path = gridworld.greedy_path(world, run.q)
print(
    f"Q-learning's greedy path: {len(learnt_path) - 1} moves; value iteration's: {len(best_path) - 1}"
)
on_path = best_path[:-1]
gaps = np.abs(run.q.max(axis=1) - v_star)[on_path]
print(f"on the optimal path, |max_a Q(s, a) - V*(s)| is at most {gaps.max():.1e}")
floor = [s for s in range(world.n_states) if world.cells.flat[s] in ".S"]
agree = np.mean(run.q[floor].argmax(axis=1) == q_star[floor].argmax(axis=1))
print(f"greedy action the same as value iteration's in {agree:.0%} of the {len(floor)} open cells")
plots.world_panels(
    world, {"Q-learning": (run.q, learnt_path), "value iteration": (q_star, best_path)}
)

# %% [markdown]
# In our run Q-learning's greedy path is value iteration's, move for move, and along it
# the learnt values equal $V^*$ to within $10^{-15}$: in a deterministic world each update
# with $\alpha = 0.5$ halves the distance to a target that is exact once the next state's
# value is, and these states were visited hundreds of times. Away from the path it is
# another story: the greedy action differs from value iteration's in 5 of the 28 open
# cells (82% agree; one of the five has two equally good actions), all in corners the agent
# seldom visits, the top right and the bottom left, where values are off by up to 0.72.
# Q-learning learns well what it experiences often, and that is enough for a good policy.

# %% [markdown]
# ## 7. How much exploration?
#
# The same Q-learning with $\epsilon$ = 0, 0.1 and 0.5, each from five seeds (the seeds
# change the random choices, not the world). The returns are those of the training
# episodes, exploration included; the last column is the greedy policy's path at the end.

# %%
seeds = range(common.scale(5, 2))
explore_episodes = common.scale(300, 30)
by_epsilon = {}
started = time.perf_counter()
for epsilon in (0.0, 0.1, 0.5):
    runs = [
        gridworld.q_learning(
            world,
            episodes=explore_episodes,
            gamma=gamma,
            epsilon=epsilon,
            seed=seed,
            update=q_learning_update,
            choose=epsilon_greedy,
        )
        for seed in seeds
    ]
    by_epsilon[epsilon] = np.mean([r.returns for r in runs], axis=0)
    paths = [len(gridworld.greedy_path(world, r.q)) - 1 for r in runs]
    print(
        f"epsilon {epsilon}: first episode {np.mean([r.lengths[0] for r in runs]):6.0f} steps, "
        f"mean return of the last 50 episodes {by_epsilon[epsilon][-50:].mean():6.2f}, "
        f"greedy paths {paths} moves"
    )
print(f"({time.perf_counter() - started:.1f} s)")
plots.curves(
    {f"epsilon {e}": (np.arange(1, explore_episodes + 1), r) for e, r in by_epsilon.items()},
    window=10,
    xlabel="episode",
    ylabel="return, mean of the seeds",
    title="Training returns for three amounts of exploration",
)

# %% [markdown]
# In our run all fifteen agents end with the 13-move greedy path, and their training
# returns differ. With $\epsilon = 0.5$ half the moves are random, and the mean return of
# the last 50 episodes is -3.87 (falls off the cliff included), against -0.98 with
# $\epsilon = 0.1$: the greedy policy is the same, but the agent that explores more pays
# for it while it trains. Q-learning is off-policy: it learns the greedy policy's values
# whatever the moves it takes.
#
# The surprise is $\epsilon = 0$: no random move at all, and the best training returns,
# -0.20, the 13-move optimum in every late episode. The reason is the table of zeros.
# Every step costs 0.1, so an action the agent has tried gets a negative value, and the
# untried ones, still at 0, look better: the agent tries them in turn, exploring
# systematically because it starts **optimistic** (Sutton and Barto, 2018, section 2.6).
# Its first episode was also the shortest (179 steps on average, where the others hit the
# 200-step limit). That works here because every reward but the goal's is negative; where
# rewards along the way are positive, a table of zeros is not optimistic, and an agent
# with $\epsilon = 0$ can settle for the first route it finds. Deep networks do not start
# from a table of zeros either, which is why DQN explores with an $\epsilon$.
#
# **A slippery world.** With `slip=0.2` every move goes in a random direction one time in
# five. Value iteration takes the slips into account (its backup averages over where a
# move may lead), and the best route changes:

# %%
slippery = gridworld.GridWorld(slip=0.2)
q_slip = gridworld.value_iteration(slippery, gamma=gamma)
slip_path = gridworld.greedy_path(slippery, q_slip)
print(
    f"slippery world: V*(start) = {q_slip[world.start].max():.4f}; greedy path {len(slip_path) - 1} moves"
)
slip_run = gridworld.q_learning(
    slippery,
    episodes=common.scale(2000, 40),
    alpha=0.1,
    gamma=gamma,
    epsilon=0.1,
    seed=0,
    update=q_learning_update,
    choose=epsilon_greedy,
)
slip_learnt = gridworld.greedy_path(slippery, slip_run.q)
print(f"Q-learning (alpha 0.1, 2,000 episodes): greedy path {len(slip_learnt) - 1} moves")
plots.world_panels(
    slippery,
    {
        "slippery: value iteration": (q_slip, slip_path),
        "slippery: Q-learning": (slip_run.q, slip_learnt),
    },
)

# %% [markdown]
# With slips the short route is a gamble: it passes through the bottom row right beside
# the cliff's right end, where one slip in five can drop the agent into the cliff, back to
# the start with $-10$. The best route becomes the 15-move one over the top, away from
# the cliff, and $V^*(\text{start})$ falls from $-0.379$ to $-0.790$, the price of
# slipping. Q-learning, with a smaller step $\alpha = 0.1$ (its targets are noisy now, so
# each should move the estimate less) and 2,000 episodes, finds the same 15-move route in
# our run.
#
# **Next:** Section 2. A table has one entry per state; CartPole's state is four real
# numbers, and Breakout's a screen of pixels. Deep Q-networks (Mnih et al., 2015) replace
# the table with a neural network and keep the update of part 5, with two repairs that
# make it stable: a replay buffer and a target network. You write both.

# %% [markdown]
# ## Quiz
#
# Answer every question with the letter of your choice, then run the check cell: it says
# which answers are wrong. All right opens Section 2; after three tries the right answers
# are shown and the section opens anyway.

# %%
quiz1 = quiz.Quiz(
    7,
    1,
    [
        quiz.Question(
            "q1",
            "An episode ends after three moves with rewards -0.1, -0.1 and +1. What is the return G_0 from its start with gamma = 0.9?",
            {"a": "0.62", "b": "0.80", "c": "0.71", "d": "0.56"},
            "2bfcdf62b7e8509e8f1ef56c0774bf0d659312edf7c2803d4e733b132966f94e",
        ),
        quiz.Question(
            "q2",
            "Q(s, a) = 2, the move earns r = -1 and leads to s' where max_a' Q(s', a') = 4; alpha = 0.5, gamma = 0.9. What is Q(s, a) after the Q-learning update?",
            {"a": "2.6", "b": "1.7", "c": "2.3", "d": "1.3"},
            "8534b0ff918e6612ee9305d113f62ed7820616567d856b6a8f2cd7a562b877f4",
        ),
        quiz.Question(
            "q3",
            "The same move as in q2, but it ended the episode. What is Q(s, a) after the update?",
            {"a": "2.3", "b": "-1.0", "c": "-0.5", "d": "0.5"},
            "3e2061753da1fbed34e8dffe72cb6f8c9beebb87ae20eca660fad445dbcf0d13",
        ),
        quiz.Question(
            "q4",
            "With epsilon = 0.2 and four actions, one of them strictly the best, how often does epsilon-greedy take the best action?",
            {"a": "0.80", "b": "0.85", "c": "0.95", "d": "0.20"},
            "9be1e1aadb110a2311aed95f223e62046006f7bda068fd64e59481623a3148a9",
        ),
        quiz.Question(
            "q5",
            "Q-learning with epsilon = 0.5 learns the same greedy path as with epsilon = 0.1, yet its training returns are far lower. Which cause fits best?",
            {
                "a": "its random moves cost steps and falls off the cliff while it trains",
                "b": "a larger epsilon makes the TD targets biased towards random play",
                "c": "its table has not converged, so its greedy path is only a lucky one",
                "d": "the discount gamma is applied more often when the agent explores",
            },
            "07212c63e4174db3c737ea1b3fd75add6ac1227ff817e726a0c9c20932cbd27e",
        ),
    ],
)
quiz1.show()

# %%
answers = {"q1": "", "q2": "", "q3": "", "q4": "", "q5": ""}  # your letters, e.g. "a"

# %% tags=["solution"]
answers = quiz1.shown_letters({"q1": "a", "q2": "c", "q3": "d", "q4": "b", "q5": "a"})

# %%
passed = quiz1.check(answers)

# %% [markdown]
# ## Your exercises
#
# Which of this lesson's exercises are done so far, and where the notebook went on with
# the reference version instead. Go back to those: the check says what is still wrong.

# %%
exercise.summary(7)
