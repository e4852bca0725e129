"""The Correct screen's parts: the editing state, the span editor, the queue, imports and exports, apply to all."""
