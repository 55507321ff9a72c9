"""The hand-written sources: files, schemas, the model, layering and interpolation."""
