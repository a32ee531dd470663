"""The `multicap` command (installed as `multicap.cli`): parse, call the library once, render."""
