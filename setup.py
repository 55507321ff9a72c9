"""The C block reader, an optional extension: without a C compiler the package still installs and
reads YAML with the Python block reader (see gitopsctl/blockreader.py). Everything else is in
pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "gitopsctl._blockreader",
            sources=["gitopsctl/_blockreader.c"],
            optional=True,
        )
    ]
)
