"""`scripts/deploy`: flags with environment defaults, then the pipeline, then the summary."""

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from ecs_deploy import aws, pipeline
from ecs_deploy.clock import Clock
from ecs_deploy.config import Config, ImageRef, usage
from ecs_deploy.outcome import DeployError, Summary, exit_code_table

ROOT = Path(__file__).resolve().parents[2]
DESCRIPTION = """\
Deploy a users-service image to an environment's ECS service. Every name comes from the
environment's service stack (users-ENV-service): it fills ecs_taskdefinition.json and
infra/ecs-service.json. Preflight checks the image, cluster, service, target groups,
capacity and alarms and makes every read the rollout needs once; then the service and
migration revisions are registered, the migration runs as a gate, the service is
created or updated, and ECS's record of that deployment is followed until it succeeds
with the new tasks healthy behind the load balancer and the old ones drained. On
timeout, ECS is asked to roll back. On success, old revisions are deregistered.
Progress goes to stderr; a JSON summary is the last line of stdout. Each flag
defaults to the environment variable named beside it."""

# flag, environment variable, help; the flags without a default are required.
OPTIONS = [
    ("--environment", "DEPLOY_ENVIRONMENT", "staging or production: names the stacks and all"),
    ("--image", "DEPLOY_IMAGE", "REPO_URI@sha256:DIGEST (or give --repository and --digest)"),
    ("--repository", "DEPLOY_REPOSITORY", "ECR repository URI, HOST/NAME, with --digest"),
    ("--digest", "DEPLOY_DIGEST", "image digest sha256:<64 hex>, with --repository"),
    ("--commit", "DEPLOY_COMMIT", "git sha of the build; tags the new revisions"),
    ("--template", "DEPLOY_TEMPLATE", "task definition template (default ecs_taskdefinition.json)"),
    (
        "--service-template",
        "DEPLOY_SERVICE_TEMPLATE",
        "service definition template (default infra/ecs-service.json)",
    ),
    ("--region", "AWS_REGION", "AWS region (also AWS_DEFAULT_REGION)"),
    ("--keep-revisions", "DEPLOY_KEEP_REVISIONS", "ACTIVE revisions to keep (default 5)"),
    ("--timeout", "DEPLOY_TIMEOUT", "rollout timeout in seconds (default: derived, printed)"),
    ("--migration-timeout", "DEPLOY_MIGRATION_TIMEOUT", "migration timeout (default 900 s)"),
    ("--poll-seconds", "DEPLOY_POLL_SECONDS", "seconds between polls (default 10)"),
    ("--endpoint-url", "AWS_ENDPOINT_URL", "send every AWS call there (moto in tests)"),
    ("--summary-file", "DEPLOY_SUMMARY_FILE", "also write the JSON summary to this file"),
]
REQUIRED = ["environment", "commit", "region"]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="scripts/deploy",
        description=DESCRIPTION,
        epilog=f"exit codes:\n{exit_code_table()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for flag, env, text in OPTIONS:
        default = os.environ.get(env)
        if env == "AWS_REGION":
            default = default or os.environ.get("AWS_DEFAULT_REGION")
        required = " (required)" if flag[2:].replace("-", "_") in REQUIRED else ""
        parser.add_argument(flag, default=default, help=f"{text}{required} [env {env}]")
    return parser


class Parser(argparse.ArgumentParser):
    """Bad flags end like every other usage error: exit 2 and a JSON summary."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise usage(message)


def to_config(args: argparse.Namespace) -> Config:
    missing = [f"--{name.replace('_', '-')}" for name in REQUIRED if not getattr(args, name)]
    if missing:
        raise usage(f"missing {', '.join(missing)} (flags or their environment variables)")
    try:
        return Config(
            **{name: getattr(args, name) for name in REQUIRED},
            image=image_of(args),
            template=Path(args.template) if args.template else ROOT / "ecs_taskdefinition.json",
            service_template=Path(args.service_template or ROOT / "infra/ecs-service.json"),
            keep_revisions=int(args.keep_revisions or 5),
            timeout=float(args.timeout) if args.timeout else None,
            migration_timeout=float(args.migration_timeout or 900),
            endpoint_url=args.endpoint_url or None,
            poll_seconds=float(args.poll_seconds or 10),
            summary_file=Path(args.summary_file) if args.summary_file else None,
        )
    except ValueError as error:
        raise usage(f"not a number: {error}") from error


def image_of(args: argparse.Namespace) -> ImageRef:
    if args.image and (args.repository or args.digest):
        raise usage("give --image, or --repository with --digest, not both")
    if args.image:
        return ImageRef.parse(args.image)
    if args.repository and args.digest:
        return ImageRef.of(args.repository, args.digest)
    raise usage("missing the image: --image REPO_URI@sha256:DIGEST, or --repository and --digest")


def main(
    argv: Sequence[str] | None = None,
    *,
    make_clients: Callable[[str, str | None], Any] = aws.make_clients,
    clock: Clock | None = None,
) -> int:
    try:
        config = to_config(build_parser().parse_args(argv))
    except DeployError as failure:
        summary = Summary()
        summary.end(failure.outcome, str(failure))
        print(f"deploy: {failure}", file=sys.stderr)
        return publish(summary, None)
    clients = make_clients(config.region, config.endpoint_url)
    return publish(pipeline.run(config, clients, clock or Clock()), config.summary_file)


def publish(summary: Summary, path: Path | None) -> int:
    document = summary.to_json()
    if path is not None:
        path.write_text(document + "\n")
    print(document, flush=True)
    return summary.outcome.code
