"""Containers (prep, model and evaluator images with their MedPerf config) and models."""

from medperf.client.http import RegistryHttp, query
from medperf.schemas import (
    ContainerCreate,
    ContainerPublic,
    ContainerUpdate,
    EntityState,
    ModelCreate,
    ModelPublic,
    ModelUpdate,
    Page,
)


class ContainersApi:
    """/containers: public metadata of container images."""

    def __init__(self, http: RegistryHttp) -> None:
        self._http = http

    def create(self, container: ContainerCreate) -> ContainerPublic:
        """Register a container; the server validates its config."""
        data = self._http.post("/containers", container.model_dump(mode="json"))
        return ContainerPublic.model_validate(data)

    def get(self, container_id: int) -> ContainerPublic:
        """One container."""
        return ContainerPublic.model_validate(self._http.get(f"/containers/{container_id}"))

    def list(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        owner_id: int | None = None,
        state: EntityState | None = None,
    ) -> Page[ContainerPublic]:
        """Containers matching the filters."""
        params = query(limit=limit, offset=offset, owner_id=owner_id, state=state)
        return Page[ContainerPublic].model_validate(self._http.get("/containers", params))

    def update(self, container_id: int, update: ContainerUpdate) -> ContainerPublic:
        """Change a container (owner only; OPERATION containers are frozen)."""
        body = update.model_dump(mode="json", exclude_unset=True)
        return ContainerPublic.model_validate(self._http.patch(f"/containers/{container_id}", body))

    def withdraw(self, container_id: int) -> ContainerPublic:
        """Withdraw a container (owner only): it leaves the lists; refused while something live uses it."""
        return ContainerPublic.model_validate(self._http.post(f"/containers/{container_id}/withdraw"))


class ModelsApi:
    """/models: a model wraps a container."""

    def __init__(self, http: RegistryHttp) -> None:
        self._http = http

    def create(self, model: ModelCreate) -> ModelPublic:
        """Register a model."""
        return ModelPublic.model_validate(self._http.post("/models", model.model_dump(mode="json")))

    def get(self, model_id: int) -> ModelPublic:
        """One model."""
        return ModelPublic.model_validate(self._http.get(f"/models/{model_id}"))

    def list(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        owner_id: int | None = None,
        state: EntityState | None = None,
    ) -> Page[ModelPublic]:
        """Models matching the filters."""
        params = query(limit=limit, offset=offset, owner_id=owner_id, state=state)
        return Page[ModelPublic].model_validate(self._http.get("/models", params))

    def update(self, model_id: int, update: ModelUpdate) -> ModelPublic:
        """Change a model (owner only); a new container id is a new version."""
        body = update.model_dump(mode="json", exclude_unset=True)
        return ModelPublic.model_validate(self._http.patch(f"/models/{model_id}", body))

    def withdraw(self, model_id: int) -> ModelPublic:
        """Withdraw a model (owner only): it leaves the lists; refused while a live benchmark needs it."""
        return ModelPublic.model_validate(self._http.post(f"/models/{model_id}/withdraw"))
