"""A real S3-compatible server for tests (moto's standalone server on a free port), with a
publicly readable bucket `images` and a bucket `locked` that refuses writes."""

import json
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

ACCESS_KEY = "AKIATESTKEY0000SECRET"
SECRET_KEY = "s3cr3t/test+key/ABCDEFGHIJKLMNOPQRSTUV"
BUCKET = "images"


@pytest.fixture(scope="session")
def endpoint() -> Iterator[str]:
    """A real S3-compatible HTTP server (moto) on a free port, with a publicly readable bucket
    and one that refuses writes."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    for bucket, effect, action in ((BUCKET, "Allow", "GetObject"), ("locked", "Deny", "PutObject")):
        client.create_bucket(Bucket=bucket)
        statement = {
            "Effect": effect,
            "Principal": "*",
            "Action": f"s3:{action}",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    yield url
    server.stop()
