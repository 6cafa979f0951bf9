"""mmpcd.hub's verified download cache against a local HTTP server (127.0.0.1, port 0): web
pages, drops without Content-Length, 404/500, slow servers, tampered cache files and two
processes downloading the same file (issue 13, rows 3 and 4)."""

import hashlib
import http.server
import json
import os
import os.path as osp
import subprocess
import sys
import threading
import time

import pytest
import torch

from mmpcd.hub import CheckpointError, fetch, is_intact
from mmpcd.hub.cache import SIDECAR
from tests.conftest import REPO_ROOT


class Server(http.server.ThreadingHTTPServer):
    """Serves ``files`` (name -> bytes) with per-name behaviours; counts the GETs."""

    daemon_threads = True

    def __init__(self):
        super().__init__(('127.0.0.1', 0), Handler)
        self.files = {}
        self.behaviour = {}
        self.gets = {}
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.server_address[1]}'


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        name = self.path.lstrip('/')
        with server.lock:
            server.gets[name] = server.gets.get(name, 0) + 1
        behaviour = server.behaviour.get(name, 'ok')
        if behaviour in ('404', '500'):
            self.send_error(int(behaviour))
            return
        if behaviour == 'html':
            page = b'<!DOCTYPE html><html><body>Please sign in</body></html>'
            self.send_response(200)
            self.send_header('Content-Type', 'text/html; charset=utf-8')
            self.send_header('Content-Length', str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return
        data = server.files[name]
        start = 0
        header = self.headers.get('Range')
        if header and behaviour != 'drop-no-length':
            start = int(header.split('=')[1].rstrip('-'))
            self.send_response(206)
            self.send_header('Content-Range', f'bytes {start}-{len(data) - 1}/{len(data)}')
        else:
            self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        if behaviour != 'drop-no-length':
            self.send_header('Content-Length', str(len(data) - start))
        self.end_headers()
        body = data[start:]
        if behaviour in ('drop', 'drop-no-length') and server.gets[name] == 1:
            body = body[: len(body) // 2]  # then the connection closes
        if behaviour == 'slow':
            for i in range(0, len(body), 4096):
                self.wfile.write(body[i : i + 4096])
                time.sleep(0.01)
        elif behaviour == 'stall' and server.gets[name] == 1:
            self.wfile.write(body[:100])
            self.wfile.flush()
            time.sleep(3)
        else:
            self.wfile.write(body)


@pytest.fixture
def server():
    httpd = Server()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def checkpoint_bytes(tmp_path, size: int = 50000) -> bytes:
    path = tmp_path / 'src.pth'
    torch.save({'state_dict': {'w': torch.arange(float(size))}}, path)
    return path.read_bytes()


def cache_files(cache) -> list:
    return sorted(os.listdir(cache)) if osp.isdir(cache) else []


def test_a_web_page_is_refused_and_never_cached(server, tmp_path):
    server.behaviour['model.pth'] = 'html'
    cache = tmp_path / 'cache'
    with pytest.raises(CheckpointError) as error:
        fetch(f'{server.url}/model.pth', str(cache), show_progress=False)
    message = str(error.value)
    assert 'is not a checkpoint (got text/html from' in message and 'trust' not in message
    assert not [f for f in cache_files(cache) if f.endswith('.pth')]
    # A later call asks the server again instead of failing on a poisoned cache.
    server.behaviour['model.pth'] = 'ok'
    server.files['model.pth'] = checkpoint_bytes(tmp_path)
    path = fetch(f'{server.url}/model.pth', str(cache), show_progress=False)
    assert torch.load(path, weights_only=True)['state_dict']['w'].numel() == 50000


def test_a_drop_without_content_length_is_not_renamed_into_the_cache(server, tmp_path):
    server.files['model.pth'] = checkpoint_bytes(tmp_path)
    server.behaviour['model.pth'] = 'drop-no-length'
    cache = tmp_path / 'cache'
    with pytest.raises(CheckpointError, match='is not a checkpoint.*truncated'):
        fetch(f'{server.url}/model.pth', str(cache), show_progress=False)
    assert cache_files(cache) == ['model.pth.lock']
    path = fetch(f'{server.url}/model.pth', str(cache), show_progress=False)  # 2nd GET whole
    assert open(path, 'rb').read() == server.files['model.pth']


def test_a_dropped_connection_resumes_with_range(server, tmp_path):
    server.files['model.pth'] = checkpoint_bytes(tmp_path)
    server.behaviour['model.pth'] = 'drop'
    cache = tmp_path / 'cache'
    with pytest.raises(CheckpointError, match='run again to resume'):
        fetch(f'{server.url}/model.pth', str(cache), show_progress=False)
    parts = [f for f in cache_files(cache) if f.endswith('.part')]
    assert len(parts) == 1 and f'.{os.getpid()}-' in parts[0]  # unique to the process
    path = fetch(f'{server.url}/model.pth', str(cache), show_progress=False)
    assert open(path, 'rb').read() == server.files['model.pth']
    assert server.gets['model.pth'] == 2
    assert cache_files(cache) == ['model.pth', 'model.pth.lock', 'model.pth' + SIDECAR]


@pytest.mark.parametrize('code', ['404', '500'])
def test_http_errors_leave_nothing_behind(server, tmp_path, code):
    server.behaviour['model.pth'] = code
    cache = tmp_path / 'cache'
    with pytest.raises(CheckpointError, match=f'HTTP {code}'):
        fetch(f'{server.url}/model.pth', str(cache), show_progress=False)
    assert cache_files(cache) == ['model.pth.lock']


def test_a_stalled_server_times_out_and_the_download_resumes(server, tmp_path):
    server.files['model.pth'] = checkpoint_bytes(tmp_path)
    server.behaviour['model.pth'] = 'stall'
    cache = tmp_path / 'cache'
    with pytest.raises(CheckpointError, match='broke off at 100 of'):
        fetch(f'{server.url}/model.pth', str(cache), show_progress=False, timeout=0.5)
    path = fetch(f'{server.url}/model.pth', str(cache), show_progress=False, timeout=5)
    assert open(path, 'rb').read() == server.files['model.pth']


def test_a_tampered_cached_file_is_downloaded_again(server, tmp_path):
    server.files['model.pth'] = checkpoint_bytes(tmp_path)
    cache = tmp_path / 'cache'
    path = fetch(f'{server.url}/model.pth', str(cache), show_progress=False)
    with open(path + SIDECAR) as file:
        assert file.read().strip() == hashlib.sha256(server.files['model.pth']).hexdigest()
    torch.save({'state_dict': {'w': torch.zeros(3)}}, path)  # swapped behind our back
    assert not is_intact(path)
    again = fetch(f'{server.url}/model.pth', str(cache), show_progress=False)
    assert again == path and open(path, 'rb').read() == server.files['model.pth']
    assert server.gets['model.pth'] == 2


def test_a_wrong_known_sha256_is_refused_before_the_rename(server, tmp_path):
    server.files['model.pth'] = checkpoint_bytes(tmp_path)
    cache = tmp_path / 'cache'
    with pytest.raises(CheckpointError, match='does not match the expected deadbeef'):
        fetch(f'{server.url}/model.pth', str(cache), sha256='deadbeef', show_progress=False)
    assert cache_files(cache) == ['model.pth.lock']


CLIENT = '''
import json, sys
from mmpcd.hub import fetch
try:
    print(json.dumps(dict(path=fetch(sys.argv[1], sys.argv[2], show_progress=False))))
except Exception as error:
    print(json.dumps(dict(error=f'{type(error).__name__}: {error}')))
'''


def test_two_processes_download_once_and_both_get_the_file(server, tmp_path):
    """What 8 ranks of a job do: every one calls fetch; one downloads, the others wait."""
    server.files['model.pth'] = checkpoint_bytes(tmp_path, size=400000)  # ~1.6 MB, slow
    server.behaviour['model.pth'] = 'slow'
    cache = tmp_path / 'cache'
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    clients = [
        subprocess.Popen(
            [sys.executable, '-c', CLIENT, f'{server.url}/model.pth', str(cache)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO_ROOT,
        )
        for _ in range(2)
    ]
    results = [
        json.loads(client.communicate(timeout=300)[0].strip().splitlines()[-1])
        for client in clients
    ]
    assert all('error' not in result for result in results), results
    assert results[0]['path'] == results[1]['path'] == str(cache / 'model.pth')
    assert server.gets['model.pth'] == 1
    assert open(cache / 'model.pth', 'rb').read() == server.files['model.pth']
    assert not [f for f in cache_files(cache) if f.endswith('.part')]
