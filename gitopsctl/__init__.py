"""Render and validate a GitOps repository of Argo CD Applications and Helm values."""
