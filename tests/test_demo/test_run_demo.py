"""``make demo`` in its reduced mode: the whole chain runs and writes its summary; a folder
too small for one batch is refused before anything is trained."""

import re
import shutil
import subprocess
from pathlib import Path


def test_quick_demo_writes_summary_and_plot(python, repo_root, tmp_path):
    """About 90 s on 2 cores: PixPro teacher -> PCD student -> three dense probes -> Mask R-CNN
    transfer with COCO evaluation."""
    result = subprocess.run(
        [python, 'demo/run_demo.py', '--quick', '--work-dir', str(tmp_path)],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with open(tmp_path / 'summary.md') as f:
        summary = f.read()
    names = ('random init', 'random init + BN re-estimated', 'PixPro teacher', 'PCD student')
    rows = dict(re.findall(r'^\| (.+) \| ([\d.]+) \|$', summary, flags=re.M))
    assert set(rows) == set(names)
    assert all(0 < float(v) < 100 for v in rows.values())
    base = float(rows['random init + BN re-estimated'])
    verdict = re.search(
        r'^Against random init with BN statistics re-estimated \(([\d.]+) mIoU\): '
        r'the PixPro teacher (beats|does NOT beat) it .*; the PCD student '
        r'(beats|does NOT beat) it',
        summary,
        flags=re.M,
    )
    assert verdict and float(verdict.group(1)) == base
    assert (verdict.group(2) == 'beats') == (float(rows['PixPro teacher']) > base)
    ap = re.findall(r'^- (bbox|segm): ((?:-?\d\.\d{3} ?){6})$', summary, flags=re.M)
    assert [name for name, _ in ap] == ['bbox', 'segm']
    assert (tmp_path / 'summary.png').stat().st_size > 10_000
    assert (tmp_path / 'student' / 'teacher_mocov3-layout.pth').is_file()
    assert 'Loaded the PCD teacher' in (tmp_path / 'student' / 'train.out').read_text()
    assert '[mmpcd demo] done in' in result.stdout


def test_demo_refuses_a_folder_smaller_than_a_batch(python, repo_root, tmp_path):
    """Issue 15 row 5: 10 images and a batch of 16 trained 0 iterations, saved epoch_1.pth and
    died on a missing scalars.json."""
    images = tmp_path / 'images'
    images.mkdir()
    for path in sorted(Path(repo_root, 'data', 'demo', 'images').glob('*.jpg'))[:10]:
        shutil.copy(path, images)
    work_dir = tmp_path / 'work'
    result = subprocess.run(
        [python, 'demo/run_demo.py', '--images', str(images), '--work-dir', str(work_dir)],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert (
        f'{images} has 10 image(s), fewer than the teacher batch of 16'
        in result.stdout + result.stderr
    )
    assert not (work_dir / 'teacher').exists()  # refused before training anything
