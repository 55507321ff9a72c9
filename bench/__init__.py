"""The benchmark of issue 4: synthetic repositories and manifest streams, and the timed runs."""
