"""The runtime: store, work queue, leases, loop runner, settings, logging and the CLI."""
