"""A user's own config folder outside the repository, inheriting ``mmpcd::`` bases, trained
through ``tools/train.py`` from that folder: one of the three ways mmpcd is meant to be used."""

import os
import os.path as osp
import subprocess
import textwrap

USER_CONFIG = textwrap.dedent("""\
    _base_ = 'mmpcd::pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'
    # One iteration: two of the embedded photographs in one batch.
    train_cfg = dict(max_epochs=1)
    train_dataloader = dict(batch_size=2, num_workers=0, dataset=dict(indices=2))
    default_hooks = dict(logger=dict(interval=1))
""")


def test_train_a_config_inheriting_mmpcd_from_another_folder(tmp_path, python, repo_root):
    folder = tmp_path / 'my_project'
    folder.mkdir()
    (folder / 'my_pixpro.py').write_text(USER_CONFIG)
    assert not osp.realpath(folder).startswith(osp.realpath(repo_root) + os.sep)
    result = subprocess.run(
        [python, osp.join(repo_root, 'tools', 'train.py'), 'my_pixpro.py', '--work-dir', 'wd'],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # The demo photographs were found from the package, not from the working directory ...
    assert osp.isfile(folder / 'wd' / 'epoch_1.pth')
    assert 'Epoch(train) [1][1/1]' in result.stdout + result.stderr
    # ... and the dumped config names them by an absolute path that exists.
    dumped = (folder / 'wd' / 'my_pixpro.py').read_text()
    data_root = osp.join(repo_root, 'data', 'demo') + '/'
    assert f"data_root='{osp.realpath(data_root)}" in dumped
