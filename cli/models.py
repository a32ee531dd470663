"""`multicap models`: the encoders (and, later, captioner bundles), what each needs, whether it is here."""

from __future__ import annotations

import typer

from multicap.cli import console
from multicap.cli.app import app


@app.command("models")
def models_command(
    json_out: bool = typer.Option(False, "--json", help="One JSON object per model on stdout."),
) -> None:
    """List the encoders with their input, features and whether their weights are on this machine.

    Example:

      multicap models --json
    """
    from multicap.catalog import model_catalog

    rows = model_catalog()
    if json_out:
        for row in rows:
            console.print_json_line(row)
        return
    for row in (r for r in rows if r["kind"] == "encoder"):
        name = f"{row['name']} (default)" if row["default"] else str(row["name"])
        state = "present" if row["weights_present"] else "MISSING"
        console.out.print(
            f"{name:<30} {row['input_px']:>4} px  dim {row['feature_dim']:<5} weights {state}", markup=False
        )
        console.out.print(f"    {row['description']}", markup=False)
        console.out.print(f"    weights: {row['weights']}", markup=False)
        if not row["weights_present"]:
            console.out.print(f"    source: {row['source']}", markup=False)
    for row in (r for r in rows if r["kind"] == "detector"):
        state = "present" if row["weights_present"] else "MISSING"
        console.out.print(f"{row['name']:<30} people detector  weights {state}", markup=False)
        console.out.print(f"    {row['description']}", markup=False)
        console.out.print(f"    weights: {row['weights'] or row['source']}", markup=False)
    bundles = [r for r in rows if r["kind"] == "bundle"]
    console.out.print(f"captioner bundles: {len(bundles) or 'none registered'}", markup=False)
    for row in bundles:
        console.out.print(
            f"{row['name']:<30} levels {', '.join(row['levels'])}  encoder {row['encoder']}", markup=False
        )
        console.out.print(f"    {row['path']}", markup=False)
