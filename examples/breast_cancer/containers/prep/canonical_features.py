"""The standard prepared format: 30 WDBC features in canonical names and units, labels 0/1."""

PROPERTIES = (
    "radius",
    "texture",
    "perimeter",
    "area",
    "smoothness",
    "compactness",
    "concavity",
    "concave_points",
    "symmetry",
    "fractal_dimension",
)
STATISTICS = ("mean", "se", "worst")

# Same order as sklearn.datasets.load_breast_cancer().feature_names: all means, all errors, all worsts.
FEATURES: tuple[str, ...] = tuple(f"{prop}_{stat}" for stat in STATISTICS for prop in PROPERTIES)

ID_COLUMN = "case_id"
LABEL_COLUMN = "label"
CASES_FILE = "cases.csv"
LABELS_FILE = "labels.csv"
BENIGN, MALIGNANT = 0, 1
