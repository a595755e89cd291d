"""What infra knows of the app container is what the app's image and routes say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from facts import app as app_facts
from facts.app import (
    APP_PORT,
    APP_UID,
    CPU_ONLY_MODEL_BACKENDS,
    IMAGE_VARIANTS,
    LIVENESS_PATH,
    MAX_BATCH_SIZE,
    METRICS_PATH,
    MODEL_BACKEND_PRECISIONS,
    READINESS_PATH,
    ModelBackend,
    ModelPrecision,
)

APP_DIR = Path(__file__).resolve().parents[2] / "app"


def test_the_image_listens_on_the_port_and_runs_as_the_uid_infra_expects() -> None:
    dockerfile = (APP_DIR / "Dockerfile").read_text()

    assert re.search(rf"^EXPOSE {APP_PORT}$", dockerfile, re.MULTILINE)
    assert re.search(rf"^USER {APP_UID}:{APP_UID}$", dockerfile, re.MULTILINE)


def test_the_image_builds_each_variant_infra_asks_for() -> None:
    dockerfile = (APP_DIR / "Dockerfile").read_text()

    for variant in IMAGE_VARIANTS:
        assert re.search(rf"^FROM \S+ AS python-{variant}$", dockerfile, re.MULTILINE)
        assert re.search(rf"^FROM python-{variant} AS torch-{variant}$", dockerfile, re.MULTILINE)


def test_the_app_serves_the_health_paths_the_probes_call() -> None:
    sources = "".join(path.read_text() for path in (APP_DIR / "embedding_service").rglob("*.py"))

    assert f'"{LIVENESS_PATH}"' in sources
    assert f'"{READINESS_PATH}"' in sources


def test_the_app_exports_every_series_the_monitoring_and_the_autoscaler_read() -> None:
    metrics = (APP_DIR / "embedding_service" / "metrics.py").read_text()
    sources = "".join(path.read_text() for path in (APP_DIR / "embedding_service").rglob("*.py"))
    series = {name: value for name, value in vars(app_facts).items() if name.endswith("_METRIC")}

    # prometheus_client adds `_total` to a Counter's name itself.
    assert len(series) == 9
    assert [name for name, value in series.items() if f'"{value.removesuffix("_total")}"' not in metrics] == []
    assert f'"{METRICS_PATH}"' in sources


def test_the_default_batch_size_is_the_apps() -> None:
    settings = (APP_DIR / "embedding_service" / "settings.py").read_text()

    assert re.search(rf"max_batch_size: int = Field\(default={MAX_BATCH_SIZE},", settings)


def test_the_model_backends_and_precisions_a_stack_may_choose_are_the_apps() -> None:
    from embedding_service.backends import BACKEND_PRECISIONS, CPU_ONLY_BACKENDS, PRECISIONS
    from embedding_service.settings import Settings

    assert MODEL_BACKEND_PRECISIONS == BACKEND_PRECISIONS
    assert CPU_ONLY_MODEL_BACKENDS == CPU_ONLY_BACKENDS
    assert set(get_args(ModelPrecision)) == {"auto", *PRECISIONS}
    assert set(get_args(ModelBackend)) == set(get_args(Settings.model_fields["model_backend"].annotation))
