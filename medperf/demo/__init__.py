"""The one-machine demo: the whole federated evaluation of the breast-cancer benchmark with one command."""

from medperf.demo.options import DemoOptions
from medperf.demo.run import run_demo
from medperf.demo.stack import stop_demo

__all__ = ["DemoOptions", "run_demo", "stop_demo"]
