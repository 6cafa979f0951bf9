"""mmpcd.apis.get_checkpoint and tools/misc/download_checkpoint.py against a local HTTP
server (no network): resolution, download with resume, sha256, offline cache, conversion,
untrusted pickles."""

import argparse
import hashlib
import http.server
import os
import os.path as osp
import socket
import threading

import pytest
import torch
from mmengine.config import Config

from mmpcd.apis import CheckpointError, find_entry, get_checkpoint
from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules
from tests.conftest import REPO_ROOT, load_script


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves ``directory`` and honours ``Range: bytes=N-`` (records what it was asked)."""

    ranges = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.translate_path(self.path)
        if not osp.isfile(path):
            self.send_error(404)
            return
        with open(path, 'rb') as file:
            data = file.read()
        start = 0
        header = self.headers.get('Range')
        type(self).ranges.append(header)
        if header:
            start = int(header.split('=')[1].rstrip('-'))
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
        else:
            self.send_response(200)
        self.send_header('Content-Length', str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])


@pytest.fixture
def server(tmp_path, monkeypatch):
    """(directory served, base URL); stopped after the test. The local host is treated like
    download.openmmlab.com, whose file names carry the sha256 prefix."""
    from mmpcd.hub import cache

    monkeypatch.setattr(cache, 'NAME_HASH_HOSTS', ('download.openmmlab.com', '127.0.0.1'))
    root = tmp_path / 'served'
    root.mkdir()
    _RangeHandler.ranges = []
    handler = lambda *a, **k: _RangeHandler(*a, directory=str(root), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f'http://127.0.0.1:{httpd.server_address[1]}'
    httpd.shutdown()


def _publish(root, stem: str, obj, good_hash: bool = True) -> str:
    """Save ``obj`` as ``<stem>-<sha8>.pth`` (OpenMMLab naming) in the served directory."""
    tmp = root / 'tmp.pth'
    torch.save(obj, tmp)
    sha = hashlib.sha256(tmp.read_bytes()).hexdigest()[:8]
    name = f'{stem}-{sha if good_hash else "deadbeef"}.pth'
    os.replace(tmp, root / name)
    return name


def _closed_port_url(name: str) -> str:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    return f'http://127.0.0.1:{port}/{name}'


def test_zoo_names_resolve_by_name_and_config():
    by_name = find_entry('densecl_resnet50_8xb32-coslr-200e_in1k')
    assert by_name.weights.startswith('https://download.openmmlab.com/')
    assert by_name.converter.endswith('densecl_to_mmpcd.py')
    assert find_entry('configs/densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py') == by_name
    assert find_entry('densecl_resnet50_8xb32-coslr-200e_in1k.py') == by_name
    with pytest.raises(CheckpointError, match='neither a file, a URL nor a model'):
        find_entry('densecl_resnet51_typo')


def test_download_verifies_caches_and_then_works_offline(server, tmp_path):
    root, url = server
    name = _publish(root, 'tiny_20250101', {'state_dict': {'w': torch.arange(5.0)}})
    cache = tmp_path / 'cache'
    path = get_checkpoint(f'{url}/{name}', cache_dir=str(cache), show_progress=False)
    assert path == str(cache / name) and not osp.exists(path + '.part')
    assert torch.equal(torch.load(path, weights_only=True)['state_dict']['w'], torch.arange(5.0))
    offline = _closed_port_url(name)  # same file name, unreachable server
    assert get_checkpoint(offline, cache_dir=str(cache)) == path


def test_download_resumes_a_partial_file(server, tmp_path):
    root, url = server
    name = _publish(root, 'big_20250101', {'state_dict': {'w': torch.randn(20000)}})
    cache = tmp_path / 'cache'
    cache.mkdir()
    data = (root / name).read_bytes()
    (cache / (name + '.part')).write_bytes(data[: len(data) // 2])
    path = get_checkpoint(f'{url}/{name}', cache_dir=str(cache), show_progress=False)
    assert _RangeHandler.ranges == [f'bytes={len(data) // 2}-']
    assert open(path, 'rb').read() == data


def test_a_wrong_sha256_is_refused_and_the_file_removed(server, tmp_path):
    root, url = server
    name = _publish(root, 'bad_20250101', {'w': torch.ones(3)}, good_hash=False)
    with pytest.raises(CheckpointError, match='does not match the expected deadbeef'):
        get_checkpoint(f'{url}/{name}', cache_dir=str(tmp_path), show_progress=False)
    assert not osp.exists(tmp_path / name) and not osp.exists(tmp_path / (name + '.part'))


def test_offline_and_not_cached_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match='offline and the checkpoint is not cached') as info:
        get_checkpoint(_closed_port_url('x-0123abcd.pth'), cache_dir=str(tmp_path))
    assert f'copy it to {tmp_path / "x-0123abcd.pth"}' in str(info.value)  # the place to fill


def test_google_drive_share_links_are_explained():
    with pytest.raises(CheckpointError, match='Google Drive share page.*local path'):
        get_checkpoint('pixpro_resnet50_8xb128-lars-coslr-100e_in1k')


def test_models_without_weights_name_their_config():
    with pytest.raises(CheckpointError, match='no public weights.*pixcontrast_resnet50'):
        get_checkpoint('pixcontrast_resnet50_8xb128-lars-coslr-100e_in1k')


def test_untrusted_pickles_need_an_explicit_opt_in(server, tmp_path):
    root, url = server
    name = _publish(
        root,
        'pickled_20250101',
        {'opt': argparse.Namespace(lr=1.0), 'state_dict': {'w': torch.ones(1)}},
    )
    with pytest.raises(CheckpointError, match='trust=True'):
        get_checkpoint(f'{url}/{name}', cache_dir=str(tmp_path), show_progress=False)
    assert get_checkpoint(f'{url}/{name}', cache_dir=str(tmp_path), trust=True).endswith(name)


def test_zoo_entries_are_converted_with_their_converter(server, tmp_path):
    """A model index whose entry serves an mmpretrain DenseCL checkpoint and names the DenseCL
    converter: the result is mmpcd's layout (with the EMA step counter added)."""
    root, url = server
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'tests/data/configs/densecl_r18_tiny_convert.py'))
    state_dict = MODELS.build(cfg.model).state_dict()
    state_dict.pop('encoder_k.steps')
    name = _publish(root, 'densecl_tiny_20250101', {'state_dict': state_dict})
    (tmp_path / 'metafile.yml').write_text(
        'Models:\n  - Name: densecl_tiny\n    Metadata:\n'
        '      Converter: tools/model_converters/densecl_to_mmpcd.py\n'
        f'    Weights: {url}/{name}\n    Config: configs/densecl/x.py\n'
    )
    (tmp_path / 'model-index.yml').write_text('Import:\n  - metafile.yml\n')
    path = get_checkpoint(
        'densecl_tiny',
        cache_dir=str(tmp_path / 'cache'),
        show_progress=False,
        model_index=str(tmp_path / 'model-index.yml'),
    )
    assert path.endswith('densecl_tiny_20250101-' + name.split('-')[-1][:-4] + '_mmpcd.pth')
    converted = torch.load(path, weights_only=True)
    assert converted['state_dict']['encoder_k.steps'] == 1
    assert set(converted['state_dict']) == set(state_dict) | {'encoder_k.steps'}
    assert converted['meta']['converter'] == 'densecl_to_mmpcd'


