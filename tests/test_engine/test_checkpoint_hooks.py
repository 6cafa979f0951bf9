"""The non-finite guard and the checkpoint files, without a training run."""

import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from mmpcd.engine.hooks import NonFiniteError, NonFiniteGuardHook
from mmpcd.engine.runners.checkpoint_files import (
    find_resumable_checkpoint,
    remove_stale_temporaries,
    write_text_atomically,
)


def fake_runner(work_dir, model=None):
    return SimpleNamespace(work_dir=str(work_dir), iter=6, epoch=1, model=model or nn.Linear(2, 2))


def test_a_non_finite_loss_stops_with_its_key_the_iteration_and_the_last_checkpoint(tmp_path):
    last = tmp_path / 'iter_5.pth'
    (tmp_path / 'last_checkpoint').write_text(str(last))
    hook = NonFiniteGuardHook()
    hook.after_train_iter(fake_runner(tmp_path), 0, outputs=dict(loss=torch.tensor(1.0)))
    with pytest.raises(NonFiniteError) as error:
        hook.after_train_iter(
            fake_runner(tmp_path),
            0,
            outputs=dict(loss_single=torch.tensor(0.5), loss_dense=torch.tensor(float('nan'))),
        )
    message = str(error.value)
    assert "iteration 7 (epoch 2): the loss 'loss_dense' is nan" in message
    assert f'the last finite checkpoint is {last} (continue with --resume {last})' in message


def test_non_finite_parameters_after_a_step_stop_training(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    with torch.no_grad():
        model[1].weight[0, 0] = float('inf')
    with pytest.raises(
        NonFiniteError,
        match=r"model tensors 1\.weight are not finite after "
        'the step.*no checkpoint was written yet',
    ):
        NonFiniteGuardHook().after_train_iter(fake_runner(tmp_path, model), 0, outputs={})
    NonFiniteGuardHook(param_interval=0).after_train_iter(fake_runner(tmp_path, model), 0)
    model = nn.BatchNorm1d(2)
    model.running_var.fill_(float('inf'))  # as lr=1e6 does to the demo's BN statistics
    with pytest.raises(NonFiniteError, match='running_var are not finite'):
        NonFiniteGuardHook().after_train_iter(fake_runner(tmp_path, model), 0, outputs={})


def test_a_checkpoint_with_a_non_finite_buffer_is_not_written(tmp_path):
    state = dict(
        weight=torch.ones(3), queue=torch.tensor([0.0, float('-inf')]), queue_ptr=torch.tensor([3])
    )
    with pytest.raises(
        NonFiniteError, match='model tensors queue are not finite; the checkpoint was not written'
    ):
        NonFiniteGuardHook().before_save_checkpoint(fake_runner(tmp_path), dict(state_dict=state))
    state['queue'] = torch.zeros(2)
    NonFiniteGuardHook().before_save_checkpoint(fake_runner(tmp_path), dict(state_dict=state))


def test_resume_skips_truncated_and_missing_checkpoints(tmp_path):
    for epoch in (1, 2, 3):
        torch.save({'w': torch.ones(100)}, tmp_path / f'epoch_{epoch}.pth')
    data = (tmp_path / 'epoch_3.pth').read_bytes()
    (tmp_path / 'epoch_3.pth').write_bytes(data[: len(data) - 10])
    write_text_atomically(str(tmp_path / 'last_checkpoint'), str(tmp_path / 'epoch_3.pth'))
    warnings = []
    assert find_resumable_checkpoint(str(tmp_path), warnings.append) == str(
        tmp_path / 'epoch_2.pth'
    )
    assert len(warnings) == 1 and 'epoch_3.pth is missing, truncated' in warnings[0]
    assert 'resuming from ' + str(tmp_path / 'epoch_2.pth') in warnings[0]
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'gone.pth'))
    assert find_resumable_checkpoint(str(tmp_path), warnings.append) == str(
        tmp_path / 'epoch_2.pth'
    )
    assert find_resumable_checkpoint(str(tmp_path / 'empty'), warnings.append) is None


def test_temporary_files_of_dead_writers_are_removed(tmp_path):
    (tmp_path / 'epoch_2.pth.12345.tmp').write_bytes(b'half')
    (tmp_path / 'epoch_1.pth').write_bytes(b'kept')
    assert remove_stale_temporaries(str(tmp_path)) == [str(tmp_path / 'epoch_2.pth.12345.tmp')]
    assert osp.exists(tmp_path / 'epoch_1.pth')
