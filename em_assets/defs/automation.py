"""The one automation sensor of the code location: keeps the catalogues up to date."""

import dagster as dg

automation_sensor = dg.AutomationConditionSensorDefinition(
    name="automation_sensor",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Refreshes tomogram_catalog and merged_metadata when any partition changes.",
)
