"""The notebook's preprocessing cells, written out plainly, as the reference the assets must match."""

from __future__ import annotations

import os
from typing import Tuple

import numpy as np
import pandas as pd

MASK_PRE_SYNAPTIC_NEURON = 1
MASK_SYNAPTIC_CLEFT = 2
MASK_POST_SYNAPTIC_NEURON = 3


def get_cutout_fraction_z(img_xyz: np.ndarray, cutout_pixel_value: int = 0) -> np.ndarray:
    section_area = img_xyz.shape[0] * img_xyz.shape[1]
    return np.sum(img_xyz == cutout_pixel_value, axis=(0, 1)) / section_area


def center_crop_3d_np(layer: np.ndarray, target_shape: Tuple[int, ...]) -> np.ndarray:
    layer_depth, layer_height, layer_width = layer.shape
    target_depth, target_height, target_width = target_shape
    assert layer_depth >= target_depth
    assert layer_height >= target_height
    assert layer_width >= target_width
    diff_x = (layer_width - target_width) // 2
    diff_y = (layer_height - target_height) // 2
    diff_z = (layer_depth - target_depth) // 2
    return layer[
        diff_z : (diff_z + target_depth), diff_y : (diff_y + target_height), diff_x : (diff_x + target_width)
    ]


def run_notebook(
    raw_em_data_path: str,
    raw_mask_data_path: str,
    proc_data_path: str,
    cutout_threshold: float = 0.01,
    axial_to_sagittal_spacing: int = 5,
    cut_intensity_with_seg_masks: bool = False,
    output_channel_desc: tuple = ((1,), (2,), (3,)),
) -> None:
    """The notebook's listing, pairing, preprocessing loop and `meta.csv`, on valid input."""
    raw_em_data_file_path_list = []
    for dirpath, _, filenames in os.walk(raw_em_data_path):
        for filename in filenames:
            raw_em_data_file_path_list.append(os.path.join(dirpath, filename))
    raw_mask_data_file_path_list = []
    for dirpath, _, filenames in os.walk(raw_mask_data_path):
        for filename in filenames:
            raw_mask_data_file_path_list.append(os.path.join(dirpath, filename))

    em_map = {p.split("/")[-1].split(".")[0]: p for p in raw_em_data_file_path_list}
    mask_map = {p.split("/")[-1].split(".")[0].split("_")[0]: p for p in raw_mask_data_file_path_list}
    complete_synapse_id_list = sorted(list(set(em_map.keys()).intersection(set(mask_map.keys()))))

    os.makedirs(proc_data_path, exist_ok=True)
    out_filename_list = []
    n_cutout_sections_list = []
    pre_list, post_list, cleft_list = [], [], []
    for synapse_id in complete_synapse_id_list:
        em_xyz, mask_xyz = np.load(em_map[synapse_id]), np.load(mask_map[synapse_id])
        orig_shape = em_xyz.shape
        final_shape = orig_shape[0], orig_shape[1], (orig_shape[2] // axial_to_sagittal_spacing + 1)
        em_xyz = center_crop_3d_np(em_xyz, final_shape)
        orig_shape = mask_xyz.shape
        final_shape = orig_shape[0], orig_shape[1], (orig_shape[2] // axial_to_sagittal_spacing + 1)
        mask_xyz = center_crop_3d_np(mask_xyz, final_shape)

        cutout_fraction_z = get_cutout_fraction_z(em_xyz)
        supra_threshold_cutout_sections_z = cutout_fraction_z > cutout_threshold
        n_cutout_sections = np.sum(supra_threshold_cutout_sections_z)
        em_xyz[:, :, supra_threshold_cutout_sections_z] = 0

        if cut_intensity_with_seg_masks:
            n_output_channels = len(output_channel_desc) + 1
            out_cxyz = np.zeros((n_output_channels,) + em_xyz.shape, dtype=em_xyz.dtype)
            for i_output_channel, seg_mask_tuple in enumerate(output_channel_desc):
                combined_mask_xyz = np.zeros_like(mask_xyz)
                for seg_mask_value in seg_mask_tuple:
                    combined_mask_xyz = combined_mask_xyz | (mask_xyz == seg_mask_value)
                out_cxyz[i_output_channel, ...] = combined_mask_xyz * em_xyz
            out_cxyz[-1, ...] = mask_xyz
        else:
            out_cxyz = np.zeros((2,) + em_xyz.shape, dtype=em_xyz.dtype)
            out_cxyz[0, ...] = em_xyz
            out_cxyz[1, ...] = mask_xyz

        pre_list.append(axial_to_sagittal_spacing * np.sum(mask_xyz == MASK_PRE_SYNAPTIC_NEURON))
        post_list.append(axial_to_sagittal_spacing * np.sum(mask_xyz == MASK_POST_SYNAPTIC_NEURON))
        cleft_list.append(axial_to_sagittal_spacing * np.sum(mask_xyz == MASK_SYNAPTIC_CLEFT))
        out_filename = f"{synapse_id}__{'_'.join([str(x) for x in out_cxyz.shape])}.npy"
        np.save(os.path.join(proc_data_path, out_filename), out_cxyz)
        out_filename_list.append(out_filename)
        n_cutout_sections_list.append(n_cutout_sections)

    proc_data_df = pd.DataFrame(
        {
            "synapse_id": pd.Series(complete_synapse_id_list, dtype="str"),
            "filename": pd.Series(out_filename_list, dtype="str"),
            "pre_synaptic_volume": pd.Series(pre_list, dtype="float"),
            "post_synaptic_volume": pd.Series(post_list, dtype="float"),
            "synaptic_cleft_volume": pd.Series(cleft_list, dtype="float"),
            "n_cutout_sections": pd.Series(n_cutout_sections_list, dtype="int"),
        }
    )
    proc_data_df.to_csv(os.path.join(proc_data_path, "meta.csv"), index=False)
