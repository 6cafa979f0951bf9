"""mmpcd's registries: children of mmpretrain's, so mmpretrain's components resolve in the
``mmpcd`` scope while mmpcd's own stay private to it.

``type='ResNet'`` inside the ``mmpcd`` scope finds mmpretrain's ``ResNet`` through the parent,
mmengine's components (``OptimWrapper``, ``CosineAnnealingLR``, ...) through the grand-parent;
mmdet and mmseg components are siblings and need their prefix (``type='mmdet.FPN'``).

Each registry's ``locations`` also names mmpretrain's matching package: a lookup imports the
locations of the registry it starts from, not those of its parents, so without it
``type='ResNet'`` would only resolve after something else happened to import mmpretrain.models.
"""

from mmengine.registry import Registry
from mmpretrain.registry import DATA_SAMPLERS as MMPRETRAIN_DATA_SAMPLERS
from mmpretrain.registry import DATASETS as MMPRETRAIN_DATASETS
from mmpretrain.registry import EVALUATORS as MMPRETRAIN_EVALUATORS
from mmpretrain.registry import HOOKS as MMPRETRAIN_HOOKS
from mmpretrain.registry import LOG_PROCESSORS as MMPRETRAIN_LOG_PROCESSORS
from mmpretrain.registry import LOOPS as MMPRETRAIN_LOOPS
from mmpretrain.registry import METRICS as MMPRETRAIN_METRICS
from mmpretrain.registry import MODEL_WRAPPERS as MMPRETRAIN_MODEL_WRAPPERS
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmpretrain.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMPRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS
from mmpretrain.registry import OPTIM_WRAPPERS as MMPRETRAIN_OPTIM_WRAPPERS
from mmpretrain.registry import OPTIMIZERS as MMPRETRAIN_OPTIMIZERS
from mmpretrain.registry import PARAM_SCHEDULERS as MMPRETRAIN_PARAM_SCHEDULERS
from mmpretrain.registry import RUNNER_CONSTRUCTORS as MMPRETRAIN_RUNNER_CONSTRUCTORS
from mmpretrain.registry import RUNNERS as MMPRETRAIN_RUNNERS
from mmpretrain.registry import TASK_UTILS as MMPRETRAIN_TASK_UTILS
from mmpretrain.registry import TRANSFORMS as MMPRETRAIN_TRANSFORMS
from mmpretrain.registry import VISBACKENDS as MMPRETRAIN_VISBACKENDS
from mmpretrain.registry import VISUALIZERS as MMPRETRAIN_VISUALIZERS
from mmpretrain.registry import WEIGHT_INITIALIZERS as MMPRETRAIN_WEIGHT_INITIALIZERS

__all__ = [
    'RUNNERS',
    'RUNNER_CONSTRUCTORS',
    'LOOPS',
    'HOOKS',
    'LOG_PROCESSORS',
    'OPTIMIZERS',
    'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS',
    'DATASETS',
    'DATA_SAMPLERS',
    'TRANSFORMS',
    'MODELS',
    'MODEL_WRAPPERS',
    'WEIGHT_INITIALIZERS',
    'TASK_UTILS',
    'METRICS',
    'EVALUATORS',
    'VISUALIZERS',
    'VISBACKENDS',
]

# Training loop
RUNNERS = Registry(
    'runner', parent=MMPRETRAIN_RUNNERS, locations=['mmpcd.engine', 'mmpretrain.engine']
)
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor',
    parent=MMPRETRAIN_RUNNER_CONSTRUCTORS,
    locations=['mmpcd.engine', 'mmpretrain.engine'],
)
LOOPS = Registry('loop', parent=MMPRETRAIN_LOOPS, locations=['mmpcd.engine', 'mmpretrain.engine'])
HOOKS = Registry('hook', parent=MMPRETRAIN_HOOKS, locations=['mmpcd.engine', 'mmpretrain.engine'])
LOG_PROCESSORS = Registry(
    'log processor',
    parent=MMPRETRAIN_LOG_PROCESSORS,
    locations=['mmpcd.engine', 'mmpretrain.engine'],
)
OPTIMIZERS = Registry(
    'optimizer', parent=MMPRETRAIN_OPTIMIZERS, locations=['mmpcd.engine', 'mmpretrain.engine']
)
OPTIM_WRAPPERS = Registry(
    'optimizer wrapper',
    parent=MMPRETRAIN_OPTIM_WRAPPERS,
    locations=['mmpcd.engine', 'mmpretrain.engine'],
)
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMPRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmpcd.engine', 'mmpretrain.engine'],
)
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMPRETRAIN_PARAM_SCHEDULERS,
    locations=['mmpcd.engine', 'mmpretrain.engine'],
)

# Data
DATASETS = Registry(
    'dataset', parent=MMPRETRAIN_DATASETS, locations=['mmpcd.datasets', 'mmpretrain.datasets']
)
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMPRETRAIN_DATA_SAMPLERS,
    locations=['mmpcd.datasets', 'mmpretrain.datasets'],
)
TRANSFORMS = Registry(
    'transform', parent=MMPRETRAIN_TRANSFORMS, locations=['mmpcd.datasets', 'mmpretrain.datasets']
)

# Models
MODELS = Registry(
    'model', parent=MMPRETRAIN_MODELS, locations=['mmpcd.models', 'mmpretrain.models']
)
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMPRETRAIN_MODEL_WRAPPERS,
    locations=['mmpcd.models', 'mmpretrain.models'],
)
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMPRETRAIN_WEIGHT_INITIALIZERS,
    locations=['mmpcd.models', 'mmpretrain.models'],
)
TASK_UTILS = Registry(
    'task util', parent=MMPRETRAIN_TASK_UTILS, locations=['mmpcd.models', 'mmpretrain.models']
)

# Evaluation
METRICS = Registry(
    'metric', parent=MMPRETRAIN_METRICS, locations=['mmpcd.evaluation', 'mmpretrain.evaluation']
)
EVALUATORS = Registry(
    'evaluator',
    parent=MMPRETRAIN_EVALUATORS,
    locations=['mmpcd.evaluation', 'mmpretrain.evaluation'],
)

# Visualisation
VISUALIZERS = Registry(
    'visualizer',
    parent=MMPRETRAIN_VISUALIZERS,
    locations=['mmpcd.visualization', 'mmpretrain.visualization'],
)
VISBACKENDS = Registry(
    'vis_backend',
    parent=MMPRETRAIN_VISBACKENDS,
    locations=['mmpcd.visualization', 'mmpretrain.visualization'],
)
