"""The chat widget's server side: the visitor socket, files, and the preview page."""

from __future__ import annotations

from linka.entrypoints.widget import files, preview, socket

routes = [*socket.routes, *files.routes, *preview.routes]
