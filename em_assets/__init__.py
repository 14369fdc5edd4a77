"""em-assets: Dagster assets for cryo-electron tomograms and volume-EM synapse chunks."""
