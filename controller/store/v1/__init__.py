"""The v1 (Ancla) desired state: organisations seen through tokens, projects, kube
applications and their configurations. Tables: migration 0004_ancla.sql."""
