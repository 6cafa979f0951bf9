"""``register_all_modules``: import every mmpcd module that registers something."""

import datetime
import warnings

from mmengine import DefaultScope
from mmpretrain.utils import register_all_modules as register_mmpretrain_modules


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register mmpcd's modules into its registries.

    Args:
        init_default_scope: Also make ``'mmpcd'`` the current default scope so that
            un-prefixed ``type=...`` names resolve in mmpcd's registries (and through them in
            mmpretrain's and mmengine's). Defaults to True.
    """
    # mmpcd's registries are children of mmpretrain's: fill the parents too.
    register_mmpretrain_modules(init_default_scope=False)
    import mmpcd.datasets  # noqa: F401,F811
    import mmpcd.engine  # noqa: F401,F811
    import mmpcd.evaluation  # noqa: F401,F811
    import mmpcd.models  # noqa: F401,F811

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('mmpcd', scope_name='mmpcd')
    elif current.scope_name != 'mmpcd':
        warnings.warn(
            f'The current default scope "{current.scope_name}" is not '
            '"mmpcd"; `register_all_modules` will force the current '
            'default scope to be "mmpcd". If this is not expected, '
            'please set `init_default_scope=False`.'
        )
        # A scope instance name must be unique; the timestamp makes it so.
        new_instance_name = f'mmpcd-{datetime.datetime.now()}'
        DefaultScope.get_instance(new_instance_name, scope_name='mmpcd')
