"""docs/en/user_guides/own_project.md: the folder it shows trains from outside the repository,
a full config shrunk by hand with the documented `--cfg-options` trains, and the visualisation
backends it documents build."""

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
    assert sorted(files) == ['my_project/configs/my_pixpro.py', 'my_project/my_method/__init__.py']
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


@pytest.mark.parametrize('backend', ['TensorboardVisBackend', 'WandbVisBackend'])
def test_the_documented_vis_backends_build(backend, tmp_path):
    import mmengine.visualization  # noqa: F401  (registers mmengine's backends)
    from mmengine.registry import VISBACKENDS

    built = VISBACKENDS.build(dict(type=backend, save_dir=str(tmp_path)))
    assert type(built).__name__ == backend
    if backend == 'TensorboardVisBackend':
        pytest.importorskip('tensorboard')  # not in the pinned environment
        built.add_scalars(dict(loss=1.0), step=1)
        built.close()
        assert any('tfevents' in name for _, _, names in os.walk(tmp_path) for name in names)
