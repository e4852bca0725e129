"""The model: encoders (Transformer, LAC, m3e), the CRF, building, saving, sealing and loading a model folder."""
