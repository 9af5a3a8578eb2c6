"""What the user chose for a demo run (`medperf demo` flags)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from medperf.settings import default_home

REPO_DIR = Path(__file__).resolve().parents[2]
EXAMPLE_DIR = REPO_DIR / "examples" / "breast_cancer"
SITES = ("site-a", "site-b", "site-c")


def raw_site_paths(example: Path, site: str) -> tuple[Path, Path] | None:
    """A site's raw data and labels in an example folder: data/<site>/labels and the one other folder
    beside it (data/<site>/data, data/<site>/images, ...); None when the layout is not there."""
    folder = example / "data" / site
    labels = folder / "labels"
    if not labels.exists():
        return None
    if (folder / "data").is_dir():
        return folder / "data", labels
    others = [p for p in sorted(folder.iterdir()) if p.is_dir() and p.name != "labels" and not p.name.startswith(".")]
    return (others[0], labels) if len(others) == 1 else None


def default_demo_home() -> Path:
    """$MEDPERF_HOME/demo (~/.medperf/demo by default)."""
    return default_home() / "demo"


DemoRunner = Literal["sandbox", "docker", "mixed"]
RUNNERS: tuple[DemoRunner, ...] = ("sandbox", "docker", "mixed")


@dataclass(frozen=True)
class DemoOptions:
    """--yes/--interactive, --keep/--no-keep, --runner, --home and the benchmark folder."""

    home: Path
    assume_yes: bool = True
    keep: bool = True
    runner: DemoRunner = "sandbox"
    example: Path = EXAMPLE_DIR
    sites: tuple[str, ...] = SITES
    deadline_s: float = 600.0

    @property
    def registration_runner(self) -> Literal["sandbox", "docker"]:
        """How the committee checks the containers: with their images built when any site runs Docker."""
        return "sandbox" if self.runner == "sandbox" else "docker"

    def site_runner(self, site: str) -> Literal["sandbox", "docker"]:
        """The runner of one site: "mixed" puts the first site on Docker and the others in the sandbox."""
        if self.runner == "mixed":
            return "docker" if site == self.sites[0] else "sandbox"
        return self.runner
