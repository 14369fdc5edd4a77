"""The store contract: where every asset's folder and artefact file lives below EM_ASSETS_HOME.

This module is the one place that names asset folders and artefact files; assets, the catalogue, the
command line and the tests all ask a `StoreLayout` for a path instead of spelling it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from em_assets.core.errors import InputError

PARTITION_KEY_PATTERN = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")

TOMOGRAM_ZARR = "tomogram.zarr"
TOMOGRAM_RECORD = "info.json"
LIMITS_FILE = "limits.json"
CONTRAST_PLOT = "contrast.png"
CONTRAST_SLICES = "contrast_slices.png"  # the central slice drawn with each method's limits
CENTRAL_SLICES = "central_slices.png"  # raw_tomogram: central xy and xz slices, robust percentiles
STATE_FILE = "state.json"
URL_FILE = "url.txt"
PAIRING_FILE = "pairing.json"
MANIFEST_FILE = "manifest.json"
MONTAGE_FILE = "montage.png"
META_FILE = "meta.csv"
PARTITION_KEY_RULE = "allowed names match [A-Za-z0-9][A-Za-z0-9._-]{0,127}"
PUBLISHED_MANIFEST = "published.json"  # on an object store: which version of a folder is published
VERSIONS_FOLDER = ".versions"  # on an object store: the written versions of a folder
STORE_URL_VARIABLE = "EM_ASSETS_STORE"
PORTAL_CACHE = "cache"  # below home: local portal mirrors when the store is an object store


def is_valid_partition_key(key: object) -> bool:
    """Whether `key` is safe as a path part: the pattern, and no '..' anywhere in it.

    Parameters
    ----------
    key : object
        A would-be partition key, dataset name or synapse id.

    Returns
    -------
    bool
        True for 1-128 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit and
        holding no '..'; False for anything else (non-strings included).
    """
    return isinstance(key, str) and PARTITION_KEY_PATTERN.fullmatch(key) is not None and ".." not in key
LINEAGE_FILE = "lineage.json"
FAILURES_DIR = ".failures"
LOCKS_DIR = ".locks"


def validate_partition_key(key: str) -> str:
    """Return `key` if it is safe as a path part.

    Parameters
    ----------
    key : str
        A partition key (tomogram or EM dataset name).

    Returns
    -------
    str
        `key`, unchanged.

    Raises
    ------
    InputError
        If `key` is not 1-128 letters, digits, '.', '_' or '-' starting with a letter or digit, or
        holds '..'.
    """
    if not is_valid_partition_key(key):
        raise InputError(
            ascii(key),
            "not a valid partition key: use 1-128 ASCII letters, digits, '.', '_' or '-', "
            "starting with a letter or digit, without '..'",
        )
    return key


def is_url(root: str | Path) -> bool:
    """Whether `root` names an object store (``scheme://...``) rather than a local folder.

    Parameters
    ----------
    root : str or Path
        A store root: a folder or a URL.

    Returns
    -------
    bool
        True if its text contains `://`.
    """
    return "://" in str(root)


def checkout_root() -> Path | None:
    """The source checkout em_assets runs from (the folder with its pyproject.toml), or None if installed.

    Returns
    -------
    Path or None
        The checkout's root folder, or None when em_assets is installed as a package.
    """
    root = Path(__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "em-assets"' in pyproject.read_text():
        return root
    return None


def default_home() -> Path:
    """The home folder: EM_ASSETS_HOME, else the source checkout's `data/` folder, never the cwd.

    Returns
    -------
    Path
        The absolute home folder (it may not exist yet).

    Raises
    ------
    InputError
        If EM_ASSETS_HOME is unset and em_assets is installed rather than run from a checkout.
    """
    configured = os.environ.get("EM_ASSETS_HOME")
    if configured:
        return Path(configured).expanduser().resolve()
    root = checkout_root()
    if root is None:
        raise InputError("EM_ASSETS_HOME", "not set: point it at the folder holding landing/ and store/")
    return root / "data"


def configured_layout(home: Path | None = None) -> StoreLayout:
    """The layout below `home` (default: `default_home()`) with the store root EM_ASSETS_STORE names, if set.

    Parameters
    ----------
    home : Path or None
        The home folder; None for `default_home()`.

    Returns
    -------
    StoreLayout
        Landing below `home`; the store at EM_ASSETS_STORE (a shared folder or s3:// URL), else home/store.
    """
    return StoreLayout(home or default_home(), os.environ.get(STORE_URL_VARIABLE, ""))


@dataclass(frozen=True)
class StoreLayout:
    """Where landing folders and asset outputs live below one home folder."""

    home: Path
    store_url: str = ""

    @property
    def landing(self) -> Path:
        """The folder the sensors watch."""
        return self.home / "landing"

    @property
    def tomogram_landing(self) -> Path:
        """Landing folder for OME-Zarr and MRC tomograms."""
        return self.landing / "tomograms"

    @property
    def em_landing(self) -> Path:
        """Landing folder for synapse EM datasets (one sub-folder per dataset)."""
        return self.landing / "em"

    def em_dataset_landing(self, key: str) -> Path:
        """The landing folder of EM dataset `key` (validated before the path is built)."""
        return self.em_landing / validate_partition_key(key)

    @property
    def store(self) -> Path:
        """The folder assets write to: `store_url` (a shared folder or s3:// URL) if set, else home/store."""
        if self.store_url:
            from em_assets.core.shared_store import store_root

            return store_root(self.store_url)
        return self.home / "store"

    def _asset_dir(self, asset: str, partition: str | None = None) -> Path:
        base = self.store / asset
        return base if partition is None else base / validate_partition_key(partition)

    def relative(self, path: Path) -> str:
        """`path` relative to the store root, with forward slashes (how layer sources and tables name it)."""
        return path.relative_to(self.store).as_posix()

    def published(self, folder: Path) -> Path:
        """Where readers find the files of asset folder `folder`: itself, or its published version."""
        if not is_url(folder):
            return folder
        from em_assets.core.shared_store import published_directory

        return published_directory(folder)

    def raw_tomogram_dir(self, key: str) -> Path:
        """Folder of asset `raw_tomogram` for tomogram `key`: the zarr and its record."""
        return self._asset_dir("raw_tomogram", key)

    def tomogram_zarr(self, key: str) -> Path:
        """The stored NGFF multiscale of tomogram `key`."""
        return self.published(self.raw_tomogram_dir(key)) / TOMOGRAM_ZARR

    def central_slices_file(self, key: str) -> Path:
        """The central xy and xz slices picture of tomogram `key` (asset `raw_tomogram`)."""
        return self.published(self.raw_tomogram_dir(key)) / CENTRAL_SLICES

    def portal_mirror_dir(self, key: str) -> Path:
        """Where `raw_tomogram` mirrors portal tomogram `key` (resumable) before staging it: a local folder."""
        base = self.home / PORTAL_CACHE if is_url(self.store_url) else self.store
        return base / "raw_tomogram" / f".{validate_partition_key(key)}.portal"

    def sampled_voxels_dir(self, key: str) -> Path:
        """Folder of asset `sampled_voxels` for tomogram `key`: the slab summary."""
        return self._asset_dir("sampled_voxels", key)

    def contrast_limits_dir(self, key: str) -> Path:
        """Folder of asset `contrast_limits` for tomogram `key`."""
        return self._asset_dir("contrast_limits", key)

    def limits_file(self, key: str) -> Path:
        """The contrast limits document of tomogram `key`."""
        return self.published(self.contrast_limits_dir(key)) / LIMITS_FILE

    def contrast_plot_file(self, key: str) -> Path:
        """The contrast limits plot of tomogram `key`."""
        return self.published(self.contrast_limits_dir(key)) / CONTRAST_PLOT

    def contrast_slices_file(self, key: str) -> Path:
        """The central slice of tomogram `key` drawn with each contrast method's limits."""
        return self.published(self.contrast_limits_dir(key)) / CONTRAST_SLICES

    def neuroglancer_state_dir(self, key: str) -> Path:
        """Folder of asset `neuroglancer_state` for tomogram `key`."""
        return self._asset_dir("neuroglancer_state", key)

    def state_file(self, key: str) -> Path:
        """The Neuroglancer state JSON of tomogram `key`."""
        return self.published(self.neuroglancer_state_dir(key)) / STATE_FILE

    def url_file(self, key: str) -> Path:
        """The shareable Neuroglancer URL of tomogram `key`."""
        return self.published(self.neuroglancer_state_dir(key)) / URL_FILE

    def state_keys(self) -> list[str]:
        """Tomograms with a stored Neuroglancer state, sorted."""
        marker = PUBLISHED_MANIFEST if is_url(self.store) else STATE_FILE
        return sorted(path.parent.name for path in self.store.glob(f"neuroglancer_state/*/{marker}"))

    def tomogram_catalog_files(self) -> tuple[Path, Path]:
        """The CSV and Parquet files of asset `tomogram_catalog`."""
        folder = self.published(self._asset_dir("tomogram_catalog"))
        return folder / "tomogram_catalog.csv", folder / "tomogram_catalog.parquet"

    def pairing_file(self, key: str) -> Path:
        """The chunk pairing of EM dataset `key` (asset `raw_em_chunks`)."""
        return self.published(self.raw_em_chunks_dir(key)) / PAIRING_FILE

    def processed_chunks_dir(self, key: str) -> Path:
        """Folder of asset `processed_chunks` for EM dataset `key`: tensors, manifest, montage."""
        return self._asset_dir("processed_chunks", key)

    def tensor_dir(self, key: str) -> Path:
        """Where the published tensors of EM dataset `key` are (asset `processed_chunks`)."""
        return self.published(self.processed_chunks_dir(key))

    def manifest_file(self, key: str) -> Path:
        """The processing manifest of EM dataset `key`."""
        return self.tensor_dir(key) / MANIFEST_FILE

    def montage_file(self, key: str) -> Path:
        """The montage PNG of EM dataset `key`."""
        return self.tensor_dir(key) / MONTAGE_FILE

    def raw_em_chunks_dir(self, key: str) -> Path:
        """Folder of asset `raw_em_chunks` for EM dataset `key`: the pairing."""
        return self._asset_dir("raw_em_chunks", key)

    def chunk_metadata_dir(self, key: str) -> Path:
        """Folder of asset `chunk_metadata` for EM dataset `key`: the `meta.csv`."""
        return self._asset_dir("chunk_metadata", key)

    def meta_file(self, key: str) -> Path:
        """The `meta.csv` of EM dataset `key` (asset `chunk_metadata`)."""
        return self.published(self.chunk_metadata_dir(key)) / META_FILE

    def merged_metadata_files(self) -> tuple[Path, Path]:
        """The CSV and Parquet files of asset `merged_metadata`."""
        folder = self.published(self._asset_dir("merged_metadata"))
        return folder / "merged_metadata.csv", folder / "merged_metadata.parquet"

    def asset_output_dir(self, asset: str, partition: str | None = None) -> Path:
        """The folder one materialisation of `asset` (for `partition`, if partitioned) publishes."""
        return self._asset_dir(asset, partition)

    def lineage_file(self, folder: Path) -> Path:
        """The lineage record (content digest and input digests) inside a published folder."""
        return folder / LINEAGE_FILE

    def lock_file(self, asset: str, partition: str | None = None) -> Path:
        """The lock one step at a time holds to write `partition` (any asset), or unpartitioned `asset`."""
        if partition is None:
            return self.store / LOCKS_DIR / "assets" / f"{asset}.lock"
        return self.store / LOCKS_DIR / "partitions" / f"{validate_partition_key(partition)}.lock"

    def failure_file(self, asset: str, partition: str | None = None) -> Path:
        """Where the last failed run of `asset` (for `partition`) says why; absent after a success."""
        name = validate_partition_key(partition) if partition is not None else asset
        return self.store / FAILURES_DIR / asset / f"{name}.json"
