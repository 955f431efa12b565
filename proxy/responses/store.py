"""Stored Responses: what `previous_response_id`, `GET` and `DELETE /v1/responses/{id}` read.

A row keeps the response document and the conversation it ends (the input items of every
turn so far, then its output items), so the next turn continues from it without walking a
chain. Same database as the job store (`database_url`); the table is created at start-up, and
rows older than `jobs.retention_days` are removed with the job records.
"""

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlmodel import Field, SQLModel

from proxy.jobs.columns import JSONType, UTCDateTime
from proxy.jobs.engine import Database


class StoredResponse(SQLModel, table=True):
    __tablename__ = "responses"

    id: str = Field(primary_key=True, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    body: dict[str, Any] = Field(sa_type=JSONType)
    conversation: list[Any] = Field(sa_type=JSONType)


RESPONSES: Table = StoredResponse.__table__  # type: ignore[attr-defined]


class ResponseStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def create_schema(self) -> None:
        await asyncio.to_thread(self._create_schema)

    def _create_schema(self) -> None:
        self._db.create_tables(StoredResponse.metadata, [RESPONSES])

    async def save(self, body: dict[str, Any], conversation: list[Any]) -> None:
        row = {"id": body["id"], "created_at": datetime.now(UTC), "body": body,
               "conversation": conversation}  # fmt: skip
        await asyncio.to_thread(self._write, insert(RESPONSES).values(**row))

    async def body(self, response_id: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self._read, RESPONSES.c.body, response_id)

    async def conversation(self, response_id: str) -> list[Any] | None:
        return await asyncio.to_thread(self._read, RESPONSES.c.conversation, response_id)

    async def delete(self, response_id: str) -> bool:
        statement = delete(RESPONSES).where(RESPONSES.c.id == response_id)
        return bool(await asyncio.to_thread(self._write, statement))

    async def forget_before(self, moment: datetime) -> int:
        """Remove the responses stored before `moment`; how many went."""
        statement = delete(RESPONSES).where(RESPONSES.c.created_at < moment)
        return await asyncio.to_thread(self._write, statement)

    def _read(self, column: Any, response_id: str) -> Any:
        with self._db.read() as conn:
            return conn.execute(select(column).where(RESPONSES.c.id == response_id)).scalar()

    def _write(self, statement: Any) -> int:
        with self._db.write() as conn:
            return conn.execute(statement).rowcount
