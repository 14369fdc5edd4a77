"""The run tags em-assets sets or reads, each under one name."""

SOURCE_TAG = "em_assets/source"

# Dagster's daemon tags sensor runs with these two; dagster exports no public name for them, so they are
# spelled here, in one place, to tag in-process runs exactly as the daemon would.
RUN_KEY_TAG = "dagster/run_key"
SENSOR_NAME_TAG = "dagster/sensor_name"
