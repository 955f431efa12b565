"""What the admin API takes and answers about accounts (never a cookie value)."""

from pydantic import BaseModel, Field, model_validator

from proxy.accounts.cookies import GoogleCookies, from_values, parse_cookie_text


class CookiesInput(BaseModel):
    """Cookies in one of three forms: the two values, or `cookies` holding a Netscape
    `cookies.txt` or a browser extension's JSON export."""

    secure_1psid: str | None = Field(default=None, max_length=4096)
    secure_1psidts: str | None = Field(default=None, max_length=4096)
    cookies: str | None = Field(default=None, max_length=1_000_000)
    proxy: str | None = Field(default=None, max_length=2048)

    @model_validator(mode="after")
    def _one_form(self) -> "CookiesInput":
        if (self.cookies is None) == (self.secure_1psid is None):
            raise ValueError("give either secure_1psid (and secure_1psidts) or cookies")
        return self

    def parsed(self) -> GoogleCookies:
        """The two values; raises `CookieFormatError` naming what is wrong."""
        if self.cookies is not None:
            return parse_cookie_text(self.cookies)
        return from_values(self.secure_1psid or "", self.secure_1psidts)


class NewAccount(CookiesInput):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


class RotationView(BaseModel):
    last: str | None
    """minted, unchanged, refused or failed."""
    last_at: float | None
    stalled: bool
    """Rotations in a row answered without a new cookie: the session will end soon."""
    counts: dict[str, int]


class AccountView(BaseModel):
    name: str
    state: str
    """ready, cooling, expired or disabled."""
    reason: str
    since: float
    cooldown_seconds_left: float | None
    last_good_at: float | None
    """When the cookies were last proven good (Unix time)."""
    cookie_age_seconds: float
    rotation: RotationView
    models: list[str]
    failovers: int
    last_error: str | None


class AccountList(BaseModel):
    accounts: list[AccountView]
