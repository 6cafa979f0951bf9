"""Bad image files name themselves, or are skipped when asked (issue 13, row 7), and
tools/misc/check_images.py finds them before a run."""

import glob
import os.path as osp
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from mmpcd.registry import DATASETS
from mmpcd.utils import register_all_modules
from tests.conftest import REPO_ROOT, load_script

register_all_modules(init_default_scope=False)
pytestmark = pytest.mark.usefixtures('mmpcd_scope')
DEMO_IMAGES = sorted(glob.glob(osp.join(REPO_ROOT, 'data', 'demo', 'images', '*.jpg')))


@pytest.fixture
def folder(tmp_path):
    """``images/``: three photographs, a zero-byte, a non-image and a truncated JPEG."""
    images = tmp_path / 'images'
    images.mkdir()
    for index, src in enumerate(DEMO_IMAGES[:3]):
        shutil.copy(src, images / f'good_{index}.jpg')
    (images / 'empty.jpg').write_bytes(b'')
    (images / 'text.jpg').write_text('this is not an image')
    data = open(DEMO_IMAGES[0], 'rb').read()
    (images / 'truncated.jpg').write_bytes(data[:200])
    return tmp_path


def dataset(root, **load_options):
    return DATASETS.build(
        dict(
            type='CustomDataset',
            data_root=str(root),
            data_prefix='images',
            with_label=False,
            pipeline=[dict(type='LoadImageFromFile', **load_options)],
        )
    )


def names(data):
    return [osp.basename(data.get_data_info(i)['img_path']) for i in range(len(data))]


@pytest.mark.parametrize('name', ['empty.jpg', 'text.jpg', 'truncated.jpg'])
def test_a_file_that_cannot_be_decoded_is_named(folder, name):
    """main: `cv2.error ... !buf.empty()` (no file name) or a bare assertion."""
    data = dataset(folder)
    index = names(data).index(name)
    with pytest.raises(
        ValueError, match=f'cannot decode the image .*{name}.*check_images.py.*skip_bad_images=True'
    ):
        data[index]


def test_bad_files_are_skipped_with_one_warning_each(folder, monkeypatch):
    import mmpcd.datasets.transforms.loading as loading

    warnings = []
    monkeypatch.setattr(loading, 'print_log', lambda msg, **kw: warnings.append(msg))
    data = dataset(folder, skip_bad_images=True)
    bad = names(data).index('empty.jpg')
    for _ in range(3):
        result = data[bad]  # another image instead (mmengine's BaseDataset refetches)
        assert osp.basename(result['img_path']).startswith('good_')
    assert sum('empty.jpg' in w for w in warnings) == 1


def test_training_on_a_folder_with_a_bad_image(folder, python, repo_root):
    """tools/train.py: without the option the error names the file; with it the run ends."""
    base = [
        python,
        'tools/train.py',
        'configs/densecl/densecl_resnet18_1xb16-coslr-2e_demo.py',
        '--work-dir',
        str(folder / 'work'),
        '--cfg-options',
        f'train_dataloader.dataset.data_root={folder}',
        'train_dataloader.batch_size=6',
        'train_dataloader.num_workers=0',
        'model.queue_len=60',
        'train_cfg.max_epochs=1',
    ]
    failed = subprocess.run(base, cwd=repo_root, capture_output=True, text=True, timeout=600)
    assert failed.returncode != 0
    assert 'cannot decode the image' in failed.stderr and str(folder / 'images') in failed.stderr
    skipped = subprocess.run(
        base + ['train_dataloader.dataset.pipeline.0.skip_bad_images=True'],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = skipped.stdout + skipped.stderr
    assert skipped.returncode == 0, output[-3000:]
    assert 'skipping the image' in output


def test_check_images_reports_every_kind(tmp_path):
    root = tmp_path / 'set'
    root.mkdir()
    shutil.copy(DEMO_IMAGES[0], root / 'good.jpg')
    (root / 'empty.jpg').write_bytes(b'')
    Image.new('RGB', (64, 300)).save(root / 'small.png')
    Image.new('L', (300, 300)).save(root / 'grey.png')
    Image.new('CMYK', (300, 300)).save(root / 'cmyk.jpg')
    import cv2

    cv2.imwrite(str(root / 'deep.png'), np.zeros((300, 300, 3), np.uint16))
    tool = load_script('tools/misc/check_images.py')
    report = tool.check_folder(str(root), min_size=100, show_progress=False)
    assert report['checked'] == {'images': 6}
    assert set(report['unreadable']) == {'empty.jpg'}
    assert set(report['too_small']) == {'small.png'}
    assert set(report['grey']) == {'grey.png'}
    assert set(report['cmyk']) == {'cmyk.jpg'}
    assert set(report['16bit']) == {'deep.png'}
    with pytest.raises(SystemExit) as exit_:
        tool.main(
            [str(root), '--min-size', '100', '--quiet', '--out', str(tmp_path / 'report.json')]
        )
    assert exit_.value.code == 1 and osp.isfile(tmp_path / 'report.json')
