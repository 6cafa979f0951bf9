import pytest

from .helpers import REPO_ROOT, make_demo_work_dirs


@pytest.fixture(autouse=True)
def _single_thread_in_repo_root(one_thread, monkeypatch):
    """Every visualisation test runs its tiny models on one torch thread (see ``one_thread``)
    from the repository root, where the tools' relative config paths point."""
    monkeypatch.chdir(REPO_ROOT)
    yield


@pytest.fixture(scope='session')
def demo_work_dirs(tmp_path_factory) -> str:
    """A ``work_dirs`` with the files of the doc's two demo runs (see ``make_demo_work_dirs``)."""
    root = tmp_path_factory.mktemp('work_dirs')
    make_demo_work_dirs(str(root))
    return str(root)