def test_download_tool_prints_the_path_and_fails_clearly(server, tmp_path, capfd):
    tool = load_script('tools/misc/download_checkpoint.py')
    root, url = server
    name = _publish(root, 'tool_20250101', {'w': torch.ones(2)})
    tool.main([f'{url}/{name}', '--cache-dir', str(tmp_path), '--quiet'])
    assert capfd.readouterr().out.strip() == str(tmp_path / name)
    with pytest.raises(SystemExit, match='error: .*no public weights'):
        tool.main(['pixcontrast_resnet50_8xb128-lars-coslr-100e_in1k'])


def test_other_projects_can_inherit_mmpcd_configs(tmp_path):
    """`_base_ = 'mmpcd::...'` from a config outside the repository (mmpcd imported first,
    as the launching tools do), with mmpcd's modules pulled in by custom_imports."""
    child = tmp_path / 'child.py'
    child.write_text(
        "_base_ = 'mmpcd::pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'\n"
        "custom_imports = dict(imports=['mmpcd'], allow_failed_imports=False)\n"
        'model = dict(head=dict(pos_ratio=0.5))\n'
    )
    cfg = Config.fromfile(str(child))
    assert cfg.model.type == 'PixPro' and cfg.model.head.pos_ratio == 0.5
    assert cfg.default_scope == 'mmpcd'
    assert osp.isfile(
        osp.join(
            REPO_ROOT,
            'mmpcd',
            '.mim',
            'configs',
            'pixpro',
            'pixpro_resnet18_1xb16-lars-coslr-2e_demo.py',
        )
    )


