"""mlpkg: topic tagging and extractive summaries for Indonesian news."""

__version__ = "0.1.0"
__all__ = ["register"]


def __getattr__(name: str):
    # ``mlpkg.register`` (mlpkg.core.registry.register) loads on use: ``import mlpkg`` and ``mlpkg --help`` stay light
    if name == "register":
        from .core.registry import register

        return register
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
