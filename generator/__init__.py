"""Synthetic traffic of a computer & accessories shop (SPEC §9 `clickstream generate`).

Client events are built the way the browser SDK builds them and become lake records only
through the ingest API's own code (`shared.enrichment.process_events`), written in the
ingest API's layout, so generated data and real data are indistinguishable. See
docs/generator.md.
"""

from generator.config import GenerationSummary, GeneratorConfig
from generator.http_sender import generate_to_url
from generator.run import generate_to_lake

__all__ = ["GenerationSummary", "GeneratorConfig", "generate_to_lake", "generate_to_url"]
