"""Accounts and their current cookies in the database (the job store's engine: SQLite or
PostgreSQL), encrypted at rest with Fernet (`database.secret_key`).

Every change bumps the row's `version`; a rotated cookie is written back only over the version
it was read at (compare-and-set), so two writers never silently undo each other. Values are
encrypted one by one, names are not (they appear in logs and metrics anyway).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from providers.gemini_web import AccountSettings
from proxy.jobs.engine import Database

_METADATA = MetaData()
ACCOUNTS = Table(
    "gemini_accounts",
    _METADATA,
    Column("name", String(64), primary_key=True),
    Column("secure_1psid", Text, nullable=False),
    Column("secure_1psidts", Text),
    Column("proxy", Text),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False, default=1),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def _secret(value: str | None) -> SecretStr | None:
    return None if value is None else SecretStr(value)


class SecretKeyError(Exception):
    """The secret key is missing, malformed, or not the one the accounts were stored with."""


@dataclass(frozen=True)
class StoredAccount:
    settings: AccountSettings
    disabled: bool
    version: int
    updated_at: datetime


def _cipher(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except ValueError:
        raise SecretKeyError(
            "database.secret_key is not a Fernet key (32 url-safe base64 bytes); make one with "
            "gemini-proxy accounts new-key"
        ) from None


class AccountStore:
    def __init__(self, url: str, secret_key: str | None) -> None:
        self._db = Database(url)
        self._cipher = _cipher(secret_key) if secret_key else None

    @property
    def writable(self) -> bool:
        """Without a secret key accounts cannot be stored (they are never kept in clear)."""
        return self._cipher is not None

    def create_schema(self) -> None:
        self._db.create_tables(_METADATA)

    def close(self) -> None:
        self._db.engine.dispose()

    def _encrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        if self._cipher is None:
            raise SecretKeyError(
                "set database.secret_key (GEMINI_PROXY_SECRET_KEY) to store accounts"
            )
        return self._cipher.encrypt(value.encode()).decode()

    def _decrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        if self._cipher is None:
            raise SecretKeyError(
                "accounts are stored in the database but database.secret_key "
                "(GEMINI_PROXY_SECRET_KEY) is not set"
            )
        try:
            return self._cipher.decrypt(value.encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                "database.secret_key does not decrypt the stored accounts: it is not the key "
                "they were stored with"
            ) from None

    def list(self) -> list[StoredAccount]:
        with self._db.read() as conn:
            rows = conn.execute(select(ACCOUNTS).order_by(ACCOUNTS.c.name)).all()
        return [
            StoredAccount(
                AccountSettings(
                    name=row.name,
                    secure_1psid=SecretStr(self._decrypt(row.secure_1psid) or ""),
                    secure_1psidts=_secret(self._decrypt(row.secure_1psidts)),
                    proxy=self._decrypt(row.proxy),
                ),
                disabled=row.disabled,
                version=row.version,
                updated_at=row.updated_at,
            )
            for row in rows
        ]

    def get(self, name: str) -> StoredAccount | None:
        return next((a for a in self.list() if a.settings.name == name), None)

    def _values(self, account: AccountSettings) -> dict[str, object]:
        psidts = account.secure_1psidts
        return {
            "secure_1psid": self._encrypt(account.secure_1psid.get_secret_value()),
            "secure_1psidts": self._encrypt(psidts.get_secret_value() if psidts else None),
            "proxy": self._encrypt(account.proxy),
            "updated_at": datetime.now(UTC),
        }

    def put(self, account: AccountSettings, *, only_if_new: bool = False) -> bool:
        """Add `account`, or replace its cookies (and proxy); False when `only_if_new` and it
        exists already."""
        values = self._values(account)
        try:
            with self._db.write() as conn:
                return self._put(conn, account.name, values, only_if_new)
        except IntegrityError:  # another replica inserted it between our read and write
            if only_if_new:
                return False
            raise

    def _put(
        self, conn: Connection, name: str, values: dict[str, object], only_if_new: bool
    ) -> bool:
        exists = conn.scalar(select(ACCOUNTS.c.version).where(ACCOUNTS.c.name == name))
        if exists is None:
            conn.execute(insert(ACCOUNTS).values(name=name, disabled=False, **values))
            return True
        if only_if_new:
            return False
        conn.execute(
            update(ACCOUNTS)
            .where(ACCOUNTS.c.name == name)
            .values(version=ACCOUNTS.c.version + 1, **values)
        )
        return True

    def set_psidts(self, name: str, psidts: str, version: int) -> bool:
        """Write a rotated cookie over `version`; False when the row changed since."""
        with self._db.write() as conn:
            changed = conn.execute(
                update(ACCOUNTS)
                .where(ACCOUNTS.c.name == name, ACCOUNTS.c.version == version)
                .values(
                    secure_1psidts=self._encrypt(psidts),
                    version=version + 1,
                    updated_at=datetime.now(UTC),
                )
            ).rowcount
        return bool(changed)

    def set_disabled(self, name: str, disabled: bool) -> bool:
        with self._db.write() as conn:
            return bool(
                conn.execute(
                    update(ACCOUNTS)
                    .where(ACCOUNTS.c.name == name)
                    .values(disabled=disabled, version=ACCOUNTS.c.version + 1)
                ).rowcount
            )

    def delete(self, name: str) -> bool:
        with self._db.write() as conn:
            return bool(conn.execute(delete(ACCOUNTS).where(ACCOUNTS.c.name == name)).rowcount)

    def version(self, name: str) -> int | None:
        with self._db.read() as conn:
            found = conn.scalar(select(ACCOUNTS.c.version).where(ACCOUNTS.c.name == name))
        return None if found is None else int(found)

    def count(self) -> int:
        with self._db.read() as conn:
            return int(conn.scalar(select(func.count()).select_from(ACCOUNTS)) or 0)
