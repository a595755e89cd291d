"""Readiness from what the runtime reports: the model gates it; Redis only when the rate limit fails closed."""

from embedding_service.model import DeviceInfo
from embedding_service.readiness import DatabaseState, ModelState, RedisState, readiness

LOADED = ModelState("m", DeviceInfo("cpu", "onnx", "fp32", None, None, None), None)
DATABASE_UP = DatabaseState("postgresql", True, 0, None)


def test_a_loaded_model_with_everything_up_is_ready_and_names_backend_and_precision():
    result = readiness(LOADED, RedisState(True, None), DATABASE_UP, rate_limited=True, rate_limit_fail_open=True)

    assert result.ready
    assert result.report["status"] == "ok"
    model = result.report["checks"]["model"]  # type: ignore[index]
    assert (model["backend"], model["precision"], model["device"]) == ("onnx", "fp32", "cpu")


def test_a_loading_or_failed_model_is_not_ready():
    loading = readiness(ModelState("m", None, None), None, DATABASE_UP, rate_limited=False, rate_limit_fail_open=True)
    failed = readiness(ModelState("m", None, "boom"), None, DATABASE_UP, rate_limited=False, rate_limit_fail_open=True)

    assert (loading.ready, loading.report["checks"]["model"]["status"]) == (False, "loading")  # type: ignore[index]
    assert (failed.ready, failed.report["checks"]["model"]["error"]) == (False, "boom")  # type: ignore[index]


def test_redis_down_degrades_when_failing_open_and_stops_readiness_when_failing_closed():
    down = RedisState(False, "ConnectionError")

    open_ = readiness(LOADED, down, DATABASE_UP, rate_limited=True, rate_limit_fail_open=True)
    closed = readiness(LOADED, down, DATABASE_UP, rate_limited=True, rate_limit_fail_open=False)
    unlimited = readiness(LOADED, down, DATABASE_UP, rate_limited=False, rate_limit_fail_open=False)

    assert (open_.ready, open_.report["status"]) == (True, "degraded")
    assert (closed.ready, closed.report["status"]) == (False, "unavailable")
    assert unlimited.ready


def test_the_database_down_degrades_but_keeps_the_instance_serving():
    result = readiness(
        LOADED,
        None,
        DatabaseState("postgresql", False, 12, "OperationalError"),
        rate_limited=False,
        rate_limit_fail_open=True,
    )

    assert (result.ready, result.report["status"]) == (True, "degraded")
    assert result.report["checks"]["database"]["pending_rows"] == 12  # type: ignore[index]
