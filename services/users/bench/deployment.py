"""What an environment runs (production, for the capacity plan), read from the files that
deploy it: the task definition, the service definition, the cluster's and the database's
templates, the environment's parameters and the service's settings. tests/test_capacity.py
reads them the same way."""

import json
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

from users_service.config import Settings

from .capacity import Deployment  # relative: the tests import this module by its full path

ROOT = Path(__file__).resolve().parents[3]


def read(environment: str = "production") -> Deployment:
    task = _json("ecs_taskdefinition.json")
    container = task["containerDefinitions"][0]
    task_env = {e["name"]: e["value"] for e in container["environment"]}
    cluster, scaling, database = (_template(n) for n in ("cluster", "scaling", "database"))
    service = _json("infra/ecs-service.json")
    values = _json(f"infra/parameters/{environment}.json")["Parameters"]

    def parameter(template: Any, name: str) -> str:
        """The environment's parameter file's value, else the template's default."""
        return str(values.get(name, template["Parameters"][name].get("Default")))

    return Deployment(
        task_cpu_units=int(task.get("cpu") or container["cpu"]),
        workers_per_task=int(task_env["WEB_CONCURRENCY"]),
        connections_per_worker=sum(
            _setting(name, task_env) for name in ("db_pool_size", "db_max_overflow")
        ),
        instance_cpu_units={
            name: int(sizes["CpuUnits"])
            for name, sizes in cluster["Mappings"]["InstanceTypes"].items()
        },
        instance_type=parameter(cluster, "InstanceType"),
        cpu_target=int(parameter(scaling, "CpuTargetPercent")) / 100,
        min_tasks=int(parameter(scaling, "MinTaskCount")),
        max_tasks=int(parameter(scaling, "MaxTaskCount")),
        min_instances=int(parameter(cluster, "MinSize")),
        deploy_peak_percent=int(service["deploymentConfiguration"]["maximumPercent"]),
        database_class=parameter(database, "InstanceClass"),
        multi_az=parameter(database, "MultiAz") == "true",
    )


def _json(path: str) -> Any:
    return json.loads((ROOT / path).read_text())


def _template(name: str) -> Any:
    path = ROOT / "infra" / f"{name}.yaml"
    return cfn_yaml.loads(path.read_text(), str(path))


def _setting(name: str, task_env: dict[str, str]) -> int:
    """The task definition's value, else the service's default."""
    return int(task_env.get(name.upper(), Settings.model_fields[name].default))
