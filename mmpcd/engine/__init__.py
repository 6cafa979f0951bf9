"""Training-time components: runners, hooks and optimizers."""
from .runners import *  # noqa: F401,F403
