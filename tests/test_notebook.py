"""The notebook runs top to bottom on the bundled sample site, so it cannot rot."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_delivery_latency_notebook_executes_and_finds_the_stalled_posts():
    nb = nbformat.read(NOTEBOOKS / "delivery-latency.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    outputs = {i: c.get("outputs", []) for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    assert not [o for outs in outputs.values() for o in outs if o.get("output_type") == "error"]
    stalled_cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("stalled = "))
    html = "".join(o.get("data", {}).get("text/plain", "") for o in stalled_cell.outputs)
    assert "approved-on-host-without-runner" in html


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOKS / "delivery-latency.ipynb", as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
