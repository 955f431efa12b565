"""Typed dependencies: the caller of a request, and the service of each capability.

All `async def`: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per
dependency per request for what is an attribute lookup.
"""

from typing import Annotated

from fastapi import Depends, Request

from proxy.accounts.service import AccountService
from proxy.batches.service import BatchService
from proxy.chat.service import ChatService
from proxy.core.admission import Caller
from proxy.images.service import ImageService
from proxy.responses.service import ResponsesService
from proxy.status.service import StatusService
from proxy.wiring import Wiring


def _wiring(request: Request) -> Wiring:
    return request.app.state.wiring  # type: ignore[no-any-return]


async def caller(request: Request) -> Caller:
    return _wiring(request).admission.identify(request)


async def chat_service(request: Request) -> ChatService:
    return _wiring(request).chat


async def image_service(request: Request) -> ImageService:
    return _wiring(request).images


async def batch_service(request: Request) -> BatchService:
    return _wiring(request).batches


async def responses_service(request: Request) -> ResponsesService:
    return _wiring(request).responses


async def status_service(request: Request) -> StatusService:
    return _wiring(request).status


async def account_service(request: Request) -> AccountService:
    return _wiring(request).accounts


CallerDep = Annotated[Caller, Depends(caller)]
ChatDep = Annotated[ChatService, Depends(chat_service)]
ImagesDep = Annotated[ImageService, Depends(image_service)]
BatchesDep = Annotated[BatchService, Depends(batch_service)]
StatusDep = Annotated[StatusService, Depends(status_service)]
AccountsDep = Annotated[AccountService, Depends(account_service)]
ResponsesDep = Annotated[ResponsesService, Depends(responses_service)]
