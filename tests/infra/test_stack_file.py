"""Stack files read as the Pulumi CLI reads them: secure values stay secret, objects reach the program as JSON."""

from __future__ import annotations

import json

from infra.stack_file import read_stack_file


def test_secure_values_become_secret_placeholders(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: inference\n")
    (tmp_path / "Pulumi.s.yaml").write_text(
        "config:\n  gcp:project: my-project\n  gcp:accessToken:\n    secure: v1:c2VjcmV0Y2lwaGVydGV4dA==\n"
    )
    project, config, secret_keys = read_stack_file("s", tmp_path)
    assert project == "inference"
    assert config["gcp:accessToken"] == "[secure value of gcp:accessToken]"
    assert "v1:c2VjcmV0Y2lwaGVydGV4dA==" not in json.dumps(config)
    assert secret_keys == {"gcp:accessToken"}


def test_object_values_reach_the_program_as_json_strings_like_the_engine_sends_them(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: inference\n")
    (tmp_path / "Pulumi.o.yaml").write_text("config:\n  inference:service: {cpu: 4}\n  maxRetries: 3\n")
    _project, config, _secret_keys = read_stack_file("o", tmp_path)
    assert config["inference:service"] == '{"cpu": 4}'
    assert config["inference:maxRetries"] == "3", "keys without a namespace belong to the project"
