"""Accuracy of label files (<case>.txt holding 0 or 1); paths are the declared mount paths, the metric name from CMD."""

import argparse
import os

import yaml

VOLUMES = "/mlcommons/volumes"


def read_labels(folder: str) -> dict[str, int]:
    labels = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name)) as handle:
            labels[name] = int(handle.read())
    return labels


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--metric", required=True)
    metric = parser.parse_args().metric
    with open(f"{VOLUMES}/parameters/parameters_file.yaml") as handle:
        positive = int(yaml.safe_load(handle)["positive_label"])
    truth = read_labels(f"{VOLUMES}/labels")
    predicted = read_labels(f"{VOLUMES}/predictions")
    hits = {case: int(predicted[case] == truth[case]) for case in truth}
    with open(f"{VOLUMES}/local_outputs/per_case.csv", "w") as handle:  # stays on the site
        handle.write("".join(f"{case},{hit}\n" for case, hit in hits.items()))
    results = {
        metric: sum(hits.values()) / len(hits),
        "positives": sum(1 for label in truth.values() if label == positive),
        "cwd": os.getcwd(),
    }
    with open(f"{VOLUMES}/results/results.yaml", "w") as handle:
        yaml.safe_dump(results, handle)


if __name__ == "__main__":
    main()
