"""URLs in Dagster metadata as short markdown links, not raw values that overflow the metadata table."""

from __future__ import annotations

import dagster as dg

from em_assets.core.render import markdown_link
from em_assets.core.tomograms.record import TomogramRecord


def links_as_markdown(metadata: dict[str, object]) -> dict[str, object]:
    """`metadata` with every http(s) URL value shown as a short markdown link named after its key."""
    return {
        name: dg.MetadataValue.md(markdown_link(value, name))
        if isinstance(value, str) and value.startswith(("http://", "https://"))
        else value
        for name, value in metadata.items()
    }


def public_url_link(record: TomogramRecord) -> dict[str, dg.MetadataValue]:
    """A `public_url` entry linking the tomogram's public zarr, when it has one."""
    return {"public_url": dg.MetadataValue.md(markdown_link(record.public_url, "public zarr"))} if record.public_url else {}
