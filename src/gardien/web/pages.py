"""The public pages and the health endpoint."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import text

from gardien.web.deps import ContainerDep, TemplatesDep

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, container: ContainerDep, templates: TemplatesDep) -> HTMLResponse:
    policy = container.policy
    return templates.TemplateResponse(
        request,
        "home.html",
        {"policy": policy, "version": policy.version, "today": container.clock.today()},
    )


@router.get("/health")
def health(container: ContainerDep) -> JSONResponse:
    """Liveness and readiness: the database answers and the policy is loaded."""
    try:
        with container.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # any failure to answer means "not ready"; details go to the logs
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return JSONResponse(
        {
            "status": "ok" if status == 200 else "degraded",
            "database": database,
            "policy_version": container.policy.version,
            "now": container.clock.now().isoformat(),
        },
        status_code=status,
    )
