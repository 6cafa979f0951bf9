import os

import pytest
import torch
from mmengine.logging import HistoryBuffer

from mmpcd.engine import full_checkpoint_unpickling


def test_full_checkpoint_unpickling_loads_mmengine_objects_and_restores_the_env(
        tmp_path, monkeypatch):
    monkeypatch.delenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', raising=False)
    path = tmp_path / 'ckpt.pth'
    torch.save({'meta': {'buffer': HistoryBuffer([1.0, 2.0], [1, 1])}}, path)

    with pytest.raises(Exception, match='weights_only|Unsupported global'):
        torch.load(path)
    with full_checkpoint_unpickling():
        loaded = torch.load(path)
    assert loaded['meta']['buffer'].mean() == pytest.approx(1.5)
    assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ


def test_full_checkpoint_unpickling_keeps_an_explicit_weights_only(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save({'buffer': HistoryBuffer([1.0], [1])}, path)
    with full_checkpoint_unpickling(), pytest.raises(Exception, match='Unsupported global'):
        torch.load(path, weights_only=True)


def test_full_checkpoint_unpickling_restores_a_previous_value(monkeypatch):
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '0')
    with full_checkpoint_unpickling():
        assert os.environ['TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'] == '1'
    assert os.environ['TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'] == '0'
