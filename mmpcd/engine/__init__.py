"""Training-time components: runners, hooks and optimizers."""

from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .runners import *  # noqa: F401,F403
