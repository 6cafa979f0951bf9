"""docs/en/user_guides/own_project.md: the folder it shows trains from outside the repository,
a full config shrunk by hand with the documented `--cfg-options` trains, and the visualisation
backends it documents build."""

import glob
import json
import math
import os
import os.path as osp
import re
import subprocess

import pytest

from tests.conftest import REPO_ROOT
from tests.doc_commands import documented_commands

DOC = osp.join(REPO_ROOT, 'docs', 'en', 'user_guides', 'own_project.md')
FILE_BLOCK = re.compile(r'```python\n# (my_project/\S+)\n(.*?)```', re.S)


def test_the_documented_folder_trains_with_smoke_test(tmp_path, python):
    with open(DOC) as file:
        files = dict(FILE_BLOCK.findall(file.read()))
    assert sorted(files) == [
        'my_project/configs/my_pixpro.py',
        'my_project/configs/pixpro_tensorboard.py',
        'my_project/my_method/__init__.py',
    ]
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    folder = tmp_path / 'my_project'
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join([str(folder), os.environ.get('PYTHONPATH', '')]),
    )
    result = subprocess.run(
        [
            python,
            osp.join(REPO_ROOT, 'tools', 'train.py'),
            'configs/my_pixpro.py',
            '--smoke-test',
            '--work-dir',
            'wd',
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "type='HalfPixProHead'" in (folder / 'wd' / 'my_pixpro.py').read_text()
    assert osp.isfile(folder / 'wd' / 'epoch_1.pth')


def test_the_documented_cfg_options_train_a_full_imagenet_config(tmp_path, python):
    """Issue 15, row 3: on old main this stopped at the ImageNet base's `split`, then at AMP
    without a GPU and the `loss_scale` no option can remove."""
    (command,) = [
        c
        for c in documented_commands([DOC])
        if c.script == 'tools/train.py' and 'train_dataloader.dataset.type=CustomDataset' in c.args
    ]
    assert command.args[0] == 'configs/pixpro/pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py'
    assert '--smoke-test' not in command.args and '--no-amp' not in command.args
    work_dir = tmp_path / 'wd'
    result = subprocess.run(
        [python, 'tools/train.py', *command.args, '--work-dir', str(work_dir)],
        cwd=REPO_ROOT,
        env=dict(os.environ, OMP_NUM_THREADS='2'),
        capture_output=True,
        text=True,
        timeout=900,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    assert "dropped train_dataloader.dataset.split='train'" in log
    assert "dropped optim_wrapper.loss_scale='dynamic'" in log
    assert 'Epoch(train) [1][1/1]' in log and 'loss_pixpro:' in log
    saved = (work_dir / osp.basename(command.args[0])).read_text()
    assert "type='ResNet'" in saved and 'depth=50' in saved  # the model as configured
    assert not list(work_dir.glob('*.pth'))  # default_hooks.checkpoint=None


def test_the_documented_tensorboard_config_logs_the_losses(tmp_path, python):
    """Two iterations of the documented config; its event file holds the logged scalars."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    with open(DOC) as file:
        text = file.read()
    name = 'my_project/configs/pixpro_tensorboard.py'
    config = tmp_path / osp.basename(name)
    config.write_text(dict(FILE_BLOCK.findall(text))[name])
    (command,) = [c for c in documented_commands([DOC]) if c.args[:1] == [f'~/{name}']]
    tiny = [
        'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=0',
        'train_dataloader.dataset.indices=8',
        'train_cfg.max_epochs=1',
        'default_hooks.logger.interval=1',
        'default_hooks.checkpoint=None',
    ]
    work_dir = tmp_path / 'wd'
    argv = [str(config), *command.args[1:], '--work-dir', str(work_dir), '--cfg-options', *tiny]
    result = subprocess.run(
        [python, command.script, *argv],
        cwd=REPO_ROOT,
        env=dict(os.environ, OMP_NUM_THREADS='1'),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (vis_data,) = glob.glob(str(work_dir / '*' / 'vis_data'))
    assert glob.glob(osp.join(vis_data, 'events.out.tfevents.*'))
    events = EventAccumulator(vis_data)
    events.Reload()
    with open(osp.join(vis_data, 'scalars.json')) as file:
        logged = [json.loads(line) for line in file]
    assert [entry['step'] for entry in logged] == [1, 2]
    assert all(math.isfinite(entry['loss']) for entry in logged)
    for tag in ('loss', 'loss_pixpro', 'lr'):
        written = {event.step: event.value for event in events.Scalars(tag)}
        assert written == pytest.approx({entry['step']: entry[tag] for entry in logged}, rel=1e-6)


def test_the_documented_vis_backends_build(tmp_path):
    import mmengine.visualization  # noqa: F401  (registers mmengine's backends)
    from mmengine.registry import VISBACKENDS

    for backend in ('TensorboardVisBackend', 'WandbVisBackend'):  # wandb: built, not run
        assert type(VISBACKENDS.build(dict(type=backend, save_dir=str(tmp_path)))).__name__ == (
            backend
        )
