"""schemathesis against the live service, from the document it serves, with every check.

Positive and negative cases for each operation: no 5xx, no status the document does not declare, no
response that breaks its schema, no invalid request accepted. Bounded in examples so that the suite
stays quick on two CPUs.
"""

from collections.abc import Iterator

import pytest
import schemathesis
from embedding_service.model import EmbeddingModel
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from .servers import make_settings, run_live_server

KEY = "schemathesis-key"
EXAMPLES_PER_OPERATION = 30
# The one rule a schema cannot state: /v1/usage's start must not be after its end (a 400 naming `start`).
CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-path": "/v1/usage",
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "429"]}
                },
            }
        ]
    }
)


@pytest.fixture(scope="module")
def live_schema(embedding_model: EmbeddingModel) -> Iterator[schemathesis.BaseSchema]:
    service_settings = make_settings(
        api_keys=[KEY],
        admin_api_keys=[KEY],
        rate_limit="",
        max_inputs_per_request=4,
        max_input_chars=64,
        max_body_bytes=16 * 1024,
    )
    with run_live_server(service_settings, lambda _settings: embedding_model) as server:
        schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi.json", config=CONFIG)
        schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
        yield schema


def credentials_for(case: schemathesis.Case) -> dict[str, str]:
    """The valid key, unless this case's headers are the invalid part: then the case's own (missing or malformed).

    Putting the key over a case whose invalid part was its Authorization header would send a valid request that
    schemathesis still counts as invalid, and a 200 to it as an accepted invalid request.
    """
    headers = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if headers is not None and headers.mode == GenerationMode.NEGATIVE:
        return {}
    return {"Authorization": f"Bearer {KEY}"}


# schemathesis' own pytest loader does not run under this pytest; each operation's strategy is driven with
# hypothesis here instead, which is what that loader does.
def test_the_service_keeps_the_contract_it_declares(live_schema: schemathesis.BaseSchema):
    failures: list[str] = []
    operations = [result.ok() for result in live_schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
            def check(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=credentials_for(case))

            try:
                check()
            except Unsatisfiable:
                # An operation without parameters or body has no invalid request to make.
                assert mode == GenerationMode.NEGATIVE, operation.label
                assert not operation.definition.raw.get("parameters") and not operation.body, operation.label
            except Exception as error:  # every operation is tried; all failures are reported
                failures.append(f"{operation.label} ({mode}): {error}")

    assert len(operations) == 7
    assert failures == []
