"""Timing and peak-memory measurement shared by the benchmark scripts in tools/analysis_tools.

Speed and memory targets are checked by running the candidate and a reference in the same
process run and printing ratios, never by timed unit tests.
"""

import statistics
import time
from typing import Callable, List

import torch


def synchronize(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def call_times(
    call: Callable[[], object], repeat: int, device: str = 'cpu', clock: str = 'wall'
) -> List[float]:
    """Seconds of ``repeat`` calls after one warm-up call.

    ``clock='cpu'`` counts the process's CPU time instead of wall time: with one thread, the
    compute time of a call whatever other jobs share the machine (CPU device only).
    """
    timer = time.process_time if clock == 'cpu' else time.perf_counter
    call()
    times = []
    for _ in range(repeat):
        synchronize(device)
        start = timer()
        call()
        synchronize(device)
        times.append(timer() - start)
    return times


def median_time(
    call: Callable[[], object], repeat: int, device: str = 'cpu', clock: str = 'wall'
) -> float:
    """Median seconds of ``repeat`` calls after one warm-up call."""
    return statistics.median(call_times(call, repeat, device, clock))


def _proc_status_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def peak_extra_memory(call: Callable[[], object], device: str = 'cpu') -> int:
    """Bytes one call needs beyond what is allocated before it.

    CUDA: ``torch.cuda.max_memory_allocated``. CPU: peak resident set size (``VmHWM``, reset
    through ``/proc/self/clear_refs``) minus the resident size before the call; Linux only.
    Run CPU measurements in a fresh process so earlier allocations cached by the allocator do
    not hide the call's own peak.
    """
    if device == 'cuda':
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        call()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - before
    before = _proc_status_kib('VmRSS')
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # resets VmHWM (peak RSS) to the current RSS
    call()
    return (_proc_status_kib('VmHWM') - before) * 1024
