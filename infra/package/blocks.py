"""The building blocks: components whose Args a schema can express, each behind a thin component of the package's
own type (`inference:index:<Name>`) that turns its args into the component's Args and registers the component,
under the same name, as its child.

No `from __future__ import annotations` here: the schema analyzer reads the annotations at run time.
"""

import dataclasses
import typing
from typing import Any

import pulumi
import pulumi_gcp

from components import cache, database, network, secrets
from infra.package import PACKAGE_NAME, block_args


def args_of(args_type: type[Any], given: typing.Mapping[str, Any]) -> Any:
    """The component's Args dataclass from the provider's args (same field names), nested Args included; the
    dataclass checks its fields as it does for the composition."""
    hints = typing.get_type_hints(args_type, localns={"Output": pulumi.Output, "T": Any})
    values = {}
    for field in dataclasses.fields(args_type):
        if field.name not in given:
            continue
        value, field_type = given[field.name], hints[field.name]
        nested = isinstance(field_type, type) and dataclasses.is_dataclass(field_type)
        values[field.name] = args_of(field_type, value) if nested else value
    return args_type(**values)


def _child(component: pulumi.ComponentResource) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=component)


class Network(pulumi.ComponentResource):
    """A custom-mode VPC with Private Google Access, a private services access connection and optional Cloud NAT."""

    network_id: pulumi.Output[str]
    """The VPC's id, for the resources attached to it."""
    network_self_link: pulumi.Output[str]
    subnet_id: pulumi.Output[str]
    subnet_self_link: pulumi.Output[str]
    private_services_connection: pulumi_gcp.servicenetworking.Connection
    """The private services access connection; resources with a private IP (Cloud SQL, Memorystore) wait for it."""

    def __init__(self, name: str, args: block_args.NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE_NAME}:index:Network", name, None, opts)
        built = network.Network(name, args_of(network.NetworkArgs, args), _child(self))
        self.network_id = built.network_id
        self.network_self_link = built.network_self_link
        self.subnet_id = built.subnet_id
        self.subnet_self_link = built.subnet_self_link
        self.private_services_connection = built.private_services_connection
        self.register_outputs({"network_id": self.network_id, "subnet_id": self.subnet_id})


class Secrets(pulumi.ComponentResource):
    """Secrets generated with pulumi-random and kept in Secret Manager; their values never leave as outputs."""

    secret_ids: pulumi.Output[dict[str, str]]
    """Short name → the secret's id (`projects/<p>/secrets/<id>`), for IAM bindings and references."""
    versions: pulumi.Output[dict[str, str]]
    """Short name → the number of the version holding the value."""

    def __init__(self, name: str, args: block_args.SecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE_NAME}:index:Secrets", name, None, opts)
        built = secrets.Secrets(name, args_of(secrets.SecretsArgs, args), _child(self))
        self.secret_ids = pulumi.Output.all(**built.secret_ids)
        self.versions = pulumi.Output.all(**built.versions)
        self.register_outputs({"secret_ids": self.secret_ids, "versions": self.versions})


class RedisCache(pulumi.ComponentResource):
    """A private Memorystore for Redis instance reachable only over TLS with AUTH, its AUTH string in Secret
    Manager."""

    host: pulumi.Output[str]
    port: pulumi.Output[int]
    instance_id: pulumi.Output[str]
    """`projects/<p>/locations/<r>/instances/<name>`, the id its Cloud Monitoring metrics carry."""
    ca_certificate: pulumi.Output[str]
    """PEM of the instance's server CA, which TLS clients must trust."""
    auth_secret_id: pulumi.Output[str]
    """The id of the Secret Manager secret that holds the AUTH string."""

    def __init__(self, name: str, args: block_args.RedisCacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE_NAME}:index:RedisCache", name, None, opts)
        built = cache.RedisCache(name, args_of(cache.RedisCacheArgs, args), _child(self))
        self.host = built.host
        self.port = built.port
        self.instance_id = built.instance_id
        self.ca_certificate = built.ca_certificate
        self.auth_secret_id = built.auth_secret_id
        self.register_outputs({"host": self.host, "port": self.port, "auth_secret_id": self.auth_secret_id})


class PostgresDatabase(pulumi.ComponentResource):
    """Cloud SQL for PostgreSQL on a private IP only, with the CIS logging flags, one database and its user."""

    connection_name: pulumi.Output[str]
    """project:region:instance."""
    private_ip: pulumi.Output[str]
    database_name: pulumi.Output[str]
    user_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: block_args.PostgresDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE_NAME}:index:PostgresDatabase", name, None, opts)
        built = database.PostgresDatabase(name, args_of(database.PostgresDatabaseArgs, args), _child(self))
        self.connection_name = built.connection_name
        self.private_ip = built.private_ip
        self.database_name = built.database_name
        self.user_name = built.user_name
        self.register_outputs({"connection_name": self.connection_name, "private_ip": self.private_ip})


BLOCKS: list[type[pulumi.ComponentResource]] = [Network, Secrets, RedisCache, PostgresDatabase]
