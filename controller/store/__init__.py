"""PostgreSQL: migrations, named queries and the repositories built on them."""
