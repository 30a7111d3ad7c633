"""Fixtures shared by several test modules of the lessons' notebooks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from notebook_runner import Layout, run_lesson

from practicum.data import import_files, synthetic


@pytest.fixture
def one_thread() -> Iterator[None]:
    """The checks' models are tiny: one thread runs them fastest (a second one only spins).
    Modules use it with `pytestmark = pytest.mark.usefixtures("one_thread")`."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def lesson6_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Printed text of every Lesson 6 notebook of both variants, run once for the session
    (Sections 1-2 and 3-4 are tested in two modules); digits stand in for clothes."""
    root = tmp_path_factory.mktemp("lesson6")
    raw = synthetic.write_mnist_like(root / "raw", n_train=1200, n_test=300, seed=0)
    for name in ("fashion-mnist", "mnist"):
        import_files(name, sorted(raw.iterdir()), verify=False, home=root / "cache")
    return run_lesson(root, 6, Layout.of(6).present)
