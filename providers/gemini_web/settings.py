"""Settings of the gemini-web provider: its accounts and how it talks to Gemini web."""

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class AccountSettings(BaseModel):
    """One Gemini web account, identified by its browser cookies."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    """Unique name (letters, digits, `_.-`), used in logs, metrics and `account:`."""
    secure_1psid: SecretStr
    """The `__Secure-1PSID` cookie of .google.com."""
    secure_1psidts: SecretStr | None = None
    """The `__Secure-1PSIDTS` cookie of .google.com (rotated by the proxy)."""
    proxy: str | None = None
    """Upstream proxy for this account; without it the standard HTTPS_PROXY variables apply."""


class UrlFetchSettings(BaseModel):
    """`gemini_web.url_fetch`: how client-supplied URLs are fetched."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    allow_hosts: list[str] = []
    """Host names, IPs or CIDRs fetched even when they resolve to internal addresses."""
    timeout: float = Field(default=20.0, gt=0)
    """Deadline for one URL, every redirect and byte included."""


class BrowserRefreshSettings(BaseModel):
    """`gemini_web.browser_refresh`: keep sessions alive by loading gemini.google.com/app in a
    headless Chromium profile per account, whose own script rotates `__Secure-1PSIDTS`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    enabled: bool = False
    """Needs Debian's `chromium` and Playwright (`pip install 'gemini-proxy[browser]'`)."""
    interval: float = Field(default=1080.0, ge=300)
    """Seconds between two page loads of an account, jittered by 120 s, never on the minute."""
    timeout: float = Field(default=60.0, gt=0)
    """Deadline of one page load, the page's own requests included."""
    chromium: str | None = None
    """Chromium executable; unset: /usr/bin/chromium or `chromium` on PATH."""
    ignore_certificate_spki: list[str] = []
    """Base64 SHA-256 SPKI hashes Chromium accepts without validation (a TLS-inspecting proxy
    in between); empty: certificates are checked strictly."""


class GeminiWebSettings(BaseModel):
    """How the provider drives `gemini_webapi` clients."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    init_timeout: float = Field(default=60.0, gt=0)
    """Our own bound on `GeminiClient.init()`, which can deadlock inside the library."""
    request_timeout: float = Field(default=300.0, gt=0)
    """Whole-request bound; the Router does not enforce timeouts on custom providers."""
    idle_timeout: float = Field(default=120.0, gt=0)
    """Longest silence allowed between two streamed frames."""
    abandon_grace: float = Field(default=10.0, gt=0)
    """Seconds a call we gave up on (timeout, client gone) has to end its upstream request before
    the account's session is closed to end it; the account's slot stays held meanwhile."""
    refresh_interval: float = Field(default=600.0, ge=70)
    """Seconds between `__Secure-1PSIDTS` rotations, each jittered by 10%; at least 70, so a
    jittered one never comes within the library's 60 s cache window (it would mint nothing)."""
    usage_limit_cooldown: float = Field(default=3600.0, gt=0)
    """Seconds an account that hit its usage limit (1037) stays out of rotation."""
    block_cooldown: float = Field(default=600.0, gt=0)
    """Seconds out of rotation after a block (1060, 429, "sorry" page); doubled for each
    block in a row."""
    temporary_chats: bool = True
    """Keep proxied conversations out of the account's Gemini history."""
    max_attachment_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    """Largest file (image, document) sent along with a prompt; 20 MiB."""
    url_fetch: UrlFetchSettings = UrlFetchSettings()
    """How client URLs (images, files) are fetched."""
    log_level: str = "WARNING"
    """Level at which gemini_webapi's loguru output is forwarded into standard logging."""
    browser_refresh: BrowserRefreshSettings = BrowserRefreshSettings()
    """Optional keep-alive by a real browser page load (off by default)."""