def test_a_zoo_teacher_name_resolves_to_the_cached_file_and_its_layout(tmp_path, monkeypatch):
    """`teacher_checkpoint=<zoo name>` (PCD): the cached download is used, no network, and the
    entry's layout replaces the config's; an unknown name is a clear error."""
    from mmpcd.hub import cache, resolve, write_sidecar
    from mmpcd.models.teachers import PCDTeacher

    monkeypatch.setenv('MMPCD_CACHE_DIR', str(tmp_path))
    # The stand-in file cannot have the sha256 prefix of the real one's name.
    monkeypatch.setattr(cache, 'NAME_HASH_HOSTS', ())
    entry = find_entry('mocov3_resnet50_8xb512-amp-coslr-800e_in1k')
    cached = tmp_path / 'checkpoints' / entry.weights.rsplit('/', 1)[1]
    cached.parent.mkdir()
    torch.save({'state_dict': {}}, cached)
    write_sidecar(str(cached))
    resolved = resolve(entry.name)
    assert resolved.path == str(cached) and resolved.entry.teacher_layout == 'mmpretrain_mocov3'
    teacher = PCDTeacher(
        backbone=dict(type='ResNet', depth=18, out_indices=(3,)),
        adaptor=dict(type='SpatialAdaptor', channels=(512, 8)),
        checkpoint=entry.name,
        layout='mocov3',
    )
    with pytest.raises(ValueError, match='is not a mmpretrain MoCoV3 checkpoint'):
        teacher.init_weights()  # read the cached (empty) file in the entry's layout
    missing = PCDTeacher(
        backbone=dict(type='ResNet', depth=18, out_indices=(3,)),
        adaptor=dict(type='SpatialAdaptor', channels=(512, 8)),
        checkpoint='no_such_teacher',
    )
    with pytest.raises(
        FileNotFoundError, match='does not exist and is not a teacher of the model zoo'
    ):
        missing.init_weights()


def test_name_hashes_count_only_on_openmmlab_and_metafile_hashes_always():
    from mmpcd.hub.cache import expected_sha256

    assert expected_sha256('https://download.openmmlab.com/x/m_20220825-3078723b.pth') == '3078723b'
    # MasKD's token releases reuse their teacher's name (and hash): not the file's own.
    assert (
        expected_sha256(
            'https://github.com/a/b/releases/download/v1/'
            'maskd_retinanet_r101_fpn_2x_coco_20200131-5560aee8.ckpt'
        )
        is None
    )
    assert expected_sha256('https://github.com/x.pth', 'ABCDEF12') == 'abcdef12'


def test_a_config_path_names_its_zoo_model_and_a_new_cache_dir_is_created(tmp_path, no_network):
    """``download_checkpoint.py configs/densecl/<cfg>.py --cache-dir NEWDIR`` (as documented):
    the config is looked up in the zoo, not read as a checkpoint; NEWDIR/sub is created."""
    config = 'configs/densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py'
    cache = tmp_path / 'new' / 'sub'
    with pytest.raises(CheckpointError, match='offline and the checkpoint is not cached') as info:
        get_checkpoint(osp.join(REPO_ROOT, config), cache_dir=str(cache), show_progress=False)
    assert f'copy it to {cache}' in str(info.value) and cache.is_dir()
    assert no_network  # it tried the zoo's URL
