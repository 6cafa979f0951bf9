import pytest


@pytest.fixture(autouse=True)
def _single_thread(one_thread):
    """Every MasKD test runs its tiny models on one torch thread (see ``one_thread``)."""
    yield
