"""The child process that plays a submitted policy: `python -m practicum.grading.policy_play`.

It runs inside the sandbox `policy_sandbox` builds (no network, its own user, limits on
memory, CPU time, wall time, files and processes) and only ever prints one result line,
`RESULT <token> <json>`. The token and the games' seed come on stdin, read before the
policy is loaded, so they appear neither in the process's arguments nor its environment
(both readable under /proc/self): a policy can print to stdout (TorchScript has `print`)
but cannot know the token, so it cannot forge a score.
"""

from __future__ import annotations

import argparse
import json
import sys

RESULT = "RESULT"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="practicum.grading.policy_play")
    parser.add_argument("policy")
    parser.add_argument("--episodes", type=int, required=True)
    args = parser.parse_args(argv)
    secret = json.loads(sys.stdin.readline())
    token, seed = str(secret["token"]), int(secret["seed"])
    try:
        result = _play(args.policy, args.episodes, seed)
    except Exception as error:
        result = {"error": f"{type(error).__name__}: {error}"[:2000]}
    sys.stdout.write(f"\n{RESULT} {token} {json.dumps(result)}\n")
    sys.stdout.flush()
    return 0


def _play(path: str, episodes: int, seed: int) -> dict[str, object]:
    import torch

    torch.set_num_threads(1)
    from practicum.lessons.lesson7 import evaluation

    try:
        policy = torch.jit.load(path, map_location="cpu")
    except Exception as error:
        raise ValueError(
            f"not a TorchScript policy torch.jit.load can read ({error})".splitlines()[0]
        ) from None
    policy.eval()
    played = evaluation.play(policy, episodes=episodes, seed=seed, threads=1)
    return {"scores": list(played.scores), "frames": list(played.frames), "seconds": played.seconds}


if __name__ == "__main__":
    raise SystemExit(main())
