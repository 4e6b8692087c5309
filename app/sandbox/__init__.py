"""The local simulator: an ASGI app speaking each provider's API, payment simulation, fault injection.

``create_app()`` for in-process use (``httpx.ASGITransport(app=create_app())``),
``run(host, port)`` / ``python -m app.sandbox`` / ``tillqr sandbox`` for a real server.
See ``server.py`` for the ``/_sandbox/*`` routes and ``jpmorgan.py`` for J.P. Morgan's.
"""

from .core import SandboxState
from .model import ManualClock, Phase
from .server import create_app, run, serve

__all__ = ["create_app", "run", "serve", "ManualClock", "Phase", "SandboxState"]
