"""Counts the cases at the declared mount path (standard library only)."""

import os

cases = sorted(os.listdir("/mlcommons/volumes/data"))
with open("/mlcommons/volumes/predictions/count.txt", "w") as handle:
    handle.write(f"{len(cases)} cases from {os.path.dirname(os.path.abspath(__file__))}\n")
