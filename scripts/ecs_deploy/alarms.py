"""The service's deployment alarms: they must exist, and their windows make ECS's bake time.

After a rolling deployment reaches steady state ECS keeps watching its alarms for a bake time
it derives from their configuration and that cannot be set; the budget counts the longest
alarm window, period x evaluation periods, as that bake time.
"""

from typing import Any

from ecs_deploy.clock import say
from ecs_deploy.outcome import DeployError, Outcome


def names(definition: dict[str, Any]) -> list[str]:
    alarms = definition.get("deploymentConfiguration", {}).get("alarms", {})
    return list(alarms.get("alarmNames", [])) if alarms.get("enable") else []


def bake_seconds(cloudwatch: Any, alarm_names: list[str]) -> int:
    if not alarm_names:
        return 0
    found = cloudwatch.describe_alarms(AlarmNames=alarm_names)["MetricAlarms"]
    missing = sorted(set(alarm_names) - {a["AlarmName"] for a in found})
    if missing:
        raise DeployError(Outcome.PREFLIGHT_FAILED, f"deployment alarms missing: {missing}")
    for alarm in found:
        if alarm["StateValue"] == "ALARM":
            say(f"alarm {alarm['AlarmName']} is in ALARM: ECS ignores alarms for this deployment")
    return max(window(a) for a in found)


def window(alarm: dict[str, Any]) -> int:
    periods = [m["MetricStat"]["Period"] for m in alarm.get("Metrics", []) if "MetricStat" in m]
    period = alarm.get("Period") or max(periods, default=60)
    return int(period * alarm["EvaluationPeriods"])
