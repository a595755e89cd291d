"""How Pulumi marks special values on the wire and in JSON, and the placeholders a plan shows for them."""

from typing import Any

SECRET_PLACEHOLDER = "[secret]"  # noqa: S105 (what a plan shows instead of a secret value)
UNKNOWN_PLACEHOLDER = "[unknown]"

# Pulumi marks special values (secrets, assets, resource references) with this key, in gRPC structs and in
# `pulumi preview --json` / `pulumi stack export` alike.
SPECIAL_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 (Pulumi's marker of a secret value)
RESOURCE_REFERENCE_SIGNATURE = "5cf8f73096256a8f31e491e813e4eb8e"
ASSET_SIGNATURE = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIGNATURE = "0def7320c3a5731c473e5ecbe6d01bc7"
# The value the engine sends for an output that is not known until the resource exists.
UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def with_placeholders(value: Any) -> Any:
    """Plain JSON from a property in wire form: secrets and unknowns become placeholders, references their URN."""
    if isinstance(value, dict):
        signature = value.get(SPECIAL_SIGNATURE_KEY)
        if signature == SECRET_SIGNATURE:
            return SECRET_PLACEHOLDER
        if signature == RESOURCE_REFERENCE_SIGNATURE:
            return value.get("urn")
        if signature in (ASSET_SIGNATURE, ARCHIVE_SIGNATURE):
            return value.get("path") or value.get("uri") or "[asset]"
        return {key: with_placeholders(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_placeholders(item) for item in value]
    if value == UNKNOWN_VALUE:
        return UNKNOWN_PLACEHOLDER
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
