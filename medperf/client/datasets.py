"""Datasets: registered by a site's prepare flow, owned by the data owner."""

from medperf.client.http import RegistryHttp, query
from medperf.schemas import DatasetCreate, DatasetPublic, DatasetUpdate, EntityState, Page


class DatasetsApi:
    """/datasets."""

    def __init__(self, http: RegistryHttp) -> None:
        self._http = http

    def create(self, dataset: DatasetCreate) -> DatasetPublic:
        """Register a prepared dataset; with a client_key a retried request returns the same dataset."""
        return DatasetPublic.model_validate(self._http.post("/datasets", dataset.model_dump(mode="json")))

    def get(self, dataset_id: int) -> DatasetPublic:
        """One dataset the caller may see."""
        return DatasetPublic.model_validate(self._http.get(f"/datasets/{dataset_id}"))

    def list(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        owner_id: int | None = None,
        state: EntityState | None = None,
        benchmark_id: int | None = None,
        site: str | None = None,
    ) -> Page[DatasetPublic]:
        """Datasets the caller may see, matching the filters."""
        params = query(limit=limit, offset=offset, owner_id=owner_id, state=state, benchmark_id=benchmark_id, site=site)
        return Page[DatasetPublic].model_validate(self._http.get("/datasets", params))

    def update(self, dataset_id: int, update: DatasetUpdate) -> DatasetPublic:
        """Change a dataset (owner only; OPERATION datasets are frozen)."""
        body = update.model_dump(mode="json", exclude_unset=True)
        return DatasetPublic.model_validate(self._http.patch(f"/datasets/{dataset_id}", body))

    def withdraw(self, dataset_id: int) -> DatasetPublic:
        """Withdraw a dataset (owner only): it leaves the lists and its standing consents are revoked."""
        return DatasetPublic.model_validate(self._http.post(f"/datasets/{dataset_id}/withdraw"))
