"""The ingest API (SPEC §3/§4): `POST /v1/events` in, gzipped NDJSON objects in the lake out.

`ingest.core` is the HTTP semantics shared by both front doors: `ingest.handler` (the AWS
Lambda behind API Gateway, payload format 2.0) and `ingest.asgi` (`clickstream serve`).
`ingest.storage` makes a write durable (lake, else the SQS dead-letter queue) and
`ingest.dlq` is the dead-letter message format and its replay into the lake.

The Lambda zip holds only this package and `shared/`: nothing here imports Starlette or
uvicorn outside `ingest.asgi`.
"""
