"""The tests' name for the tiny federated world, which lives in the product (medperf/demo/tiny_world.py)."""

from medperf.demo.tiny_world import *  # noqa: F403  (every public name of the world builder)
