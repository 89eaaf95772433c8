"""`berth apply|diff|status|events|logs`: a client of berth's HTTP API, for people and
GitOps pipelines. It speaks only HTTP (httpx): nothing here touches PostgreSQL or AWS."""
