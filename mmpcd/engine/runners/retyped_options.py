"""``--cfg-options`` that replace a ``type``, e.g. ``train_dataloader.dataset.type=CustomDataset``
or ``optim_wrapper.type=OptimWrapper``.

A command line can set keys but not delete them, so the keys a config gave its own type would
reach the new one: mmpretrain's ``ImageNet`` ``split`` (which ``CustomDataset`` does not take;
the ImageNet bases keep it because only ``ImageNet`` itself can tell, under the final
``data_root``, whether ``meta/train.txt`` exists) and ``AmpOptimWrapper``'s ``loss_scale`` and
``dtype``. After the merge those keys are dropped where the new type's constructor does not
take them, one logged line each. A key set on the same command line is kept.
"""

import inspect
import logging
from typing import Any, Dict, Iterable, Optional, Tuple

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import Registry

from mmpcd.registry import DATASETS, OPTIM_WRAPPERS

# Node name (the last part of its path) -> (registry of its types, keys only some types take).
TYPE_OWN_KEYS: Dict[str, Tuple[Registry, Tuple[str, ...]]] = {
    'dataset': (DATASETS, ('split',)),
    'optim_wrapper': (OPTIM_WRAPPERS, ('loss_scale', 'dtype')),
}


def takes_keyword(obj: Any, key: str) -> bool:
    """Whether the class (or function) ``obj`` accepts the keyword ``key``, following
    ``**kwargs`` up its bases; ``True`` where that cannot be told."""
    if not inspect.isclass(obj):
        params = inspect.signature(obj).parameters
        return key in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
    for cls in obj.__mro__:
        if cls is object or '__init__' not in vars(cls):
            continue
        params = inspect.signature(cls.__init__).parameters
        if key in params:
            return True
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return False
    return True


def drop_keys_the_type_lacks(cfg: Config, path: str, keep: Iterable[str] = ()) -> None:
    """Drop from the node at ``path`` (``'train_dataloader.dataset'``) the keys of
    :data:`TYPE_OWN_KEYS` that its ``type`` does not take, except those in ``keep``."""
    name = path.rsplit('.', 1)[-1]
    node = _node(cfg, path)
    if name not in TYPE_OWN_KEYS or node is None or not isinstance(node.get('type'), str):
        return
    registry, own_keys = TYPE_OWN_KEYS[name]
    obj = registry.get(node.type)
    if obj is None:  # unknown here: the build names it
        return
    for key in own_keys:
        if key in node and key not in keep and not takes_keyword(obj, key):
            value = node.pop(key)
            print_log(
                f'[mmpcd] {path}.type={node.type}: dropped {path}.{key}={value!r} of the '
                f"config's type, which {node.type} does not take.",
                logger='current',
                level=logging.WARNING,
            )


def merge_cfg_options(cfg: Config, options: Dict[str, Any]) -> None:
    """``cfg.merge_from_dict(options)``, then, for every ``<path>.type`` among ``options``,
    :func:`drop_keys_the_type_lacks` (keys given in ``options`` are kept)."""
    cfg.merge_from_dict(options)
    for option in options:
        if option.endswith('.type'):
            path = option[: -len('.type')]
            keep = {k[len(path) + 1 :] for k in options if k.startswith(path + '.')}
            drop_keys_the_type_lacks(cfg, path, keep)


def _node(cfg: Config, path: str) -> Optional[dict]:
    node: Any = cfg
    for part in path.split('.'):
        if isinstance(node, (Config, dict)):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node if isinstance(node, dict) else None
