"""The component package: this project's stack as a Pulumi component any Pulumi program can use, in any language.

`pulumi package add <repository>/infra/package` runs `__main__.py` (PulumiPlugin.yaml: runtime python), which serves
the components in `provider.COMPONENTS` over gRPC; the schema the consumer's SDK is generated from is the one the
Pulumi SDK's analyzer infers from their type annotations (committed as `schema.json`).
"""

PACKAGE_NAME = "inference"
"""The package's name: the first part of its type tokens (`inference:index:InferenceService`) and of the SDKs."""
PACKAGE_VERSION = "0.1.0"
