"""Registry services: the one place per entity where state changes are checked, applied and audited."""
