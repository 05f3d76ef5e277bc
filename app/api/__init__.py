"""The HTTP layer: routes, request dependencies and cookies; only app.main includes the routers."""
