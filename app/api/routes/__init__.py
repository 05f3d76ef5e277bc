"""One module of routes per area of the API; each exposes `router` for app.main to include."""
