"""The shared automation: one condition that refreshes the catalogues, and the sensor evaluating it."""

import dagster as dg

REFRESH_ON_ANY_PARTITION = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())

automation_sensor = dg.AutomationConditionSensorDefinition(
    name="automation_sensor",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Refreshes tomogram_catalog and merged_metadata when any partition changes.",
)
