"""The demo photographs of ``data/demo``: loadable, small, licensed."""

import os.path as osp
import re
from pathlib import Path

import pytest
from PIL import Image

MAX_TOTAL_BYTES = 5 * 1024 * 1024
SHORT_SIDE_RANGE = (128, 160)


@pytest.fixture(scope='module')
def demo_root(repo_root: str) -> Path:
    return Path(repo_root) / 'data' / 'demo'


@pytest.fixture(scope='module')
def image_paths(demo_root: Path) -> list:
    return sorted((demo_root / 'images').glob('*.jpg'))


def _table_rows(notice: str, header: str) -> list:
    """Cells of the markdown table under ``## header`` (rows after the
    separator line)."""
    section = notice.split(f'## {header}\n', 1)[1].split('\n## ', 1)[0]
    rows = [line for line in section.splitlines() if line.startswith('|')]
    return [[cell.strip() for cell in row.strip('|').split('|')] for row in rows[2:]]


def test_custom_dataset_finds_all_images(demo_root: Path, image_paths: list):
    from mmpretrain.datasets import CustomDataset

    dataset = CustomDataset(data_root=str(demo_root), data_prefix='images', with_label=False)
    assert 50 <= len(dataset) <= 200
    found = sorted(osp.basename(dataset.get_data_info(i)['img_path']) for i in range(len(dataset)))
    assert found == [p.name for p in image_paths]


def test_total_size_is_small(demo_root: Path):
    total = sum(p.stat().st_size for p in demo_root.rglob('*') if p.is_file())
    assert 0 < total <= MAX_TOTAL_BYTES


def test_every_image_decodes_as_small_rgb(image_paths: list):
    assert image_paths
    for path in image_paths:
        with Image.open(path) as img:
            img.load()
            assert img.mode == 'RGB', path.name
            assert SHORT_SIDE_RANGE[0] <= min(img.size) <= SHORT_SIDE_RANGE[1]


def test_notice_names_source_and_license_of_every_image(demo_root: Path, image_paths: list):
    notice = (demo_root / 'NOTICE.md').read_text(encoding='utf-8')
    sources = {row[0]: row for row in _table_rows(notice, 'Sources')}
    files = {row[0]: row[1] for row in _table_rows(notice, 'Files')}

    # The provenance table lists exactly the shipped files ...
    assert sorted(files) == [p.name for p in image_paths]
    for key, (_, package, path, credit, license_) in sources.items():
        # ... every source names its package file, a credit and a
        # redistributable license ...
        assert package in ('skimage', 'matplotlib'), key
        assert re.fullmatch(rf'`{package}/\S+\.(png|jpg)`', path), path
        assert credit, key
        assert re.search(r'CC0|[Pp]ublic domain', license_), key
    # ... and every file points at a listed source.
    assert set(files.values()) <= set(sources)
