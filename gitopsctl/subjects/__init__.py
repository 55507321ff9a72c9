"""What the rules look at: the rendered repository, manifests and Helm's output."""
