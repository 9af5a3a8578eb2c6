"""medperf package."""
