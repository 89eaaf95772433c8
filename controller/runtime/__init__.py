"""The reconcile loop: claims keys from the queue and runs one pass per key at a time."""
