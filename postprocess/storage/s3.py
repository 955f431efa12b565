"""Images in any S3-compatible object store (AWS S3, Cloudflare R2, MinIO, ...) via boto3."""

import asyncio
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..naming import is_stored_name
from .base import StorageError, check_name

AddressingStyle = Literal["auto", "path", "virtual"]


class S3Storage:
    """Objects `{prefix}/{name}` in `bucket`; URL = `{public_url_base}/{key}` when configured,
    else the object's URL on the endpoint (which must then allow anonymous reads).

    Credentials arrive already resolved (the proxy expands `os.environ/...`); None lets boto3
    use its default chain. No error message ever contains them.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        prefix: str = "",
        public_url_base: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        addressing_style: AddressingStyle = "auto",
        acl: str | None = None,
        timeout: float = 30.0,
        max_attempts: int = 3,
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url.rstrip("/") if endpoint_url else None
        self.region = region or "us-east-1"
        self.prefix = prefix.strip("/")
        self.public_url_base = public_url_base.rstrip("/") if public_url_base else None
        self.addressing_style = addressing_style
        self.acl = acl  # e.g. "public-read" for stores with ACLs; R2 has none
        self._secrets = [secret for secret in (access_key_id, secret_access_key) if secret]
        config = Config(
            s3={"addressing_style": addressing_style},
            retries={"total_max_attempts": max_attempts, "mode": "standard"},
            connect_timeout=timeout,
            read_timeout=timeout,
            # Newer botocore adds CRC checksums that several S3-compatible stores reject.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._client = boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=config,
        )

    def key(self, name: str) -> str:
        check_name(name)
        return f"{self.prefix}/{name}" if self.prefix else name

    def url(self, name: str) -> str:
        key = quote(self.key(name))
        if self.public_url_base:
            return f"{self.public_url_base}/{key}"
        endpoint = self.endpoint_url or f"https://s3.{self.region}.amazonaws.com"
        if self.addressing_style == "path" or (
            self.addressing_style == "auto" and self.endpoint_url
        ):
            return f"{endpoint}/{self.bucket}/{key}"
        scheme, host, path, _, _ = urlsplit(endpoint)
        return urlunsplit((scheme, f"{self.bucket}.{host}", f"{path}/{key}", "", ""))

    async def put(self, name: str, data: bytes, content_type: str, base_url: str) -> str:
        key = self.key(name)
        extra: dict[str, Any] = {"ACL": self.acl} if self.acl else {}
        await self._call(
            "upload",
            key,
            lambda: self._client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, **extra
            ),
        )
        return self.url(name)

    async def forget_before(self, moment: float, prefix: str) -> int:
        """(A bucket lifecycle rule does the same on the provider's side, where one is
        available.)"""
        folder = self.key(prefix) + "/" if prefix else (f"{self.prefix}/" if self.prefix else "")
        return int(await self._call("cleanup", folder, lambda: self._forget_before(folder, moment)))

    def _forget_before(self, folder: str, moment: float) -> int:
        gone = 0
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=folder
        )
        for page in pages:
            old = [
                {"Key": item["Key"]}
                for item in page.get("Contents", [])
                if is_stored_name(item["Key"].rsplit("/", 1)[-1])
                and item["LastModified"].timestamp() < moment
            ]
            if old:
                answer = self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": old})
                gone += len(answer.get("Deleted", []))
        return gone

    async def _call(self, action: str, key: str, operation: Callable[[], Any]) -> Any:
        try:
            return await asyncio.to_thread(operation)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            reason = f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
        except BotoCoreError as exc:
            reason = type(exc).__name__ + ": " + str(exc)
        # `from None`: the botocore exception keeps the request, which may carry credentials.
        message = f"S3 {action} of {key!r} (bucket {self.bucket!r}) failed: {reason}"
        raise StorageError(self._scrub(message)) from None

    def _scrub(self, message: str) -> str:
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return message
