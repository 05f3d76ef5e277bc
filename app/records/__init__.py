"""A patient's whole record across domains: the page header, the JSON export, erasure."""
