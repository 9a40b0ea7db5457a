"""The CI pipelines (.travis.yml, .github/workflows/): valid against their published schemas,
and shaped as the README says: tests everywhere, a release that can fail the build, no secret,
least privilege, pinned actions."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TRAVIS = ROOT / ".travis.yml"
WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
# Credentials in any of their usual spellings; the pipelines must only name variables.
SECRET_LOOKING = re.compile(
    r"AKIA[0-9A-Z]{16}|aws_secret_access_key\s*[:=]\s*\S|password\s*[:=]\s*\S", re.IGNORECASE
)


def load(path: Path) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(path.read_text())
    return loaded


@pytest.mark.parametrize(
    ("schema", "path"),
    [("vendor.travis", TRAVIS)] + [("vendor.github-workflows", path) for path in WORKFLOWS],
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_pipelines_match_their_published_schemas(schema: str, path: Path) -> None:
    result = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_travis_only_tests_so_exactly_one_pipeline_releases() -> None:
    travis = load(TRAVIS)
    assert "stages" not in travis
    jobs = [(job["stage"], job["script"]) for job in travis["jobs"]["include"]]
    assert jobs == [("test", "scripts/ci-in-debian")]
    assert "release" not in TRAVIS.read_text().split("Releases are")[0]
    assert "deploy" not in travis


def test_github_runs_the_same_commands_with_least_privilege() -> None:
    (workflow,) = (load(path) for path in WORKFLOWS)
    assert workflow["permissions"] == {"contents": "read"}
    test, release = workflow["jobs"]["test"], workflow["jobs"]["release"]
    assert [step.get("run") for step in test["steps"]][-1] == "scripts/ci-in-debian"
    assert release["needs"] == "test"
    assert "staging" in release["if"]
    assert "production" in release["if"]
    assert release["permissions"] == {"contents": "read", "id-token": "write"}
    # No GitHub environment: the OIDC sub claim must name the branch the role trusts.
    assert "environment" not in release
    assert release["env"]["DEPLOY_ENVIRONMENT"] == "${{ github.ref_name }}"
    assert release["steps"][-1]["run"].startswith("make release ")
    assert "permissions" not in test  # the read-only default above


def test_github_actions_are_pinned_to_commits_and_aws_access_is_oidc() -> None:
    (workflow,) = (load(path) for path in WORKFLOWS)
    uses = [
        step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step
    ]
    assert uses
    assert all(PINNED.match(action) for action in uses), uses
    aws = next(
        s
        for s in workflow["jobs"]["release"]["steps"]
        if "configure-aws-credentials" in s.get("uses", "")
    )
    assert "role-to-assume" in aws["with"]
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(aws["with"])


def test_no_secret_in_any_pipeline() -> None:
    for path in [TRAVIS, *WORKFLOWS]:
        assert not SECRET_LOOKING.search(path.read_text()), path
        assert "secrets." not in path.read_text(), f"{path}: credentials come from OIDC or settings"


def test_both_pipelines_run_ci_s_own_command() -> None:
    wrapper = (ROOT / "scripts/ci-in-debian").read_text()
    assert "bash .ci/run" in wrapper
    assert "--env CI=true" in wrapper
