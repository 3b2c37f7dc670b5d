# Stub for ocpp.routing (ocpp==2.1.0). `on`/`after` return the decorated function unchanged
# (functools.wraps), so they are typed as identity decorators.
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

routables: list[str]

def on(action: str, *, skip_schema_validation: bool = False) -> Callable[[_F], _F]: ...
def after(action: str) -> Callable[[_F], _F]: ...
def create_route_map(obj: object) -> dict[str, dict[str, Any]]: ...
