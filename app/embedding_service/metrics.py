"""Prometheus metrics, in a registry per application so that several apps can live in one process."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "embedding_http_requests",
            "HTTP requests by route and status.",
            ["route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "embedding_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["route"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "embedding_queue_depth_inputs", "Inputs waiting for the model.", registry=self.registry
        )
        self.batch_size = Histogram(
            "embedding_batch_size_inputs",
            "Inputs per model batch.",
            buckets=BATCH_SIZE_BUCKETS,
            registry=self.registry,
        )
        self.inputs = Counter("embedding_inputs", "Inputs embedded or served from cache.", registry=self.registry)
        self.tokens = Counter("embedding_tokens", "Tokens in embedded inputs.", registry=self.registry)
        self.cache_hits = Counter("embedding_cache_hits", "Inputs served from the cache.", registry=self.registry)
        self.cache_misses = Counter("embedding_cache_misses", "Inputs not in the cache.", registry=self.registry)
        self.rate_limited = Counter(
            "embedding_rate_limit_rejections",
            "Requests refused by the per-key rate limit.",
            registry=self.registry,
        )
        self.overloaded = Counter(
            "embedding_queue_full_rejections",
            "Requests refused because the queue was full.",
            registry=self.registry,
        )
        self.redis_errors = Counter(
            "embedding_redis_errors",
            "Failed Redis calls by operation.",
            ["operation"],
            registry=self.registry,
        )
        self.usage_rows_written = Counter("embedding_usage_rows_written", "Usage rows stored.", registry=self.registry)
        self.usage_rows_dropped = Counter(
            "embedding_usage_rows_dropped",
            "Usage rows dropped because the queue was full.",
            registry=self.registry,
        )
        self.usage_write_errors = Counter(
            "embedding_usage_write_errors", "Failed usage-log writes or migrations.", registry=self.registry
        )
        self.usage_queue_depth = Gauge(
            "embedding_usage_queue_depth_rows", "Usage rows waiting to be written.", registry=self.registry
        )
