"""Rendering the model: values, Argo CD Applications, output files, Helm charts."""
