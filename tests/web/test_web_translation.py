"""The demo course's translation homework over the web: a .txt upload to the API is scored
by BLEU, the sacrebleu signature is shown with the score, wrong files answer 422."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pytest
import sacrebleu
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sacrebleu.metrics.bleu import BLEU
from tiny_homework import demo_course_config
from web_helpers import login, password, serve_live

import practicum
from practicum import data, store
from practicum.data import synthetic
from practicum.service.answers import load_answer
from practicum.service.publish import publish
from practicum.web import create_app
from practicum.web.deps import get_now

HW = "lesson4-enja"
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # lesson 4 is open
N_TEST = 12
SIGNATURE = f"nrefs:1|case:mixed|eff:no|tok:none|smooth:exp|version:{sacrebleu.__version__}"


@dataclass
class Translation:
    app: FastAPI
    token: str
    references: list[str]
    public: np.ndarray

    def post(self, content: bytes, filename: str = "submission.txt") -> httpx.Response:
        return TestClient(self.app).post(
            f"/api/homework/{HW}/submissions",
            headers={"Authorization": f"Bearer {self.token}"},
            files={"file": (filename, content, "text/plain")},
        )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Translation]:
    """The demo course with lesson4-enja published from small official-format files."""
    config = demo_course_config(tmp_path, monkeypatch)
    folder = synthetic.write_enja_like(tmp_path / "enja", 30, 6, N_TEST, seed=3)
    data.import_files("small-parallel-enja", [folder], verify=False)
    store.upgrade(config.database_url)
    engine = store.make_engine(config.database_url)
    publish(config, engine, HW, now=NOW)
    with store.session_scope(engine) as session:
        ann = store.create_user(session, "ann", "student", password("ann"))
        token = store.create_token(session, ann, "tests")
    engine.dispose()
    app = create_app(config)
    app.dependency_overrides[get_now] = lambda: NOW
    references = (folder / "test.ja").read_text(encoding="utf-8").splitlines()
    yield Translation(app, token, references, load_answer(config, HW).public_mask)


def text(sentences: list[str]) -> bytes:
    return "".join(f"{s}\n" for s in sentences).encode()


def public_bleu(hypotheses: list[str], site: Translation) -> float:
    """sacrebleu itself over the public items, not the grader."""
    picked = np.flatnonzero(site.public)
    return (
        BLEU(tokenize="none")
        .corpus_score([hypotheses[i] for i in picked], [[site.references[i] for i in picked]])
        .score
    )


def test_a_text_upload_is_scored_by_bleu_with_its_signature(site: Translation) -> None:
    perfect = site.post(text(site.references))
    assert perfect.status_code == 200, perfect.text
    assert perfect.json()["public_score"] == pytest.approx(100.0)
    assert perfect.json()["signature"] == SIGNATURE

    partial = [" ".join(s.split()[:-2]) for s in site.references]  # verb ending dropped
    answer = site.post(text(partial))
    assert answer.status_code == 200, answer.text
    assert 0 < answer.json()["public_score"] < 100
    assert answer.json()["public_score"] == pytest.approx(public_bleu(partial, site))
    board = TestClient(site.app).get(
        f"/api/homework/{HW}/leaderboard", headers={"Authorization": f"Bearer {site.token}"}
    )
    assert (board.json()["metric"], board.json()["signature"]) == ("bleu", SIGNATURE)


@pytest.mark.parametrize("count", [N_TEST - 1, N_TEST + 1])
def test_a_wrong_number_of_lines_answers_422_with_the_reason(site: Translation, count: int) -> None:
    answer = site.post(text((site.references * 2)[:count]))
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert f"expected {N_TEST} lines" in detail
    assert detail.endswith(f"found {count}" if count < N_TEST else "found more")


def test_an_npy_file_is_not_a_translation(site: Translation) -> None:
    answer = site.post(b"\x93NUMPY", filename="submission.npy")
    assert answer.status_code == 422
    assert (
        answer.json()["detail"]
        == f"found a .npy file; this homework takes a text file of {N_TEST} lines"
    )


def test_the_pages_show_the_text_files_and_the_signature(site: Translation) -> None:
    browser = login(TestClient(site.app), "ann", password("ann"))
    page = browser.get(f"/homework/{HW}").text
    assert f'<code id="signature">{SIGNATURE}</code>' in page
    for name in ("x_test.txt", "y_train.txt", "x_dev.txt", "README.md"):
        assert f"<code>{name}</code>" in page, name
    assert "y_test" not in page
    assert f"a UTF-8 text file of {N_TEST} lines" in page
    board = browser.get(f"/homework/{HW}/leaderboard").text
    assert f'<code id="signature">{SIGNATURE}</code>' in board


def test_a_notebook_submits_sentences_and_sees_the_signature(
    site: Translation, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_live(site.app) as url:
        result = practicum.submit(
            HW, [s.split() for s in site.references], url=url, token=site.token
        )
    assert (result.public_score, result.signature) == (pytest.approx(100.0), SIGNATURE)
    assert SIGNATURE in capsys.readouterr().out
