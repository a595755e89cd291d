"""The app's sections: the inference service (with its GPU on Cloud Run) and its container image."""

from __future__ import annotations

from typing import cast

import pulumi
from pydantic import Field, field_validator

from components.app_runtime import AppRuntime
from components.cloudrun import CloudRunGpuArgs, CloudRunScalingArgs, CloudRunServiceArgs
from components.image import ContainerImageArgs
from facts.app import ImageVariant, ModelBackend, ModelPrecision
from facts.gcp import CloudRunGpuType
from facts.quantities import memory_mib
from infra.config.scope import Section, StackScope


class GpuSettings(Section):
    """A GPU attached to each instance (Cloud Run) or pod (GKE)."""

    type: str = "nvidia-l4"
    """Accelerator type; Cloud Run takes nvidia-l4 or nvidia-rtx-pro-6000. GKE: gke.gpuPool.accelerator if unset."""
    zonal_redundancy: bool = True
    """Cloud Run only: reserve GPU capacity across zones (Google's default; off is cheaper, best effort)."""

    def args(self) -> CloudRunGpuArgs:
        """Cloud Run's GPU; CloudRunGpuArgs refuses a type Cloud Run does not offer."""
        return CloudRunGpuArgs(type=cast(CloudRunGpuType, self.type), zonal_redundancy=self.zonal_redundancy)


class ServiceSettings(Section):
    """The inference service: one container per Cloud Run instance or GKE pod."""

    cpu: float = Field(default=1, gt=0)
    """vCPU per instance or pod."""
    memory: str = "2Gi"
    """Memory per instance or pod, as Mi or Gi."""
    gpu: GpuSettings | None = None
    """The GPU, or null for CPU only. GKE: always one GPU of gke.gpuPool.accelerator (leave it out)."""
    min_instances: int = Field(default=0, ge=0)
    """Instances kept warm (Cloud Run); billed in full while idle."""
    max_instances: int = Field(default=3, ge=1)
    """Upper bound of instances (Cloud Run)."""
    concurrency: int = 16
    """Concurrent requests per instance (Cloud Run)."""
    public: bool = False
    """Allow unauthenticated invocation from the internet; otherwise internal ingress and IAM-only invocation."""
    model_backend: ModelBackend = "auto"
    """The app's MODEL_BACKEND: auto (onnx on a CPU, torch on a GPU), onnx, openvino (CPU: bfloat16 where the CPU
    has it natively, else fp32) or torch."""
    model_precision: ModelPrecision = "auto"
    """The app's MODEL_PRECISION: auto (the backend's default), fp32, fp16 (GPU), int8 (onnx, opt-in: min cosine
    0.98 to fp32) or bf16 (openvino, on known CPUs only: GKE's are GPU nodes, Cloud Run promises no CPU model)."""

    @field_validator("memory")
    @classmethod
    def _memory_is_a_quantity(cls, value: str) -> str:
        memory_mib(value)
        return value

    @property
    def device(self) -> ImageVariant:
        """Where the model runs: the image's build variant and the app's MODEL_DEVICE."""
        return "cuda" if self.gpu else "cpu"

    @property
    def model_env(self) -> dict[str, str]:
        """The app's model settings: MODEL_DEVICE always, the backend and precision where the stack chose them."""
        env: dict[str, str] = {"MODEL_DEVICE": self.device}
        if self.model_backend != "auto":
            env["MODEL_BACKEND"] = self.model_backend
        if self.model_precision != "auto":
            env["MODEL_PRECISION"] = self.model_precision
        return env

    def scaling_args(self) -> CloudRunScalingArgs:
        return CloudRunScalingArgs(
            min_instances=self.min_instances, max_instances=self.max_instances, concurrency=self.concurrency
        )

    def args(
        self,
        stack: StackScope,
        *,
        runtime: AppRuntime,
        network_id: pulumi.Input[str],
        subnet_id: pulumi.Input[str],
        behind_load_balancer: bool,
    ) -> CloudRunServiceArgs:
        """The Cloud Run service; `behind_load_balancer` where an entry point is its only public way in."""
        return CloudRunServiceArgs(
            region=stack.region,
            runtime=runtime,
            cpu=self.cpu,
            memory=self.memory,
            scaling=self.scaling_args(),
            gpu=self.gpu.args() if self.gpu else None,
            public=self.public,
            behind_load_balancer=behind_load_balancer,
            network_id=network_id,
            subnet_id=subnet_id,
            deletion_protection=stack.protected,
            labels=stack.labels,
        )


class ImageSettings(Section):
    """The app's container image: built from `context` with pulumi-docker, or an existing one."""

    context: str = "app"
    dockerfile: str = "app/Dockerfile"
    prebuilt: str | None = None
    """An image reference to deploy as is (by digest, ideally); nothing is built."""

    @field_validator("prebuilt")
    @classmethod
    def _prebuilt_is_a_reference(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or any(character.isspace() for character in value)):
            raise ValueError(
                "not an image reference: give one like REGION-docker.pkg.dev/PROJECT/REPO/IMAGE@sha256:..., "
                "or null to build from context"
            )
        return value

    def args(self, stack: StackScope, *, variant: ImageVariant) -> ContainerImageArgs:
        """The image of the app, built for `variant` (ServiceSettings.device) and tagged with the stack's name."""
        return ContainerImageArgs(
            region=stack.region,
            project=stack.project,
            context=self.context,
            dockerfile=self.dockerfile,
            variant=variant,
            tag=stack.stack_name,
            prebuilt=self.prebuilt,
            deletion_protection=stack.protected,
            labels=stack.labels,
        )
