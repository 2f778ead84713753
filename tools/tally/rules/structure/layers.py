"""Which layer a model's name and its folder each say it belongs to (from `[tool.tally.layers]`)."""

from __future__ import annotations

from pathlib import PurePosixPath

from tally.config import Config, Layer


def prefix_layer(config: Config, name: str) -> tuple[Layer, str] | None:
    """The layer whose prefix the name carries, with the prefix (the longest prefix wins)."""
    matches = [(len(p), layer, p) for layer in config.layers.values() for p in layer.prefixes if name.startswith(p)]
    if not matches:
        return None
    _, layer, prefix = max(matches, key=lambda m: m[0])
    return layer, prefix


def _deepest(path: str, folders: tuple[str, ...]) -> int | None:
    """Index in the folders of `path` of the deepest one matching a folder ('staging' or
    'models/staging')."""
    parts = PurePosixPath(path).parent.parts
    for end in range(len(parts), 0, -1):
        for folder in folders:
            wanted = PurePosixPath(folder).parts
            if wanted and tuple(parts[max(0, end - len(wanted)):end]) == wanted:
                return end - 1
    return None


def folder_layer(config: Config, path: str) -> Layer | None:
    """The layer of the deepest folder of `path` that some layer lists."""
    found = [(index, layer) for layer in config.layers.values()
             if (index := _deepest(path, layer.folders)) is not None]
    return max(found, key=lambda f: f[0])[1] if found else None


def folder_index(config: Config, path: str, layer_name: str) -> int | None:
    """Index in the folders of `path` of the deepest folder of the named layer."""
    layer = config.layers.get(layer_name)
    return _deepest(path, layer.folders) if layer is not None else None


def folders_of(layer: Layer) -> str:
    return ", ".join(f"{f}/" for f in layer.folders) or "(no folder configured)"


def prefixes_of(layer: Layer) -> str:
    return ", ".join(layer.prefixes)
