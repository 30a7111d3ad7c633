"""How long another student's submission waits while a refused 40 MB upload is handled.

A real server (uvicorn on loopback, SQLite) with the tiny homework and a 64 MB service-wide
upload limit: ann sends a 40 MB file (refused), and while it is in flight bob submits a
valid file, which needs the write lock. Prints the median of bob's time alone and during
the attack, and their difference: the delay the attack causes (issue 13 asks < 100 ms).

    python benchmarks/upload_lock.py --runs 7
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "service"), str(ROOT / "tests" / "web")]
from tiny_homework import BEFORE, Y_TEST, labels_csv, make_config  # noqa: E402
from web_helpers import serve_live, tiny_course_state  # noqa: E402

from practicum import store  # noqa: E402
from practicum.web import create_app  # noqa: E402
from practicum.web.deps import get_now  # noqa: E402

HW = "hw-tiny"
BIG = b"0," * (20 * 2**20)


def submit(url: str, token: str, content: bytes) -> tuple[int, float]:
    started = time.perf_counter()
    answer = httpx.post(
        f"{url}/api/homework/{HW}/submissions",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("s.csv", content)},
        timeout=120,
    )
    return answer.status_code, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        config = make_config(Path(tmp), max_upload_mb=64)
        engine, tokens = tiny_course_state(config, "bench")
        app = create_app(config)
        app.dependency_overrides = {get_now: lambda: BEFORE}  # the homework is open
        alone: list[float] = []
        attacked: list[float] = []
        statuses: set[int] = set()
        with serve_live(app) as url:
            good = labels_csv(Y_TEST)
            submit(url, tokens["bob"], good)  # warm up
            for _ in range(runs):
                alone.append(submit(url, tokens["bob"], good)[1])

                def attack() -> None:
                    statuses.add(submit(url, tokens["ann"], BIG)[0])

                thread = threading.Thread(target=attack)
                thread.start()
                time.sleep(0.02)  # the upload is on its way
                status, seconds = submit(url, tokens["bob"], good)
                assert status == 200, status
                attacked.append(seconds)
                thread.join()
                with store.session_scope(engine) as session:  # bob's daily limit
                    session.query(store.Submission).delete()
        engine.dispose()
    base, hit = statistics.median(alone) * 1000, statistics.median(attacked) * 1000
    print(
        f"upload_lock: bob's submission {base:.1f} ms alone, {hit:.1f} ms during a refused "
        f"40 MB upload (answered {sorted(statuses)}); delay {hit - base:.1f} ms, median of {runs}"
    )


if __name__ == "__main__":
    main()
