"""The admin API: accounts listed, added, given new cookies, disabled, tested and deleted.

Protected by its own key (`auth.admin_key`, separate from client keys); off when none is set.
"""

from fastapi import APIRouter, Depends, Request, Response

from proxy.accounts.cookies import CookieFormatError, GoogleCookies
from proxy.accounts.schema import AccountList, AccountView, CookiesInput, NewAccount
from proxy.core.auth import is_admin
from proxy.core.errors import BadRequest, Forbidden, Unauthorized
from proxy.deps import AccountsDep


async def require_admin_key(request: Request) -> None:
    if request.app.state.admin_key is None:
        raise Forbidden("The admin API is off: set auth.admin_key (GEMINI_PROXY_ADMIN_KEY)")
    if not is_admin(request):
        raise Unauthorized("Invalid or missing admin key")


router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin_key)])


def _cookies(body: CookiesInput) -> GoogleCookies:
    try:
        return body.parsed()
    except CookieFormatError as exc:
        raise BadRequest(f"cookies rejected: {exc}") from None


@router.get("/accounts")
async def list_accounts(accounts: AccountsDep) -> AccountList:
    return AccountList(accounts=accounts.list())


@router.post("/accounts", status_code=201)
async def add_account(body: NewAccount, accounts: AccountsDep) -> AccountView:
    return await accounts.put(body.name, _cookies(body), body.proxy, new=True)


@router.get("/accounts/{name}")
async def get_account(name: str, accounts: AccountsDep) -> AccountView:
    return accounts.get(name)


@router.put("/accounts/{name}/cookies")
async def update_cookies(name: str, body: CookiesInput, accounts: AccountsDep) -> AccountView:
    return await accounts.put(name, _cookies(body), body.proxy, new=False)


@router.post("/accounts/{name}/disable")
async def disable_account(name: str, accounts: AccountsDep) -> AccountView:
    return await accounts.set_disabled(name, True)


@router.post("/accounts/{name}/enable")
async def enable_account(name: str, accounts: AccountsDep) -> AccountView:
    return await accounts.set_disabled(name, False)


@router.post("/accounts/{name}/test")
async def test_account(name: str, accounts: AccountsDep) -> AccountView:
    return await accounts.test(name)


@router.delete("/accounts/{name}", status_code=204, response_class=Response)
async def delete_account(name: str, accounts: AccountsDep) -> Response:
    await accounts.delete(name)
    return Response(status_code=204)
