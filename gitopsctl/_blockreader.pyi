from collections.abc import Callable
from typing import Any

def read(
    text: str, map_type: type, seq_type: type, resolve_plain: Callable[[str], Any], /
) -> list[Any] | None: ...
