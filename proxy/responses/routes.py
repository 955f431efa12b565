"""OpenAI Responses: `POST /v1/responses` (whole or streamed), `GET` and `DELETE
/v1/responses/{id}`; what the `openai` SDK's `client.responses` and Codex-style clients send."""

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, StreamingResponse

from proxy.core.auth import require_api_key
from proxy.deps import CallerDep, ResponsesDep
from proxy.responses.schema import ResponseDeleted, ResponseObject, ResponsesRequest

router = APIRouter(tags=["openai"], dependencies=[Depends(require_api_key)])


@router.post(
    "/v1/responses",
    response_model=None,
    responses={200: {"model": ResponseObject, "description": "A response, or SSE events"}},
)
async def create_response(
    body: ResponsesRequest, caller: CallerDep, responses: ResponsesDep
) -> JSONResponse | StreamingResponse:
    if body.stream:
        events = await responses.stream(caller, body)
        return StreamingResponse(events, media_type="text/event-stream")
    return JSONResponse(await responses.create(caller, body))


@router.get("/v1/responses/{response_id}", responses={200: {"model": ResponseObject}})
async def get_response(response_id: str, responses: ResponsesDep) -> JSONResponse:
    return JSONResponse(await responses.get(response_id))


@router.delete("/v1/responses/{response_id}", responses={200: {"model": ResponseDeleted}})
async def delete_response(response_id: str, responses: ResponsesDep) -> JSONResponse:
    return JSONResponse(await responses.delete(response_id))
