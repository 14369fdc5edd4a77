"""The store resource: where landing folders and asset outputs live."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from em_assets.core.storage import StoreLayout, default_home


class StoreResource(dg.ConfigurableResource):
    """EM_ASSETS_HOME: `landing/` for the sensors, `store/<asset>/<partition>/` for the assets."""

    home: str = ""

    @property
    def layout(self) -> StoreLayout:
        """The folder layout below the configured home (EM_ASSETS_HOME, else the checkout's data/)."""
        return StoreLayout(Path(self.home).resolve() if self.home else default_home())


@dg.definitions
def store_resources() -> dg.Definitions:
    """Bind the store resource under the key `store`."""
    return dg.Definitions(resources={"store": StoreResource()})
