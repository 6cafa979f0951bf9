"""A preloaded ``tools/train.py``: one process imports the OpenMMLab stack once and forks a
fresh child for every training the dense benchmark runs.

Why: a new ``python tools/train.py`` spends about 11 CPU seconds importing torch, mmengine,
mmpretrain, mmdet, mmseg and mmpcd before its first iteration; the full benchmark starts 56
trainings, so the imports alone cost 10 of its CPU minutes (``docs/en/dense_bench.md``). A
forked child starts with those modules loaded and otherwise runs exactly ``tools/train.py``'s
``main()``: its own process, arguments, environment and output file, nothing shared with the
other trainings (each is a copy of the server as it was after the imports).

With ``--pregenerate JSON`` (a list of :func:`mmpcd.datasets.pregenerate` arguments) the server
also generates those synthetic images before it forks: every pre-training of the benchmark reads
the same 3200, which each would otherwise generate again (about 4 of its 121 CPU minutes).

The server reads one JSON request per line on stdin, ``{"id", "argv", "out", "env"}``, and
answers one JSON line per finished training on stdout, ``{"id", "returncode", "cpu_seconds"}``
(user + system time of the child and its waited-for children, from ``wait4``). It ends when
stdin closes, after its running trainings finish. ``TrainServer`` is the client.
"""

import argparse
import json
import os
import os.path as osp
import selectors
import subprocess
import sys
import threading
import traceback
from typing import Dict, List, Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRAIN_SCRIPT = osp.join(REPO, 'tools', 'train.py')


# ------------------------------------------------------------------------------ the server
def _preload():
    """Import ``tools/train.py`` and every module a training of the benchmark would import;
    returns the train script as a module. Runs no tensor computation: forking after an
    OpenMP parallel region could hang the children."""
    import importlib.util

    spec = importlib.util.spec_from_file_location('mmpcd_train_script', TRAIN_SCRIPT)
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    import mmdet.utils
    import mmpretrain.utils
    import mmseg.utils

    for package in (mmpretrain, mmdet, mmseg):
        package.utils.register_all_modules(init_default_scope=False)
    train.register_all_modules(init_default_scope=False)
    import projects.maskd.maskd  # noqa: F401  (the MasKD configs' custom_imports)

    return train


def _run_child(train, request: dict, protocol_fds: List[int]) -> None:
    """In the forked child: become ``python tools/train.py *argv`` writing to ``out``."""
    code = 1
    try:
        for fd in protocol_fds:
            os.close(fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        out = os.open(request['out'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        sys.stdout.reconfigure(line_buffering=True)
        sys.stderr.reconfigure(line_buffering=True)
        os.environ.update(request.get('env', {}))
        os.chdir(REPO)
        sys.argv = [TRAIN_SCRIPT, *request['argv']]
        train.main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        if not isinstance(exit_.code, (int, type(None))):
            print(exit_.code, file=sys.stderr)
    except BaseException:  # noqa: B036  (everything is reported, and the child exits)
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # never return into the server's loop


def serve(pregenerated: List[dict]) -> None:
    """The server's loop: fork a child per request, report each when it ends.

    Args:
        pregenerated: :func:`mmpcd.datasets.pregenerate` arguments, generated before the
            first fork.
    """
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    os.environ.setdefault('MKL_NUM_THREADS', '1')
    # The protocol keeps the real stdout; anything the imports print goes to stderr.
    protocol_out = os.fdopen(os.dup(1), 'w', buffering=1)
    os.dup2(2, 1)
    train = _preload()
    from mmpcd.datasets import pregenerate

    for images in pregenerated:
        pregenerate(**images)
    protocol_fds = [0, protocol_out.fileno()]
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ, 'request')
    children: Dict[int, tuple] = {}  # pid -> (request id, pidfd)
    pending = b''  # bytes of a request line not complete yet
    reading = True
    while reading or children:
        for key, _ in selector.select():
            if key.data == 'request':
                chunk = os.read(0, 1 << 16)  # not sys.stdin: its buffer would hide lines
                if not chunk:
                    selector.unregister(0)
                    reading = False
                    continue
                *lines, pending = (pending + chunk).split(b'\n')
                for line in lines:
                    request = json.loads(line)
                    pid = os.fork()
                    if pid == 0:
                        _run_child(train, request, protocol_fds)
                    pidfd = os.pidfd_open(pid)  # readable once the child has exited
                    selector.register(pidfd, selectors.EVENT_READ, pid)
                    children[pid] = (request['id'], pidfd)
            else:
                pid = key.data
                request_id, pidfd = children.pop(pid)
                selector.unregister(pidfd)
                os.close(pidfd)
                _, status, usage = os.wait4(pid, 0)
                answer = dict(
                    id=request_id,
                    returncode=os.waitstatus_to_exitcode(status),
                    cpu_seconds=usage.ru_utime + usage.ru_stime,
                )
                protocol_out.write(json.dumps(answer) + '\n')


# ------------------------------------------------------------------------------ the client
class TrainServer:
    """Starts the server and runs trainings through it; thread-safe.

    Args:
        env: Environment of the server (and so of every training).
        pregenerated: Synthetic images to generate once, before the first training
            (:func:`mmpcd.datasets.pregenerate` arguments).
    """

    def __init__(
        self, env: Optional[Dict[str, str]] = None, pregenerated: Sequence[dict] = ()
    ) -> None:
        self._process = subprocess.Popen(
            [
                sys.executable,
                osp.abspath(__file__),
                '--pregenerate',
                json.dumps(list(pregenerated)),
            ],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lock = threading.Lock()
        self._next_id = 0
        self._finished: Dict[int, dict] = {}
        self._events: Dict[int, threading.Event] = {}
        self._reader = threading.Thread(target=self._read_answers, daemon=True)
        self._reader.start()

    def _read_answers(self) -> None:
        for line in self._process.stdout:
            answer = json.loads(line)
            with self._lock:
                self._finished[answer['id']] = answer
                self._events[answer['id']].set()
        with self._lock:  # the server is gone: nothing still running will be answered
            for request_id, event in self._events.items():
                self._finished.setdefault(
                    request_id, dict(id=request_id, returncode=None, cpu_seconds=0.0)
                )
                event.set()

    def start(self, argv: List[str], out: str, env: Optional[Dict[str, str]] = None) -> int:
        """Start ``tools/train.py *argv`` with its output in ``out``; returns its id."""
        with self._lock:
            request_id = self._next_id
            self._next_id += 1
            self._events[request_id] = threading.Event()
            request = dict(id=request_id, argv=list(argv), out=out, env=env or {})
            self._process.stdin.write(json.dumps(request) + '\n')
            self._process.stdin.flush()
        return request_id

    def wait(self, request_id: int, timeout: Optional[float] = None) -> Optional[dict]:
        """The answer ``{"returncode", "cpu_seconds"}`` once the training has ended (a
        ``returncode`` of None: the server died), or None if it is still running after
        ``timeout`` seconds."""
        if not self._events[request_id].wait(timeout):
            return None
        with self._lock:
            return self._finished.pop(request_id)

    def close(self) -> None:
        """Let the running trainings finish, then stop the server."""
        self._process.stdin.close()
        self._process.wait()
        self._reader.join()


if __name__ == '__main__':
    sys.path.insert(0, REPO)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--pregenerate',
        type=json.loads,
        default=[],
        help='JSON list of mmpcd.datasets.pregenerate arguments',
    )
    serve(parser.parse_args().pregenerate)
