"""Students and staff in a real browser: Chromium (headless, driven by Playwright) against
the app served by uvicorn on a loopback port, over the tiny published homework.

What only a browser shows: the forms post what the pages render (CSRF field, file input),
redirects land where they should, a download is a download, and the browser's own URL
handling does not open a way to the hidden answers.

PRACTICUM_SCREENSHOTS=<folder> also saves a full-page screenshot of each page visited.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from browser_setup import CHROMIUM, CHROMIUM_ARGS
from playwright.sync_api import Browser, Page, expect, sync_playwright
from tiny_homework import AFTER, HW, PUBLIC_MASK, Y_TEST, accuracy, labels_csv, with_errors
from web_helpers import Clock, Service, password, serve_live, upload

NPY_MAGIC = b"\x93NUMPY"

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh does)",
        allow_module_level=True,
    )

Snap = Callable[[Page, str], None]


@pytest.fixture(scope="module")
def snap() -> Snap:
    """Saves a full-page screenshot under $PRACTICUM_SCREENSHOTS (nothing when unset)."""
    folder = os.environ.get("PRACTICUM_SCREENSHOTS")

    def take(page: Page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return take


@pytest.fixture(scope="module")
def site(service: Service) -> Iterator[str]:
    with serve_live(service.app) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class People:
    """One browser context per user, logged in through the login form once per module."""

    def __init__(self, chromium: Browser, site: str, snap: Snap) -> None:
        self.chromium, self.site, self.snap = chromium, site, snap
        self.pages: dict[str, Page] = {}

    def page(self, name: str) -> Page:
        if name not in self.pages:
            context = self.chromium.new_context(base_url=self.site, accept_downloads=True)
            page = context.new_page()
            page.goto("/homework/hw-tiny")  # not logged in: sent to the form, then back
            expect(page).to_have_url(f"{self.site}/login?next=/homework/hw-tiny")
            self.snap(page, "login")
            page.fill("#name", name)
            page.fill("#password", password(name))
            page.click("#login-form button[type=submit]")
            expect(page).to_have_url(f"{self.site}/homework/hw-tiny")
            expect(page.locator("#whoami")).to_have_text(name)
            self.pages[name] = page
        return self.pages[name]

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture(scope="module")
def people(chromium: Browser, site: str, snap: Snap) -> Iterator[People]:
    found = People(chromium, site, snap)
    yield found
    found.close()


def submit_file(page: Page, content: bytes, filename: str = "submission.csv") -> int:
    """Choose the file in the homework page's form and submit it; the answer's status."""
    page.goto(f"/homework/{HW}")
    page.set_input_files("#file", {"name": filename, "mimeType": "text/csv", "buffer": content})
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("#submit-form button[type=submit]")
    page.wait_for_load_state()
    return answer.value.status


def test_student_uploads_and_sees_score_and_rank(
    people: People, service: Service, snap: Snap
) -> None:
    page = people.page("ann")
    page.goto("/")
    expect(page.locator("#homework-list")).to_contain_text("Three classes")
    snap(page, "home")
    labels = with_errors(1, 2)
    assert submit_file(page, labels_csv(labels)) == 303
    expect(page.locator("#public-score")).to_have_text(f"{accuracy(labels, PUBLIC_MASK):.4f}")
    expect(page.locator("#my-rank")).to_contain_text("#1 of 1")
    assert service.stored() == (1, 1)
    snap(page, "homework-scored")
    page.click("text=public leaderboard")
    row = page.locator("#my-row")
    expect(row).to_contain_text("ann (you)")
    expect(row).to_contain_text(f"{accuracy(labels, PUBLIC_MASK):.4f}")
    snap(page, "leaderboard-public")


def test_malformed_upload_shows_the_validator_message_and_stores_nothing(
    people: People, service: Service, snap: Snap
) -> None:
    page = people.page("ann")
    assert submit_file(page, b"id,label\n0,1\n1,2\n", "short.csv") == 422
    message = page.locator("#last-error #error-message")
    expect(message).to_contain_text("20")  # the message says how many rows were expected
    assert service.stored() == (0, 0)
    snap(page, "homework-rejected")


def test_student_reaches_neither_others_files_nor_hidden_answers(
    people: People, service: Service, site: str, snap: Snap
) -> None:
    bobs_file = labels_csv(with_errors(0, 5))
    bobs = upload(service.client("bob"), bobs_file, filename="bob-predictions.csv")
    bob_id = int(bobs.headers["location"].split("submitted=")[1].split("#")[0])
    anns = with_errors(1, 2)
    page = people.page("ann")
    assert submit_file(page, labels_csv(anns)) == 303

    answer = page.goto(f"/submissions/{bob_id}/file")
    assert answer is not None and answer.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    snap(page, "not-found")

    private_score = f"{accuracy(anns, ~PUBLIC_MASK):.4f}"
    assert private_score != f"{accuracy(anns, PUBLIC_MASK):.4f}"
    secrets = [
        bobs_file.decode(),
        "bob-predictions.csv",
        ",".join(map(str, Y_TEST)),
        "".join(map(str, Y_TEST)),
        " ".join(map(str, Y_TEST)),
        private_score,
        str(service.config.private_dir),
    ]
    for path in ("/", f"/homework/{HW}", f"/homework/{HW}/leaderboard", "/account"):
        page.goto(path)
        html = page.content()
        assert not [s for s in secrets if s in html], path

    probes = [  # the browser resolves dot segments itself before sending these
        f"{site}/static/../../private/{HW}/y_test.npy",
        f"{site}/static/%2e%2e/%2e%2e/private/{HW}/public_mask.npy",
        f"{site}/homework/..%2F..%2Fprivate%2F{HW}%2Fy_test.npy",
        f"{site}/submissions/..%2F{bob_id}/file",
    ]
    for probe in probes:
        found = page.goto(probe)
        assert found is not None and found.status in (404, 422), probe
        assert NPY_MAGIC not in found.body() and bobs_file not in found.body(), probe


def test_form_without_its_csrf_token_is_refused(people: People, service: Service) -> None:
    page = people.page("ann")
    page.goto(f"/homework/{HW}")
    page.evaluate("document.querySelector('#submit-form [name=csrf_token]').remove()")
    page.set_input_files(
        "#file", {"name": "s.csv", "mimeType": "text/csv", "buffer": labels_csv(Y_TEST)}
    )
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("#submit-form button[type=submit]")
    assert answer.value.status == 403
    expect(page.locator("#error-message")).to_contain_text("CSRF")
    assert service.stored() == (0, 0)


def test_after_the_deadline_the_board_ranks_private_scores(
    people: People, service: Service, clock: Clock, snap: Snap
) -> None:
    labels = with_errors(1, 2)
    upload(service.client("ann"), labels_csv(labels))
    upload(service.client("bob"), labels_csv(with_errors(3, 0)))
    clock.set(AFTER)
    page = people.page("ann")
    page.goto(f"/homework/{HW}/leaderboard")
    expect(page.locator("#phase")).to_have_attribute("data-phase", "private")
    expect(page.locator("#my-row")).to_contain_text(f"{accuracy(labels, ~PUBLIC_MASK):.4f}")
    expect(page.locator("#leaderboard tbody tr").first).to_contain_text("bob")  # 12/12 private
    snap(page, "leaderboard-private")
    page.goto(f"/homework/{HW}")
    expect(page.locator("#closed")).to_contain_text("Closed")
    snap(page, "homework-closed")


def test_staff_download_the_gradebook(
    people: People, service: Service, snap: Snap, tmp_path: Path
) -> None:
    labels = with_errors(2, 1)
    upload(service.client("ann"), labels_csv(labels))
    page = people.page("tara")
    page.goto("/staff")
    expect(page.locator("#all-submissions")).to_contain_text("ann")
    snap(page, "staff")
    with page.expect_download() as download:
        page.click("#gradebook-link")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "gradebook-tiny.csv"
    with saved.open(newline="", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert float(rows["ann"][f"{HW}:best_public"]) == pytest.approx(accuracy(labels, PUBLIC_MASK))
    assert rows["ann"][f"{HW}:submissions"] == "1"
    assert np.isclose(float(rows["ann"][f"{HW}:best_private"]), accuracy(labels, ~PUBLIC_MASK))
