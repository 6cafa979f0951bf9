"""mmpcd.utils.checkpoint: the one reader of checkpoint files."""

import argparse
import os
import threading
import time

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from mmpcd.utils.checkpoint import (
    CorruptCheckpointError,
    UntrustedCheckpointError,
    read_checkpoint,
    state_dict_of,
    strip_prefix,
)


def test_mmengine_training_checkpoints_are_read_weights_only(tmp_path):
    """What tools/train.py writes (message hub with HistoryBuffers, numpy arrays and scalars,
    RNG states) is read without trust."""
    path = tmp_path / 'epoch_1.pth'
    buffer = HistoryBuffer([1.0, 2.0], [1, 1])
    torch.save(
        {
            'state_dict': {'w': torch.ones(2)},
            'meta': {'rng': np.random.get_state(), 'scalar': np.float64(0.5)},
            'message_hub': {'log_scalars': {'train/loss': buffer}},
        },
        path,
    )
    loaded = read_checkpoint(str(path))
    assert loaded['message_hub']['log_scalars']['train/loss'].mean() == pytest.approx(1.5)
    assert loaded['meta']['scalar'] == 0.5 and loaded['meta']['rng'][0] == 'MT19937'


def test_other_objects_need_trust_and_the_error_names_the_switch(tmp_path):
    path = tmp_path / 'official.pth'
    torch.save({'opt': argparse.Namespace(lr=1.0), 'model': {'w': torch.ones(1)}}, path)
    with pytest.raises(UntrustedCheckpointError, match=r'argparse\.Namespace.*pass --my-switch'):
        read_checkpoint(str(path), switch='--my-switch')
    assert read_checkpoint(str(path), trust=True)['opt'].lr == 1.0


def test_the_restricted_getattr_reaches_only_history_buffer_methods(tmp_path):
    """HistoryBuffer pickles getattr(HistoryBuffer, 'mean'): only that kind is allowed."""

    class Sneaky:
        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    path = tmp_path / 'sneaky.pth'
    torch.save({'x': Sneaky()}, path)
    with pytest.raises((UntrustedCheckpointError, CorruptCheckpointError)):
        read_checkpoint(str(path))


@pytest.mark.parametrize(
    'variable', ['TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', 'TORCH_FORCE_WEIGHTS_ONLY_LOAD']
)
def test_torch_environment_variables_change_nothing(tmp_path, monkeypatch, variable):
    """A variable set for another program neither loosens nor breaks the policy, and is
    restored afterwards."""
    monkeypatch.setenv(variable, '1')
    path = tmp_path / 'official.pth'
    torch.save({'opt': argparse.Namespace(lr=1.0)}, path)
    with pytest.raises(UntrustedCheckpointError):
        read_checkpoint(str(path))
    assert read_checkpoint(str(path), trust=True)['opt'].lr == 1.0
    assert os.environ[variable] == '1'
    assert (
        'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ
        or variable == 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'
    )


@pytest.mark.parametrize('content', [b'', b'<html><body>login</body></html>', 'truncated'])
def test_files_that_are_not_checkpoints_say_so(tmp_path, content):
    path = tmp_path / 'bad.pth'
    if content == 'truncated':
        torch.save({'w': torch.randn(1000)}, path)
        content = path.read_bytes()[:2000]
    path.write_bytes(content)
    with pytest.raises(CorruptCheckpointError, match='is not a readable checkpoint'):
        read_checkpoint(str(path))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        read_checkpoint(str(tmp_path / 'missing.pth'))


def test_state_dict_of_and_strip_prefix():
    assert state_dict_of({'state_dict': {'a': 1}, 'meta': {}}) == {'a': 1}
    assert state_dict_of({'model': {'b': 2}}) == {'b': 2}
    assert state_dict_of({'c': 3}) == {'c': 3}
    assert strip_prefix({'module.a': 1, 'b': 2}) == {'a': 1, 'b': 2}


def test_a_read_in_another_thread_cannot_change_the_policy_of_one_in_progress(tmp_path):
    """The policy is process state: a trusted read starting in a second thread (the dense
    benchmark reads checkpoints from parallel tasks) must not switch a weights-only read in
    progress to full unpickling, nor drop its allowed mmengine types, and must still finish."""
    from mmpcd.utils import checkpoint as module

    official = tmp_path / 'official.pth'
    torch.save({'opt': argparse.Namespace(lr=1.0)}, official)
    results = []
    with module._loading_policy(trust=False):
        reader = threading.Thread(
            target=lambda: results.append(read_checkpoint(str(official), trust=True))
        )
        reader.start()
        time.sleep(0.3)
        assert os.environ.get(module._FORCE_WEIGHTS_ONLY) == '1'
        assert module._FORCE_FULL not in os.environ
        assert HistoryBuffer in torch.serialization.get_safe_globals()
        assert not results  # it waits for the read in progress
    reader.join(timeout=30)
    assert results and results[0]['opt'].lr == 1.0


def test_parallel_reads_of_training_checkpoints_all_succeed(tmp_path):
    path = tmp_path / 'iter_100.pth'
    torch.save({'message_hub': {'loss': HistoryBuffer([1.0], [1])}}, path)
    official = tmp_path / 'official.pth'
    torch.save({'opt': argparse.Namespace(lr=1.0)}, official)
    errors = []

    def read(name, trust):
        try:
            for _ in range(20):
                read_checkpoint(str(name), trust=trust)
        except Exception as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=read, args=(path, False)) for _ in range(3)]
    threads.append(threading.Thread(target=read, args=(official, True)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
