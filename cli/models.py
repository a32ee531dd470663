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
    from multicap.encoders import DEFAULT_ENCODER, list_encoders

    rows = []
    for spec in list_encoders():
        status = spec.weights_status(None)
        rows.append(
            {
                "kind": "encoder",
                "name": spec.name,
                "default": spec.name == DEFAULT_ENCODER,
                "input_px": spec.preprocess.size,
                "feature_dim": spec.feature_dim,
                "imagenet_head": spec.has_head,
                "weights_present": status.present,
                "weights": status.location,
                "source": status.source,
                "description": spec.description,
            }
        )
    rows += _bundle_rows()
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
    bundles = [r for r in rows if r["kind"] == "bundle"]
    console.out.print(f"captioner bundles: {len(bundles) or 'none registered'}", markup=False)
    for row in bundles:
        console.out.print(
            f"{row['name']:<30} levels {', '.join(row['levels'])}  encoder {row['encoder']}", markup=False
        )
        console.out.print(f"    {row['path']}", markup=False)


def _bundle_rows() -> list[dict[str, object]]:
    import json

    from multicap.captioning.bundle import list_bundles

    rows: list[dict[str, object]] = []
    for name, folder in list_bundles().items():
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        enc = config.get("encoder", {})
        rows.append(
            {
                "kind": "bundle",
                "name": name,
                "path": str(folder),
                "levels": vocab.get("levels", []),
                "encoder": f"{enc.get('name')}@{enc.get('image_size')}px",
                "weights_present": (folder / "model.safetensors").is_file(),
            }
        )
    return rows
