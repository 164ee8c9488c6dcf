"""``/health`` (the process is alive) and ``/ready`` (it may be given traffic).

``/health`` touches nothing: a load balancer or systemd's watchdog asking it learns that the
process answers, even while the database is down or busy (restarting the process would not
help then). ``/ready`` runs the checks of services/ready.py: the database answers and its
schema is at the migrations' head; 503 with the reasons otherwise, so traffic goes elsewhere
while a migration or a restore is under way (docs/observability.md).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gardien.services.ready import not_ready
from gardien.web.deps import ContainerDep

router = APIRouter()


@router.get("/health")
async def health(container: ContainerDep) -> JSONResponse:
    """Liveness: answered on the event loop, without the database."""
    return JSONResponse(
        {
            "status": "ok",
            "policy_version": container.policy_version,
            "now": container.clock.now().isoformat(),
        }
    )


@router.get("/ready")
def ready(container: ContainerDep) -> JSONResponse:
    """Readiness: every check of services/ready.py passes (run in the thread pool)."""
    reasons = not_ready(container.engine, container.readiness_checks)
    if reasons:
        return JSONResponse(
            {"status": "not ready", "reasons": [reason.as_json() for reason in reasons]},
            status_code=503,
        )
    return JSONResponse({"status": "ready"})
