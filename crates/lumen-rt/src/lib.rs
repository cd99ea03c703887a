//! `lumen-rt`: the Lumen VM (to be written).
