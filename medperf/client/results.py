"""Results: created before a run, finalized once with the approved metrics."""

from medperf.client.http import RegistryHttp, query
from medperf.schemas import Page, ResultCreate, ResultFinalize, ResultPublic, ResultStatus


class ResultsApi:
    """/results."""

    def __init__(self, http: RegistryHttp) -> None:
        self._http = http

    def create(self, result: ResultCreate) -> ResultPublic:
        """Open a PENDING result; with a client_key a retried request returns the same result."""
        return ResultPublic.model_validate(self._http.post("/results", result.model_dump(mode="json")))

    def finalize(self, result_id: int, final: ResultFinalize) -> ResultPublic:
        """Attach the approved metrics; a result is finalized once."""
        data = self._http.post(f"/results/{result_id}/finalize", final.model_dump(mode="json"))
        return ResultPublic.model_validate(data)

    def submit_finished(self, result: ResultCreate, final: ResultFinalize) -> ResultPublic:
        """Create the FINALIZED result in one call; idempotent by result.client_key (required).

        A retry after a lost response returns the same result; a PENDING result opened under the key is
        finalized; the same key with different metrics is refused (409).
        """
        body = {"result": result.model_dump(mode="json"), "final": final.model_dump(mode="json")}
        return ResultPublic.model_validate(self._http.post("/results/finished", body))

    def get(self, result_id: int) -> ResultPublic:
        """One result the caller may see."""
        return ResultPublic.model_validate(self._http.get(f"/results/{result_id}"))

    def list(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        benchmark_id: int | None = None,
        model_id: int | None = None,
        dataset_id: int | None = None,
        status: ResultStatus | None = None,
    ) -> Page[ResultPublic]:
        """Results the caller may see, matching the filters."""
        params = query(
            limit=limit,
            offset=offset,
            benchmark_id=benchmark_id,
            model_id=model_id,
            dataset_id=dataset_id,
            status=status,
        )
        return Page[ResultPublic].model_validate(self._http.get("/results", params))
