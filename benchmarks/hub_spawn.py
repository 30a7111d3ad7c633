"""Time from a student's click on "Start CPU server" to a usable JupyterLab, on the local
spawner of `practicum up` (real JupyterHub, proxy and course service on loopback).

Each run: a fresh student logs in, the dashboard's Start form is posted (the click), and
the clock stops twice: when /user/<name>/lab answers 200 through the proxy (the page a
browser shows), and when a kernel started through the server's REST API has run `1 + 1` over
its websocket (a cell can run). Prints the median of the runs and a line for BENCHMARKS.md.

    python benchmarks/hub_spawn.py --runs 7
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hub"))
from bench_machine import cpu_model
from live_hub import csrf_of, live_hub, log_in, open_dashboard
from remote_kernel import execute


def one_run(url: str, user: str) -> tuple[float, float]:
    browser = log_in(url, user)
    csrf = csrf_of(open_dashboard(browser))
    clicked = time.perf_counter()
    answer = browser.post(
        "/services/practicum/server/start", data={"csrf_token": csrf, "profile": "cpu"}
    )
    assert answer.status_code == 303, answer.text[:300]
    lab = None
    while lab is None:
        page = browser.get(f"/user/{user}/lab", follow_redirects=True)
        if page.status_code == 200 and "jupyter-config-data" in page.text:
            lab = time.perf_counter() - clicked
        else:
            time.sleep(0.1)
    xsrf = browser.cookies.get("_xsrf", path=f"/user/{user}/") or ""
    headers = {"X-XSRFToken": xsrf}
    kernel = browser.post(f"/user/{user}/api/kernels", json={"name": "python3"}, headers=headers)
    assert kernel.status_code == 201, kernel.text[:300]
    kernel_id = kernel.json()["id"]
    channels = f"{url.replace('http', 'ws', 1)}/user/{user}/api/kernels/{kernel_id}/channels"
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies.jar)
    assert execute(channels, {"Cookie": cookie}, "print(1 + 1)", timeout=60).strip() == "2"
    return lab, time.perf_counter() - clicked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--isolation",
        choices=("auto", "users", "off"),
        default="auto",
        help="[isolation] mode: auto isolates when run as root, as `practicum up` does",
    )
    args = parser.parse_args()
    students = [f"student{i}" for i in range(args.runs)]
    labs, kernels = [], []
    with (
        tempfile.TemporaryDirectory() as folder,
        pytest.MonkeyPatch.context() as monkeypatch,
        live_hub(
            Path(folder),
            monkeypatch,
            users=dict.fromkeys(students, True),
            isolation=args.isolation,
        ) as hub,
    ):
        for user in students:
            lab, kernel = one_run(hub.url, user)
            labs.append(lab)
            kernels.append(kernel)
            print(f"{user}: JupyterLab page {lab:.2f} s, first cell run {kernel:.2f} s", flush=True)
            with hub.api() as api:
                api.stop_server(user)
            hub.wait_stopped(user)
    lab_median, kernel_median = statistics.median(labs), statistics.median(kernels)
    print(
        f"median of {args.runs}: JupyterLab page {lab_median:.2f} s "
        f"(min {min(labs):.2f}, max {max(labs):.2f}); first cell run {kernel_median:.2f} s "
        f"(min {min(kernels):.2f}, max {max(kernels):.2f})"
    )
    isolated = hub.isolated
    print(
        f"| {date.today()} | {cpu_model()}, 2 cores | local spawner, CPU profile, "
        f"{'isolated (own user + bubblewrap)' if isolated else 'shared user'}, "
        f"{args.runs} runs | {lab_median:.2f} s | {kernel_median:.2f} s |"
    )


if __name__ == "__main__":
    main()
