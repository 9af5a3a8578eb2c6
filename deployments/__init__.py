"""Per-site work pools, deployments and schedules, built from code (`deploy_site(SitePlan(...))`)."""
