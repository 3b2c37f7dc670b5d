# Partial type stubs for ocpp==2.1.0 (the package ships no py.typed marker).
# Only ocpp.routing and ocpp.exceptions are described here; every other ocpp module is
# resolved as Any through the `ocpp.*` ignore_missing_imports override in pyproject.toml.
