"""What infra knows of the app container is what the app's image and routes say."""

from __future__ import annotations

import re
from pathlib import Path

from facts.app import APP_PORT, APP_UID, LIVENESS_PATH, READINESS_PATH

APP_DIR = Path(__file__).resolve().parents[2] / "app"


def test_the_image_listens_on_the_port_and_runs_as_the_uid_infra_expects() -> None:
    dockerfile = (APP_DIR / "Dockerfile").read_text()

    assert re.search(rf"^EXPOSE {APP_PORT}$", dockerfile, re.MULTILINE)
    assert re.search(rf"^USER {APP_UID}:{APP_UID}$", dockerfile, re.MULTILINE)


def test_the_app_serves_the_health_paths_the_probes_call() -> None:
    sources = "".join(path.read_text() for path in (APP_DIR / "embedding_service").rglob("*.py"))

    assert f'"{LIVENESS_PATH}"' in sources
    assert f'"{READINESS_PATH}"' in sources
