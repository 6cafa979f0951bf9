"""``make demo`` in its reduced mode: the whole chain runs and writes its summary."""
import re
import subprocess


def test_quick_demo_writes_summary_and_plot(python, repo_root, tmp_path):
    """About 90 s on 2 cores: PixPro teacher -> PCD student -> three dense probes -> Mask R-CNN
    transfer with COCO evaluation."""
    result = subprocess.run([python, 'demo/run_demo.py', '--quick', '--work-dir', str(tmp_path)],
                            cwd=repo_root, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with open(tmp_path / 'summary.md') as f:
        summary = f.read()
    rows = dict(re.findall(r'^\| (random init|PixPro teacher|PCD student) \| ([\d.]+) \|$',
                           summary, flags=re.M))
    assert set(rows) == {'random init', 'PixPro teacher', 'PCD student'}
    assert all(0 < float(v) < 100 for v in rows.values())
    ap = re.findall(r'^- (bbox|segm): ((?:-?\d\.\d{3} ?){6})$', summary, flags=re.M)
    assert [name for name, _ in ap] == ['bbox', 'segm']
    assert (tmp_path / 'summary.png').stat().st_size > 10_000
    assert (tmp_path / 'student' / 'teacher_mocov3-layout.pth').is_file()
    assert 'Loaded the PCD teacher' in (tmp_path / 'student' / 'train.out').read_text()
    assert '[mmpcd demo] done in' in result.stdout
