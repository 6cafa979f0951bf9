"""MasKD reads its teacher and tokens at the start of training, through mmpcd's verified
download cache, never while the model is built."""

import http.server
import os.path as osp
import threading

import pytest
import torch

from projects.maskd.maskd import MaskModule, save_tokens

from .helpers import DET, DET_KD, build, load_config, params, save_weights


class _LoggingHandler(http.server.SimpleHTTPRequestHandler):
    requests = []

    def do_GET(self):
        type(self).requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def served(tmp_path):
    """A local server (port 0) of a tiny teacher checkpoint and its tokens: their URLs."""
    root = tmp_path / 'served'
    root.mkdir()
    torch.manual_seed(0)
    save_weights(build(load_config(DET).model), root / 'teacher.pth')
    save_tokens(str(root / 'tokens.pth'), torch.nn.ModuleList(MaskModule(32, 6) for _ in range(5)))
    _LoggingHandler.requests = []
    handler = lambda *a, **k: _LoggingHandler(*a, directory=str(root), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f'http://127.0.0.1:{httpd.server_address[1]}'
    yield dict(root=root, teacher=f'{url}/teacher.pth', tokens=f'{url}/tokens.pth')
    httpd.shutdown()


def test_teacher_and_tokens_are_fetched_into_the_cache_when_training_starts(
    served, tmp_path, monkeypatch
):
    cache = tmp_path / 'cache'
    monkeypatch.setenv('MMPCD_CACHE_DIR', str(cache))
    cfg = load_config(DET_KD)
    cfg.model.teacher_ckpt, cfg.model.maskd_loss.tokens = served['teacher'], served['tokens']
    model = build(cfg.model)
    assert _LoggingHandler.requests == []  # building fetched nothing
    model.init_weights()  # what the runner calls when training starts
    assert sorted(_LoggingHandler.requests) == ['/teacher.pth', '/tokens.pth']
    for name in ('teacher.pth', 'tokens.pth'):  # verified and recorded in mmpcd's cache
        assert osp.isfile(cache / 'checkpoints' / name)
        assert osp.isfile(cache / 'checkpoints' / (name + '.sha256'))
    reference = torch.load(served['root'] / 'teacher.pth', weights_only=True)['state_dict']
    torch.testing.assert_close(
        params(model.teacher), {k: v for k, v in reference.items() if k in params(model.teacher)}
    )
    assert len(model.loss_maskd.mask_modules) == 5
    model.init_weights()  # a second call (resume) reads nothing again
    assert len(_LoggingHandler.requests) == 2


def test_a_tiny_config_without_a_teacher_says_which_option_to_set():
    model = build(load_config(DET_KD).model)
    with pytest.raises(ValueError, match='model.teacher_ckpt is not set'):
        model.init_weights()
