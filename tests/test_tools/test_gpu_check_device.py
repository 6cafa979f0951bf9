"""tools/analysis_tools/gpu_check_device.sh: installs the carried wheels, then runs the check.

On the CPU it runs with SKIP_BUILD=1 (the extension is built) and a quick gpu_check; the
wheel folder holds one hand-made wheel, whose installation into SITE is checked.
"""

import json
import os
import subprocess
import sys
import zipfile

from tests.conftest import REPO_ROOT


def make_wheel(folder) -> None:
    """A minimal pure-Python wheel of a package ``carried_probe``."""
    name = 'carried_probe-1.0.dist-info'
    with zipfile.ZipFile(folder / 'carried_probe-1.0-py3-none-any.whl', 'w') as wheel:
        wheel.writestr('carried_probe/__init__.py', 'CARRIED = True\n')
        wheel.writestr(
            f'{name}/METADATA', 'Metadata-Version: 2.1\nName: carried-probe\nVersion: 1.0\n'
        )
        wheel.writestr(
            f'{name}/WHEEL',
            'Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
        )
        wheel.writestr(f'{name}/RECORD', '')


def test_device_script_installs_the_wheels_and_writes_the_report(tmp_path):
    wheels, site, out = tmp_path / 'wheels', tmp_path / 'site', tmp_path / 'out'
    wheels.mkdir()
    make_wheel(wheels)
    env = dict(
        os.environ,
        WHEELS=str(wheels),
        SITE=str(site),
        OUT=str(out),
        SKIP_BUILD='1',
        PYTHON=sys.executable,
        GPU_CHECK_ARGS='--device cpu --quick --skip-tests --skip-ops --models pixpro byol',
    )
    result = subprocess.run(
        ['bash', 'tools/analysis_tools/gpu_check_device.sh'],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (site / 'carried_probe' / '__init__.py').is_file()
    report = json.loads((out / 'gpu_check.json').read_text())
    assert {r['model'] for r in report['training']} == {'pixpro', 'byol'}
    assert {'gpu_check.md', 'gpu_check.log', 'setup.log'} <= {p.name for p in out.iterdir()}
    assert 'running gpu_check.py' in result.stdout


def test_device_script_stops_with_the_log_when_a_wheel_is_broken(tmp_path):
    wheels = tmp_path / 'wheels'
    wheels.mkdir()
    (wheels / 'broken-1.0-py3-none-any.whl').write_bytes(b'not a zip')
    env = dict(
        os.environ,
        WHEELS=str(wheels),
        SITE=str(tmp_path / 'site'),
        OUT=str(tmp_path / 'out'),
        SKIP_BUILD='1',
        PYTHON=sys.executable,
    )
    result = subprocess.run(
        ['bash', 'tools/analysis_tools/gpu_check_device.sh'],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert 'installing the wheels failed' in result.stderr
