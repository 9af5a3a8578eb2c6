"""Tests of the container contract and both runners."""
