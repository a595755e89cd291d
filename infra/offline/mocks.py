"""The provider stand-ins: deterministic values for what the cloud would compute and the program reads back.

IP addresses, connection names, the image digest, the service URL: each derived from the resource's name, so the
plan is the same on every run.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks

from facts import types
from facts.gcp import REDIS_TLS_PORT


def fake_ip(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return f"10.{digest[0] % 200 + 20}.{digest[1]}.{digest[2] % 250 + 2}"


def fake_hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


COMPUTE_COLLECTIONS = {
    types.SECURITY_POLICY: "securityPolicies",
    types.MANAGED_SSL_CERTIFICATE: "sslCertificates",
    types.SSL_POLICY: "sslPolicies",
}
FAKE_CA_CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIoffline-plan-placeholder\n-----END CERTIFICATE-----\n"


def computed_outputs(resource_type: str, name: str, inputs: dict[str, Any], project: str) -> dict[str, Any]:
    """The outputs the provider would compute that the program reads back: deterministic stand-ins."""
    region = inputs.get("region") or inputs.get("location") or "us-central1"
    match resource_type:
        case types.SQL_INSTANCE:
            instance = inputs.get("name", name)
            return {
                "name": instance,
                "connectionName": f"{project}:{region}:{instance}",
                "privateIpAddress": fake_ip(name),
                "selfLink": f"https://sqladmin.googleapis.com/sql/v1beta4/projects/{project}/instances/{instance}",
            }
        case types.REDIS_INSTANCE:
            return {
                "host": fake_ip(name),
                "port": REDIS_TLS_PORT if inputs.get("transitEncryptionMode") == "SERVER_AUTHENTICATION" else 6379,
                "authString": f"offline-auth-{fake_hex(name, 16)}",
                "serverCaCerts": [{"cert": FAKE_CA_CERTIFICATE}],
            }
        case types.SERVICE_ACCOUNT:
            account_id = inputs.get("accountId", name)
            email = f"{account_id}@{project}.iam.gserviceaccount.com"
            return {
                "email": email,
                "member": f"serviceAccount:{email}",
                "name": f"projects/{project}/{email}",
            }
        case types.ARTIFACT_REGISTRY_REPOSITORY:
            return {"name": inputs.get("repositoryId", name)}
        case types.DOCKER_IMAGE:
            image_name = inputs.get("imageName", name)
            return {"repoDigest": f"{image_name.split(':')[0]}@sha256:{fake_hex(image_name, 64)}"}
        case types.CLOUD_RUN_SERVICE:
            service = inputs.get("name", name)
            return {"name": service, "uri": f"https://{service}-{fake_hex(service, 10)}-uc.a.run.app"}
        case types.GKE_CLUSTER:
            endpoints = inputs.get("controlPlaneEndpointsConfig") or {}
            dns_endpoint = {
                **endpoints.get("dnsEndpointConfig", {}),
                "endpoint": f"gke-{fake_hex(name, 32)}-123456789012.{region}.gke.goog",
            }
            return {
                "endpoint": fake_ip(name),
                "controlPlaneEndpointsConfig": {**endpoints, "dnsEndpointConfig": dns_endpoint},
                "masterAuth": {"clusterCaCertificate": "b2ZmbGluZS1wbGFuLWNh"},
                "name": inputs.get("name", name),
            }
        case types.VPC_NETWORK | types.SUBNETWORK | types.ROUTER:
            kind = resource_type.rsplit(":", 1)[1].lower() + "s"
            resource_name = inputs.get("name", name)
            return {
                "name": resource_name,
                "selfLink": f"https://www.googleapis.com/compute/v1/projects/{project}/global/{kind}/{resource_name}",
            }
        case types.GLOBAL_ADDRESS:
            # An external address gets one of TEST-NET-3 (RFC 5737), which no real address is.
            fallback = (
                f"203.0.113.{int(fake_hex(name, 2), 16) % 254 + 1}"
                if inputs.get("addressType") == "EXTERNAL"
                else "10.100.0.0"
            )
            return {"name": inputs.get("name", name), "address": inputs.get("address", fallback)}
        case types.SECURITY_POLICY | types.MANAGED_SSL_CERTIFICATE | types.SSL_POLICY:
            # A Gateway's policies and listener name these by their Compute Engine name; a load balancer built
            # from Compute Engine resources refers to them by id.
            resource_name = inputs.get("name", name)
            return {
                "name": resource_name,
                "id": f"projects/{project}/global/{COMPUTE_COLLECTIONS[resource_type]}/{resource_name}",
            }
        case types.SECRET:
            return {"name": f"projects/{project}/secrets/{inputs.get('secretId', name)}"}
        case types.SECRET_VERSION:
            return {"version": "1", "name": f"{inputs.get('secret', name)}/versions/1"}
        case types.MONITORING_NOTIFICATION_CHANNEL:
            return {"name": f"projects/{project}/notificationChannels/{int(fake_hex(name, 12), 16)}"}
        case types.MONITORING_GENERIC_SERVICE | types.MONITORING_CUSTOM_SERVICE:
            return {"name": f"projects/{project}/services/{inputs.get('serviceId', name)}"}
        case types.MONITORING_SLO:
            slo_id = inputs.get("sloId", name)
            return {"name": f"projects/{project}/services/{inputs.get('service')}/serviceLevelObjectives/{slo_id}"}
        case types.MONITORING_UPTIME_CHECK:
            return {"uptimeCheckId": f"{name}-{fake_hex(name, 8)}"}
        case types.MONITORING_DASHBOARD:
            return {"id": f"projects/{project}/dashboards/{fake_hex(name, 16)}"}
        case types.RANDOM_PASSWORD:
            return {"result": f"offline-{fake_hex(name, int(inputs.get('length', 32)))}"}
        case _:
            return {}


class DeterministicMocks(pulumi_mocks.Mocks):
    def __init__(self, project: str) -> None:
        self.project = project

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = computed_outputs(args.typ, args.name, args.inputs, self.project)
        resource_id = outputs.pop("id", None) or outputs.get("name") or f"{args.name}-id"
        return str(resource_id), {**args.inputs, **outputs}

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        if args.token == "gcp:organizations/getClientConfig:getClientConfig":
            return {
                "accessToken": "offline-access-token",
                "project": self.project,
                "region": "us-central1",
                "zone": "us-central1-a",
                "id": "offline",
            }
        if args.token == "gcp:organizations/getProject:getProject":
            return {"projectId": self.project, "number": "123456789012", "name": self.project}
        return {}
