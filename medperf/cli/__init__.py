"""The `medperf` command line: one module per command group, registered in medperf.cli.main."""
