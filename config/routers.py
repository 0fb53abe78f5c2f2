"""Database routers (settings.DATABASE_ROUTERS). The logic lives in core/replicas.py."""

from core.replicas import ReadReplicaRouter

__all__ = ["ReadReplicaRouter"]
