"""Kubernetes semantics: scheduling, object schemas, CRDs and workload placement."""
