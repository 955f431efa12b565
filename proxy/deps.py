"""Typed dependencies that hand the app's services to routes."""

from typing import Annotated

from fastapi import Depends, Request

from proxy.services import Services


def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]
