"""The errors of the hub."""


class CheckpointError(RuntimeError):
    """A checkpoint cannot be resolved, fetched, verified or loaded safely."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """A name is neither a file, a URL nor a model of the zoo."""
