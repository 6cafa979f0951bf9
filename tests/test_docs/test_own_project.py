"""docs/en/user_guides/own_project.md: the folder it shows trains from outside the repository,
and the visualisation backends it documents build."""

import os
import os.path as osp
import re
import subprocess

import pytest

from tests.conftest import REPO_ROOT

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
