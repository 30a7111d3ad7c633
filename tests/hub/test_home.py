"""A student's home: notebooks copied once and never over their edits; homework linked."""

from __future__ import annotations

from pathlib import Path

from practicum.hub.home import seed_home


def _notebooks(root: Path) -> Path:
    source = root / "exercise"
    (source / "lesson1").mkdir(parents=True)
    (source / "lesson1" / "mlp.ipynb").write_text("original mlp")
    (source / "lesson2" / "data").mkdir(parents=True)
    (source / "lesson2" / "cnn.ipynb").write_text("original cnn")
    (source / "lesson2" / "data" / "notes.md").write_text("notes")
    (source / ".ipynb_checkpoints").mkdir()
    (source / ".ipynb_checkpoints" / "x.ipynb").write_text("hidden")
    return source


def test_first_start_copies_notebooks_and_links_homework(tmp_path: Path) -> None:
    source, shared = _notebooks(tmp_path), tmp_path / "shared"
    home = tmp_path / "homes" / "alice"
    report = seed_home(home, source, shared)
    notebooks = home / "notebooks"
    assert sorted(p.relative_to(notebooks).as_posix() for p in report.copied) == [
        "lesson1/mlp.ipynb",
        "lesson2/cnn.ipynb",
        "lesson2/data/notes.md",
    ]
    assert (notebooks / "lesson1" / "mlp.ipynb").read_text() == "original mlp"
    assert not (notebooks / ".ipynb_checkpoints").exists()
    assert not list(home.rglob("*.partial"))
    link = home / "homework"
    assert link.is_symlink() and link.resolve() == shared.resolve() and shared.is_dir()
    assert report.homework_linked


def test_edits_survive_and_only_missing_notebooks_return(tmp_path: Path) -> None:
    source, shared = _notebooks(tmp_path), tmp_path / "shared"
    home = tmp_path / "alice"
    seed_home(home, source, shared)
    mlp = home / "notebooks" / "lesson1" / "mlp.ipynb"
    mlp.write_text("my edits")
    (home / "notebooks" / "lesson2" / "cnn.ipynb").unlink()
    (source / "lesson3").mkdir()
    (source / "lesson3" / "rnn.ipynb").write_text("new lesson")

    report = seed_home(home, source, shared)
    assert mlp.read_text() == "my edits"
    assert sorted(p.name for p in report.copied) == ["cnn.ipynb", "rnn.ipynb"]
    assert seed_home(home, source, shared).copied == []


def test_homework_link_follows_the_shared_folder_but_spares_the_students_own(
    tmp_path: Path,
) -> None:
    home = tmp_path / "alice"
    seed_home(home, None, tmp_path / "old")
    report = seed_home(home, None, tmp_path / "new")
    assert (home / "homework").resolve() == (tmp_path / "new").resolve() and report.homework_linked

    bob = tmp_path / "bob"
    (bob / "homework").mkdir(parents=True)
    (bob / "homework" / "mine.txt").write_text("mine")
    report = seed_home(bob, None, tmp_path / "new")
    assert not report.homework_linked and "student's own" in report.note
    assert (bob / "homework" / "mine.txt").read_text() == "mine"


def test_nothing_to_seed_still_makes_the_home(tmp_path: Path) -> None:
    report = seed_home(tmp_path / "carol", tmp_path / "no-notebooks", None)
    assert (tmp_path / "carol").is_dir() and report.copied == [] and not report.homework_linked
