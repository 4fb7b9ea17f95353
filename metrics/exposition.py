"""The text the /metrics view serves: this process's registry, or every process's files."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from metrics._multiprocess import MULTIPROC_DIR


class _Union:
    """Several collectors read as one registry (generate_latest only needs collect())."""

    def __init__(self, parts: Iterable[Any]) -> None:
        self.parts = list(parts)

    def collect(self) -> Iterator[Any]:
        for part in self.parts:
            yield from part.collect()


def metrics_render(*, extra: Iterable[Any] = ()) -> tuple[bytes, str]:
    """(body, content type) in the Prometheus text format; `extra` are scrape-time collectors."""
    if MULTIPROC_DIR:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=MULTIPROC_DIR)
        base: Any = registry
    else:
        base = REGISTRY
    return generate_latest(_Union([base, *extra])), CONTENT_TYPE_LATEST  # type: ignore[arg-type]
