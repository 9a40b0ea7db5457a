"""What production runs, for the capacity plan, read from the files that deploy it: the task
definition, the service definition, the cluster's and the database's templates, the
production parameters and the service's settings."""

import json
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

from bench.capacity import Deployment
from users_service.config import Settings

ROOT = Path(__file__).resolve().parents[3]
ENVIRONMENT = "production"


def read() -> Deployment:
    task = _json("ecs_taskdefinition.json")
    container = task["containerDefinitions"][0]
    environment = {e["name"]: e["value"] for e in container["environment"]}
    cluster, scaling, database = (_template(n) for n in ("cluster", "scaling", "database"))
    service = _json("infra/ecs-service.json")
    return Deployment(
        task_cpu_units=int(task.get("cpu") or container["cpu"]),
        workers_per_task=int(environment["WEB_CONCURRENCY"]),
        connections_per_worker=sum(
            _setting(name, environment) for name in ("db_pool_size", "db_max_overflow")
        ),
        instance_cpu_units={
            name: int(sizes["CpuUnits"])
            for name, sizes in cluster["Mappings"]["InstanceTypes"].items()
        },
        instance_type=_parameter(cluster, "InstanceType"),
        cpu_target=int(_parameter(scaling, "CpuTargetPercent")) / 100,
        min_tasks=int(_parameter(scaling, "MinTaskCount")),
        max_tasks=int(_parameter(scaling, "MaxTaskCount")),
        min_instances=int(_parameter(cluster, "MinSize")),
        deploy_peak_percent=int(service["deploymentConfiguration"]["maximumPercent"]),
        database_class=_parameter(database, "InstanceClass"),
        multi_az=_parameter(database, "MultiAz") == "true",
    )


def _json(path: str) -> Any:
    return json.loads((ROOT / path).read_text())


def _template(name: str) -> Any:
    path = ROOT / "infra" / f"{name}.yaml"
    return cfn_yaml.loads(path.read_text(), str(path))


def _parameter(template: Any, name: str) -> str:
    """The production parameter file's value, else the template's default."""
    values = _json(f"infra/parameters/{ENVIRONMENT}.json")["Parameters"]
    return str(values.get(name, template["Parameters"][name].get("Default")))


def _setting(name: str, environment: dict[str, str]) -> int:
    """The task definition's value, else the service's default."""
    return int(environment.get(name.upper(), Settings.model_fields[name].default))
