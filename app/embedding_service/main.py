"""`embedding_service.main:app` for uvicorn, built from the environment on first use; and the factory."""

from fastapi import FastAPI

from embedding_service.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> FastAPI:
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
