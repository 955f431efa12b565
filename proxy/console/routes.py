"""The console: its static page and assets (open: they hold no data), and the JSON it reads
(behind `console_access`). Actions go to the admin API (`/admin/accounts`) with the admin key."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse

from proxy.batches.schema import BatchReport
from proxy.console.access import Access, console_access
from proxy.console.schema import AccountLimits, Overview, RecentImage
from proxy.core.errors import NotFound
from proxy.deps import AccountsDep, BatchesDep, StatusDep
from proxy.status.service import StatusService

STATIC = Path(__file__).parent / "static"
ASSETS = {"console.js": "text/javascript", "console.css": "text/css"}
# Everything comes from the proxy itself; images may be stored elsewhere (S3) or inline.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' https: data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(tags=["console"])
ConsoleAccess = Annotated[Access, Depends(console_access)]


@router.get("/console", include_in_schema=False, response_class=FileResponse)
async def page() -> FileResponse:
    return FileResponse(STATIC / "console.html", media_type="text/html", headers=PAGE_HEADERS)


@router.get("/console/{asset}", include_in_schema=False, response_class=FileResponse)
async def asset(asset: str) -> FileResponse:
    if asset not in ASSETS:
        raise NotFound("No such console file")
    return FileResponse(STATIC / asset, media_type=ASSETS[asset], headers=PAGE_HEADERS)


@router.get("/console/api/overview")
async def overview(
    access: ConsoleAccess,
    status: StatusDep,
    accounts: AccountsDep,
    batches: BatchesDep,
    limit: int = Query(default=20, ge=1, le=100),
) -> Overview:
    recent = await status.jobs.recent_singles(limit)
    return Overview(
        access=access.value,
        admin_api=status.settings.auth.admin_key is not None,
        health=await status.health(),
        accounts=accounts.list(),
        limits=account_limits(status),
        batches=(await batches.recent(limit)).batches,
        images=[RecentImage.from_row(row) for row in recent],
    )


@router.get("/console/api/batches/{batch_id}", response_model_exclude_none=True)
async def batch(batch_id: str, access: ConsoleAccess, batches: BatchesDep) -> BatchReport:
    return await batches.status(batch_id)


def account_limits(status: StatusService) -> list[AccountLimits]:
    gate = status.gate
    figures = []
    for name, pacer in gate.pacers.items():
        pacing, pool = pacer.stats, gate.pools[name].stats
        figures.append(
            AccountLimits(
                account=name or "(none)",
                current_delay=round(pacing.current_delay, 2),
                requests_last_minute=pacing.requests_last_minute,
                rpm_limit=pacing.rpm_limit,
                consecutive_429s=pacing.consecutive_429s,
                in_use=pool.in_use,
                max=pool.max,
                queued=pool.queued,
            )
        )
    return figures
