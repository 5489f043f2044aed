"""HTTP adapter: FastAPI app factory, problem details, one router per capability."""

from smartcustoms.http.app import create_app

__all__ = ["create_app"]
