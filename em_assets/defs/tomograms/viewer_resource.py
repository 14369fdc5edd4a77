"""The Neuroglancer viewer resource: where shareable URLs point and where local data is served."""

import dagster as dg

from em_assets.core.neuroglancer import DEFAULT_URL_PREFIX

DEFAULT_LOCAL_DATA_URL = "http://127.0.0.1:8765"


class NeuroglancerResource(dg.ConfigurableResource):
    """The viewer app URLs open in, and the base URL `em-assets view` serves the store at."""

    url_prefix: str = DEFAULT_URL_PREFIX
    local_data_url: str = DEFAULT_LOCAL_DATA_URL

    def local_source(self, relative_path: str) -> str:
        """The zarr layer source of a store path served by `em-assets view`."""
        return f"zarr://{self.local_data_url.rstrip('/')}/{relative_path.lstrip('/')}"


@dg.definitions
def viewer_resources() -> dg.Definitions:
    """Bind the viewer resource under the key `neuroglancer`, overridable from the environment."""
    return dg.Definitions(
        resources={
            "neuroglancer": NeuroglancerResource(
                url_prefix=dg.EnvVar("EM_ASSETS_NEUROGLANCER_URL").get_value(DEFAULT_URL_PREFIX),
                local_data_url=dg.EnvVar("EM_ASSETS_LOCAL_DATA_URL").get_value(DEFAULT_LOCAL_DATA_URL),
            )
        }
    )
