"""The errors a user reads. Each is raised with a message meant for the person using the app and
caught at the edge (one column, one upload, one start-up); anything else is a bug and is logged."""


class PipelineError(RuntimeError):
    """A failure the user should read (missing adapter, hub unreachable...), shown in one column."""


class ConfigError(ValueError):
    """An APP_* variable holds a value the app cannot use; the message names it."""


class DocumentError(ValueError):
    """An uploaded document cannot be used; the message says why, for the user."""
