"""The routing core: the async shell around the pure sharing decision."""

from hub.routing._router import Router

__all__ = ["Router"]
