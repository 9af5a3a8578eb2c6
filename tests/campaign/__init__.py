"""Unit tests of the campaign planning functions (medperf/campaign)."""
