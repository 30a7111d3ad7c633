"""A student in a real browser (Playwright driving Debian's Chromium) on the whole stack:
the hub's login, the course dashboard with credits, Start, JupyterLab, a notebook cell that
calls `practicum.submit` with the server's own hub token, and the score on the dashboard.

PRACTICUM_SCREENSHOTS=<folder> also saves a screenshot of each step.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from browser_setup import CHROMIUM, CHROMIUM_ARGS
from live_hub import PASSWORD, LiveHub, labels_course_toml, live_hub, proxy_or_skip
from playwright.sync_api import Page, expect, sync_playwright
from tiny_homework import publish_images

from practicum.grading.split import make_split

proxy_or_skip()
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: scripts/setup.sh installs it", allow_module_level=True)

HW, N_ITEMS, N_CLASSES = "lesson1-live", 30, 10
Y_TEST = np.random.default_rng(1).integers(0, N_CLASSES, N_ITEMS)
MASK = make_split(N_ITEMS, 0.5, seed=5)
GUESS = 3
"""The notebook submits this class for every item: its public score is known here."""


def submit_notebook(folder: Path) -> None:
    code = (
        "from pathlib import Path\nimport numpy as np, practicum\n"
        f"x_test = np.load(Path.home() / 'homework/{HW}/x_test.npy')\n"
        f"result = practicum.submit('{HW}', np.full(len(x_test), {GUESS}))\n"
        "print('SCORE', result.public_score)"
    )
    cell = {"cell_type": "code", "metadata": {}, "source": code, "outputs": []}
    cell["execution_count"] = None
    notebook = {
        "cells": [cell],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (folder / "lesson1").mkdir(parents=True)
    (folder / "lesson1" / "submit.ipynb").write_text(json.dumps(notebook))


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveHub]:
    submit_notebook(tmp_path / "exercise")
    with live_hub(
        tmp_path,
        monkeypatch,
        users={"alice": True},
        course_toml=labels_course_toml(HW, N_CLASSES),
        notebooks=tmp_path / "exercise",
    ) as running:
        from practicum.settings.hub import service_config

        publish_images(service_config(running.settings), HW, Y_TEST, MASK)
        yield running


def snap(page: Page, name: str) -> None:
    folder = os.environ.get("PRACTICUM_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"hub-{name}.png"), full_page=True)


def test_login_start_jupyterlab_submit_and_see_the_score(hub: LiveHub) -> None:
    expected = float(np.mean(Y_TEST[MASK] == GUESS))
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = chromium.new_page(base_url=hub.url)
        page.set_default_timeout(60_000)
        page.goto("/hub/login")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", PASSWORD)
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_url("**/services/practicum/")  # through the hub's OAuth
        expect(page.locator("#balance")).to_contain_text("40.00")
        snap(page, "1-dashboard")

        page.click("#start-cpu")
        lab = page.locator("#open-lab")
        expect(lab).to_be_visible(timeout=60_000)  # the dashboard reloads while it starts
        snap(page, "2-started")
        page.goto("/user/alice/lab/tree/notebooks/lesson1/submit.ipynb")
        cell = page.locator(".jp-Cell .jp-InputArea-editor").first
        expect(cell).to_be_visible(timeout=90_000)
        idle = page.get_by_role("button", name=re.compile(r"Python 3 \(ipykernel\) \| Idle"))
        expect(idle).to_be_visible(timeout=90_000)  # the kernel is up
        cell.click()
        page.get_by_role("button", name="Run this cell and advance (Shift+Enter)").click()
        stdout = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]'
        output = page.locator(stdout).filter(has_text="SCORE")
        expect(output).to_contain_text(f"SCORE {expected}", timeout=90_000)
        snap(page, "3-notebook")

        page.goto("/services/practicum/")
        score = page.locator(f'td.score[data-homework="{HW}"]')
        expect(score).to_contain_text(f"{expected:.4f}")
        snap(page, "4-score-on-dashboard")
        chromium.close()
    with hub.api() as api:
        api.stop_server("alice")
    hub.wait_stopped("alice")
