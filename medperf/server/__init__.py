"""The MedPerf registry server: FastAPI + SQLModel over SQLite or Postgres (never imports Prefect)."""
