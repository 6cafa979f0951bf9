import pytest
from mmengine.registry import DefaultScope


@pytest.fixture(autouse=True)
def _single_thread_and_scope(one_thread):
    """Every MasKD test runs its tiny models on one torch thread (see ``one_thread``), and
    the default scopes its configs and runners create (mmdet, mmseg) are dropped afterwards,
    so later tests see the scope they had before."""
    with DefaultScope.overwrite_default_scope('mmpcd'):
        yield
