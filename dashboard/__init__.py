"""The admin console's logic: services that take a Session (and a gateway) and return plain data."""
