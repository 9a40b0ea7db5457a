"""scripts/push-image can be re-run: an image already in ECR under its tag is not pushed
again, and another image under that immutable tag is refused. ECR is a botocore Stubber
(requests and replies checked against ECR's model); docker is a recorded stand-in."""

import importlib.machinery
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

ROOT = Path(__file__).resolve().parent.parent
REPOSITORY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/users-staging"
TAG = "3f3d3bb"
CONFIG_DIGEST = "sha256:" + "c" * 64
MANIFEST_DIGEST = "sha256:" + "m" * 64


def load_script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("push_image", str(ROOT / "scripts/push-image"))
    spec = importlib.util.spec_from_loader("push_image", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


class Docker:
    """The docker CLI as push-image uses it: records each call, answers inspections."""

    def __init__(self, local_id: str) -> None:
        self.local_id = local_id
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, *args: str, stdin: str | None = None) -> str:
        self.calls.append(args)
        if args[:2] == ("image", "inspect") and args[3] == "{{.Id}}":
            return self.local_id + "\n"
        if args[:2] == ("image", "inspect"):
            return json.dumps([f"{REPOSITORY}@{MANIFEST_DIGEST}"])
        return ""

    def pushed(self) -> bool:
        return ("push", f"{REPOSITORY}:{TAG}") in self.calls


@pytest.fixture
def ecr(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    client = boto3.client(
        "ecr", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    monkeypatch.setattr(boto3, "client", lambda *_args, **_kwargs: client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def expect_tag(ecr: Stubber, images: list[dict[str, Any]]) -> None:
    ecr.add_response(
        "batch_get_image",
        {"images": images, "failures": []},
        {"repositoryName": "users-staging", "imageIds": [{"imageTag": TAG}]},
    )


def held_image(config_digest: str) -> dict[str, Any]:
    manifest = {"schemaVersion": 2, "config": {"digest": config_digest}, "layers": []}
    return {
        "registryId": "123456789012",
        "repositoryName": "users-staging",
        "imageId": {"imageDigest": MANIFEST_DIGEST, "imageTag": TAG},
        "imageManifest": json.dumps(manifest),
    }


def run(
    monkeypatch: pytest.MonkeyPatch, docker: Docker, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    script = load_script()
    monkeypatch.setattr(script, "docker", docker)
    code = script.main([f"users-service:{TAG}", REPOSITORY])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_new_tag_is_pushed_and_its_digest_printed(
    ecr: Stubber, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_tag(ecr, [])
    token = "QVdTOnNlY3JldA=="  # base64("AWS:secret")
    ecr.add_response(
        "get_authorization_token",
        {"authorizationData": [{"authorizationToken": token, "proxyEndpoint": "https://x"}]},
        {},
    )
    docker = Docker(CONFIG_DIGEST)
    code, out, _ = run(monkeypatch, docker, capsys)
    assert code == 0
    assert docker.pushed()
    assert out.strip() == f"{REPOSITORY}@{MANIFEST_DIGEST}"


def test_the_same_image_under_an_existing_tag_is_not_pushed_again(
    ecr: Stubber, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_tag(ecr, [held_image(CONFIG_DIGEST)])
    docker = Docker(CONFIG_DIGEST)
    code, out, _ = run(monkeypatch, docker, capsys)
    assert code == 0
    assert not docker.pushed()
    assert out.strip() == f"{REPOSITORY}@{MANIFEST_DIGEST}"


def test_another_image_under_an_existing_tag_is_refused(
    ecr: Stubber, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_tag(ecr, [held_image(CONFIG_DIGEST)])
    docker = Docker("sha256:" + "d" * 64)
    code, out, err = run(monkeypatch, docker, capsys)
    assert code == 3
    assert not docker.pushed()
    assert out == ""
    assert CONFIG_DIGEST in err
    assert "d" * 64 in err
