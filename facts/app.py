"""What infra must know of the app container (app/Dockerfile sets the same; a test keeps them equal)."""

from __future__ import annotations

APP_PORT = 8080
APP_UID = 10001
LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"
