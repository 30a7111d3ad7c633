"""The demo course's captioning homework over the web: the pages list the photo zips and show
caption_bleu's sacrebleu signature, a text upload is scored against every caption of a photo,
and a notebook sees the signature with its score."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from flickr8k_homework import HW, SIGNATURE, corpus_bleu, write_photos
from tiny_homework import demo_course_config, migrated_engine
from web_helpers import login, password, serve_live

import practicum
from practicum import store
from practicum.service.answers import load_answer
from practicum.service.publish import publish
from practicum.web import create_app
from practicum.web.deps import get_now

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # lesson 5 is open


@dataclass
class Captions:
    app: FastAPI
    token: str
    references: list[list[str]]
    public: np.ndarray

    def post(self, content: bytes, filename: str = "submission.txt") -> httpx.Response:
        return TestClient(self.app).post(
            f"/api/homework/{HW}/submissions",
            headers={"Authorization": f"Bearer {self.token}"},
            files={"file": (filename, content, "text/plain")},
        )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Captions]:
    """The demo course with lesson5-captions published from look-alike Flickr8k photos."""
    config = demo_course_config(tmp_path, monkeypatch)
    photos = write_photos(tmp_path / "flickr8k")
    with migrated_engine(config) as engine:
        publish(config, engine, HW, now=NOW)
        with store.session_scope(engine) as session:
            ann = store.create_user(session, "ann", "student", password("ann"))
            token = store.create_token(session, ann, "tests")
    app = create_app(config)
    app.dependency_overrides[get_now] = lambda: NOW
    yield Captions(app, token, photos.captions["test"], load_answer(config, HW).public_mask)


def text(captions: list[str]) -> bytes:
    return "".join(f"{c}\n" for c in captions).encode()


def test_the_pages_list_the_photo_zips_and_show_the_signature(site: Captions) -> None:
    browser = login(TestClient(site.app), "ann", password("ann"))
    page = browser.get(f"/homework/{HW}").text
    assert f'<code id="signature">{SIGNATURE}</code>' in page
    assert "caption_bleu (higher is better)" in page
    for name in ("x_train.zip", "y_train.csv", "x_dev.zip", "y_dev.csv", "x_test.zip"):
        assert f"<code>{name}</code>" in page, name
    assert "y_test" not in page
    assert f"a UTF-8 text file of {len(site.references)} lines" in page
    board = browser.get(f"/homework/{HW}/leaderboard").text
    assert f'<code id="signature">{SIGNATURE}</code>' in board


def test_a_text_upload_is_scored_against_every_caption(site: Captions) -> None:
    firsts = [captions[0] for captions in site.references]
    perfect = site.post(text(firsts))
    assert perfect.status_code == 200, perfect.text
    assert perfect.json()["public_score"] == pytest.approx(100.0)
    assert perfect.json()["signature"] == SIGNATURE

    shorter = [" ".join(c.split()[:4]) for c in firsts]
    answer = site.post(text(shorter))
    assert answer.status_code == 200, answer.text
    assert 0 < answer.json()["public_score"] < 100
    assert answer.json()["public_score"] == pytest.approx(
        corpus_bleu(shorter, site.references, site.public)
    )
    board = TestClient(site.app).get(
        f"/api/homework/{HW}/leaderboard", headers={"Authorization": f"Bearer {site.token}"}
    )
    assert (board.json()["metric"], board.json()["signature"]) == ("caption_bleu", SIGNATURE)


def test_a_wrong_number_of_lines_answers_422(site: Captions) -> None:
    n = len(site.references)
    answer = site.post(text(["a dog runs ."] * (n - 1)))
    assert answer.status_code == 422
    assert answer.json()["detail"] == f"expected {n} lines, found {n - 1}"


def test_a_notebook_submits_captions_and_sees_the_signature(
    site: Captions, capsys: pytest.CaptureFixture[str]
) -> None:
    captions = [c[1].upper() for c in site.references]  # the second caption, shouted
    with serve_live(site.app) as url:
        result = practicum.submit(HW, captions, url=url, token=site.token)
    assert (result.public_score, result.signature) == (pytest.approx(100.0), SIGNATURE)
    assert SIGNATURE in capsys.readouterr().out
