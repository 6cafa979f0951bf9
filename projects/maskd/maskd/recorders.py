"""Forward-hook recorders: what a sub-module returned (or received) during a forward pass.

The mmrazor 1.x ``ModuleOutputsRecorder`` / ``ModuleInputsRecorder`` idea, reduced to what
MasKD needs: a recorder collects one entry per call of its module while its context is open.
"""

from typing import Any, List

import torch.nn as nn


def get_submodule(model: nn.Module, path: str) -> nn.Module:
    """``model.<path>`` with a clear error naming the missing part."""
    try:
        return model.get_submodule(path)
    except AttributeError as err:
        raise ValueError(
            f'{type(model).__name__} has no sub-module {path!r} to record ({err}).'
        ) from None


class ModuleRecorder:
    """Record the outputs (or positional inputs) of ``model.<source>`` per call.

    Use as a context manager; ``data`` holds one entry per call made inside the last
    context (a tuple of positional inputs with ``inputs=True``).

    Args:
        model: Model containing the module.
        source: Dotted path of the module, e.g. ``'neck'`` or ``'decode_head.conv_seg'``.
        inputs: Record the positional inputs instead of the outputs.
    """

    def __init__(self, model: nn.Module, source: str, inputs: bool = False) -> None:
        self.module = get_submodule(model, source)
        self.source = source
        self.inputs = inputs
        self.data: List[Any] = []
        self._handle = None

    def _hook(self, module: nn.Module, args: tuple, output: Any) -> None:
        self.data.append(args if self.inputs else output)

    def __enter__(self) -> 'ModuleRecorder':
        self.data = []
        self._handle = self.module.register_forward_hook(self._hook)
        return self

    def __exit__(self, *exc) -> None:
        self._handle.remove()
        self._handle = None

    def get(self, index: int = 0) -> Any:
        """The ``index``-th recorded call."""
        if index >= len(self.data):
            raise RuntimeError(
                f'{self.source!r} was called {len(self.data)} time(s) during '
                f'the forward pass; call {index} was requested.'
            )
        return self.data[index]
