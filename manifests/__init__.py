"""Kubernetes manifests from a plan: every object the GKE stacks deploy, as YAML files in install order."""

from manifests.kubernetes import ManifestError, kubernetes_objects, manifest_file_name, render_manifest, write_manifests

__all__ = ["ManifestError", "kubernetes_objects", "manifest_file_name", "render_manifest", "write_manifests"]
