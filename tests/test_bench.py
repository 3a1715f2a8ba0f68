"""Tests of tools/bench.py that need no kernel."""

import nbformat
from myst_nb.ext.glue import GLUE_PREFIX

from tools import bench


def _glue_output(name, text, *, display):
    prefix = "" if display else GLUE_PREFIX
    return nbformat.v4.new_output(
        "display_data",
        data={prefix + "text/plain": text},
        metadata={"scrapbook": {"name": name, "mime_prefix": prefix}},
    )


def test_glued_values_reads_hidden_and_displayed_glue():
    cell = nbformat.v4.new_code_cell("glue(...)")
    cell.outputs = [
        _glue_output("hidden", "0.123", display=False),
        _glue_output("shown", "42", display=True),
        nbformat.v4.new_output("stream", name="stdout", text="not glued\n"),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    assert bench.glued_values(nb) == {"hidden": "0.123", "shown": "42"}


def test_numbers_leave_out_the_builds_own_speeds():
    glued = {"tau_median": "3.1", "nutpie_ess_s": "1234.5", "ratio_ess_s": "7.0"}
    assert bench.numbers(glued) == {"tau_median": "3.1"}


def test_printed_warnings_are_found_in_stderr_only():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x", id="c1")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="a.py:3: UserWarning: odd\n  f()\n"),
        nbformat.v4.new_output("stream", name="stdout", text="UserWarning: printed on purpose\n"),
        nbformat.v4.new_output("stream", name="stderr", text="Sampling 4 chains\n"),
    ]
    nb.cells = [cell]
    assert bench.printed_warnings(nb) == ["c1: UserWarning: odd"]
    cell.outputs = cell.outputs[1:]
    assert bench.printed_warnings(nb) == []


def test_measured_client_stops_the_kernel_at_once_unless_asked_otherwise():
    nb = nbformat.v4.new_notebook()
    assert bench.MeasuredClient(nb).shutdown_kernel == "immediate"
    assert bench.MeasuredClient(nb, shutdown_kernel="graceful").shutdown_kernel == "graceful"


def test_t_import_takes_the_medians_over_the_earlier_and_the_new_imports(monkeypatch):
    monkeypatch.setattr(bench, "T_IMPORT_CODE", "pass")  # a fresh Python that imports nothing
    earlier = {"wall": 100.0, "cpu": 50.0, "walls": [100.0] * 3, "cpus": [50.0] * 3}
    measured = bench.t_import(repeat=2, earlier=earlier)
    assert measured["walls"][:3] == earlier["walls"] and len(measured["walls"]) == 5
    assert (measured["wall"], measured["cpu"]) == (100.0, 50.0)  # three of the five
    alone = bench.t_import(repeat=1)
    assert alone["walls"] == [alone["wall"]] and alone["wall"] < 100.0


def test_restate_t_import_changes_only_the_records_t_import(tmp_path):
    import json

    path = tmp_path / "01_x.json"
    path.write_text(
        json.dumps({"wall_seconds": 9.0, "t_import_seconds": 3.0, "t_import_cpu_seconds": 3.1})
    )
    bench.restate_t_import(path, {"wall": 2.504, "cpu": 2.6})
    assert json.loads(path.read_text()) == {
        "wall_seconds": 9.0,
        "t_import_seconds": 2.5,
        "t_import_cpu_seconds": 2.6,
    }
