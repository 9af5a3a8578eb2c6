"""Stands in for Prefect's engine in the fork server's tests: prints what the forked process was given."""

import json
import os
import sys
import time

if os.environ.get("PROBE_MODE") == "sleep":
    print(json.dumps({"pid": os.getpid()}), flush=True)
    time.sleep(120)
print(json.dumps({
    "argv": sys.argv[1:],
    "cwd": os.getcwd(),
    "value": os.environ.get("PROBE_VALUE"),
    "stdin": sys.stdin.read(),
    "pid": os.getpid(),
    "ppid": os.getppid(),
    "preloaded": "xml.dom.minidom" in sys.modules,  # named in MEDPERF_SITE_WARM_PRELOAD by the tests' server
    "pandas": "pandas" in sys.modules,  # preloaded by every server
}))
sys.exit(int(os.environ.get("PROBE_EXIT", "0")))
