"""The comparison as one self-contained HTML file: no server, no network, nothing beside it.

Thumbnails and the similarity heatmap (matplotlib, for sets up to `HEATMAP_MAX` images) are embedded as
base64 data URIs; the page has no script. Every piece of text that comes from a file name, a caption or a
fact goes through `html.escape` (quotes too), so a file called `"><script>…` is shown, never run. File
names are shown as on a terminal (`io.paths.shown`: undecodable bytes and control characters escaped), in
the page and in the heatmap's labels alike.
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from pathlib import Path

import numpy as np

from multicap.compare.sets import SetComparison
from multicap.errors import ImageLoadError
from multicap.io import load_image, shown
from multicap.io.paths import short_names

__all__ = ["HEATMAP_MAX", "render_report", "write_report"]

HEATMAP_MAX = 300  # the heatmap is drawn for sets up to this many images
_THUMB = 128  # thumbnail side, pixels
_MAX_THUMBS = 2000  # beyond this many images, thumbnails only for those the report names
_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:72em}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}
.grid{display:flex;flex-wrap:wrap;gap:.6em}.card{width:140px;font-size:.75em;word-break:break-all}
.card img{width:128px;height:128px;object-fit:contain;background:#eee;display:block}
.keeper{outline:3px solid #2a7}.outlier{outline:3px solid #c33}
table{border-collapse:collapse;font-size:.85em}
td,th{border:1px solid #ddd;padding:.3em .5em;vertical-align:top;overflow-wrap:break-word}
img{max-width:100%;height:auto}
.facts{color:#555}.none{color:#888;font-style:italic}
"""


def _e(text: object) -> str:
    """Text for the page: escaped for HTML; control characters and undecodable bytes of the file names
    it may hold (a pair's differences name the images) shown, as on a terminal."""
    return html.escape(shown(str(text), lines=True), quote=True)


def _name(path: object) -> str:
    """A file name for the page, on one line."""
    return _e(shown(str(path)))


def _data_uri(png: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(png).decode('ascii')}"


def _thumbnail(path: Path) -> str | None:
    try:
        img = load_image(path, min_short_side=_THUMB)
    except ImageLoadError:
        return None
    img.thumbnail((_THUMB, _THUMB))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=80)
    return _data_uri(buf.getvalue(), "image/jpeg")


def _heatmap(sim: np.ndarray, labels: list[str], bounds: list[int]) -> str:
    """The similarity matrix as an embedded PNG (only for small sets: HEATMAP_MAX), its rows and columns
    in the images table's order, named by number (and name, up to 60 images), with a line where a
    cluster ends (`bounds`: the first row of each cluster after the first)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(labels)
    side = min(4 + 0.18 * n, 24)
    fig, ax = plt.subplots(figsize=(side, side * 0.85), dpi=80)
    im = ax.imshow(sim, cmap="viridis", vmin=float(min(sim.min(), 0.0)), vmax=1.0)
    for b in bounds:
        ax.axhline(b - 0.5, color="white", linewidth=0.8)
        ax.axvline(b - 0.5, color="white", linewidth=0.8)
    if n <= 60:
        # "$" would start matplotlib's mathtext (a name like "a$b.png" could fail to parse)
        short = [
            f"{k + 1}. " + (lb if len(lb) <= 24 else lb[:21] + "…").replace("$", r"\$")
            for k, lb in enumerate(labels)
        ]
        ax.set_xticks(range(n), short, rotation=90, fontsize=6)
        ax.set_yticks(range(n), short, fontsize=6)
    else:  # numbers only: the images table says which image each is
        step = 5 if n <= 150 else 10
        ticks = list(range(step - 1, n, step))
        ax.set_xticks(ticks, [str(t + 1) for t in ticks], rotation=90, fontsize=6)
        ax.set_yticks(ticks, [str(t + 1) for t in ticks], fontsize=6)
    fig.colorbar(im, ax=ax, label="cosine similarity")
    buf = io.BytesIO()
    with warnings.catch_warnings():  # a name in a script the font lacks is drawn as boxes: fine
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.tight_layout()
        fig.savefig(buf, format="png")
    plt.close(fig)
    return _data_uri(buf.getvalue())


_CARDS = 24  # thumbnails a group or cluster shows; the Images table below lists every image


def _more(hidden: int) -> str:
    return f"<p>… and {hidden} more (all in the Images table)</p>" if hidden > 0 else ""


class _Page:
    def __init__(self, result: SetComparison) -> None:
        self.r = result
        self.paths = result.images.paths
        self.names = short_names(self.paths)
        named = self._named()
        everyone = len(self.paths) <= _MAX_THUMBS
        self.thumbs = {i: _thumbnail(p) for i, p in enumerate(self.paths) if everyone or i in named}
        self.outliers = set(result.clustering.outliers)
        c = result.clustering  # the images table's and the heatmap's order: by cluster, nearest first
        self.order = [int(i) for i in np.lexsort((c.distances, c.labels))]

    def _named(self) -> set[int]:
        r = self.r
        out = {m for g in r.duplicates for m in g.members} | set(r.clustering.outliers)
        out |= {c.representative for c in r.clusters}
        return out | {i for i, j, _ in r.pairs} | {j for _, j, _ in r.pairs}

    def card(self, i: int, note: str = "", css: str = "") -> str:
        src = self.thumbs.get(i)
        img = (
            f'<img alt="{_name(self.names[i])}" src="{src}">' if src else '<div class="none">no preview</div>'
        )
        extra = f"<br><b>{_e(note)}</b>" if note else ""
        name, title = _name(self.names[i]), _name(self.paths[i])
        return f'<div class="card {css}" title="{title}">{img}{name}{extra}</div>'

    def render(self, title: str) -> str:
        parts = [
            "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
            "style-src 'unsafe-inline'\">",
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
            f"<h1>{_e(title)}</h1>", self.overview(), self.duplicates(), self.clusters(),
            self.outlier_section(), self.folders(), self.heatmap(), self.pairs(), self.images(),
            "</body></html>",
        ]  # fmt: skip
        return "\n".join(parts)

    def overview(self) -> str:
        s = self.r.summary()
        items = [
            f"{_n(s['n_images'], 'image')} ({s['from_index']} from the index, {s['failed']} unreadable)",
            f"{_n(s['duplicates'], 'near-duplicate')} in {_n(s['duplicate_groups'], 'group')} "
            f"(threshold {s['threshold']})",
            f"{_n(s['clusters'], 'cluster')}; {_n(len(s['outliers']), 'outlier')}",
        ]
        return '<h2 id="overview">Overview</h2><ul>' + "".join(f"<li>{_e(t)}</li>" for t in items) + "</ul>"

    def duplicates(self) -> str:
        out = ['<h2 id="duplicates">Near-duplicate groups</h2>']
        if not self.r.duplicates:
            out.append('<p class="none">none</p>')
        for n, g in enumerate(self.r.duplicates, 1):
            how = (
                "" if g.similarity >= self.r.threshold else ": a copy joined by shared keypoints"
            )  # as the CLI
            out.append(
                f"<h3>Group {n}: {len(g.members)} images, "
                f"least signature similarity {g.similarity:.3f}{how}</h3>"
            )
            shown = g.members[:_CARDS]  # the keeper first; a walkthrough's 300 frames had made 301 cards
            cards = [
                self.card(m, "keep (suggested)", "keeper") if m == g.keeper else self.card(m) for m in shown
            ]
            out.append('<div class="grid">' + "".join(cards) + "</div>" + _more(len(g.members) - len(shown)))
        out.append("<p>Suggestions only: nothing was moved or deleted.</p>")
        return "\n".join(out)

    def clusters(self) -> str:
        out = ['<h2 id="clusters">Clusters</h2>']
        for cl in self.r.clusters:
            n = len(cl.members)
            out.append(f"<h3>Cluster {cl.index + 1}: {n} image{'' if n == 1 else 's'}</h3>")
            out.append(f'<p class="facts">{_e(cl.text)}</p>')
            shown = cl.members[:_CARDS]
            cards = [self.card(m, "representative" if m == cl.representative else "") for m in shown]
            out.append('<div class="grid">' + "".join(cards) + "</div>" + _more(len(cl.members) - len(shown)))
        return "\n".join(out)

    def outlier_section(self) -> str:
        out = ['<h2 id="outliers">Outliers</h2>']
        if not self.r.clustering.outliers:
            return out[0] + '<p class="none">none</p>'
        cards = [self.card(i, self.outlier_note(i), "outlier") for i in self.r.clustering.outliers]
        return out[0] + '<div class="grid">' + "".join(cards) + "</div>"

    def outlier_note(self, i: int) -> str:
        """Why image `i` is an outlier, on its card: its distance, or what it alone shows; a copy of the
        odd one out says whose copy it is."""
        odd = self.r.odd
        keeper = {m: g.keeper for g in self.r.duplicates for m in g.members if m != g.keeper}
        if i in odd and keeper.get(i) in odd:  # (each odd photo's copies follow it: the second odd photo
            return f"copy of {self.names[keeper[i]]}"  # had been called a copy of the first)
        if i in odd:
            said = self.r.images.descriptions[i].texts.get("object")
            return f"shows what no other image does{': ' + said if said else ''}"
        return f"far from the other images (distance {self.r.clustering.distances[i]:.3f})"

    def folders(self) -> str:
        """What sets each folder apart, where the set was given as two or more folders."""
        if not self.r.folders:
            return ""
        out = [
            '<h2 id="folders">Folders</h2>',
            f"<p>Near-duplicate groups across them: {self.r.across}</p><table>",
            "<tr><th>folder</th><th>what sets it apart</th></tr>",
        ]
        for f in self.r.folders:
            out.append(f"<tr><td>{_name(f.folder)}</td><td>{_e(f.text)}</td></tr>")
        return "".join(out) + "</table>"

    def heatmap(self) -> str:
        n = len(self.paths)
        if n < 2 or n > HEATMAP_MAX:
            return ""
        emb = self.r.images.embeddings[self.order]
        sim = emb @ emb.T  # (N, N): only for N ≤ HEATMAP_MAX
        labels = self.r.clustering.labels[self.order]
        bounds = [int(b) for b in np.flatnonzero(labels[1:] != labels[:-1]) + 1]
        uri = _heatmap(sim, [shown(self.names[i]) for i in self.order], bounds)
        return (
            '<h2 id="heatmap">Similarity</h2><p>Images by cluster, numbered as in the'
            ' <a href="#images">images table</a>; a line where a cluster ends.</p>'
            f'<img alt="similarity heatmap" src="{uri}">'
        )

    def pairs(self) -> str:
        if not self.r.pairs:
            return ""
        copies = any(p.copied for _, _, p in self.r.pairs)  # how each copy was made, where one was
        head = "<th>b, a copy of a</th>" if copies else ""
        rows = [
            f"<tr><th>a</th><th>b</th><th>similarity</th>{head}<th>object</th><th>attribute</th><th>layout</th></tr>"
        ]
        for _, _, p in self.r.pairs:
            sim = f"{p.similarity:.3f}" if p.similarity is not None else ""
            made = f"<td>{_e(', '.join(p.copied))}</td>" if copies else ""
            texts = "".join(f"<td>{_e(p.text(lv))}</td>" for lv in ("object", "attribute", "layout"))
            rows.append(f"<tr><td>{_name(p.a)}</td><td>{_name(p.b)}</td><td>{sim}</td>{made}{texts}</tr>")
        return '<h2 id="pairs">Pairwise differences</h2><table>' + "".join(rows) + "</table>"

    def images(self) -> str:
        rows = [
            "<tr><th>#</th><th>image</th><th>cluster</th><th>description</th><th>only this image</th></tr>"
        ]
        labels = self.r.clustering.labels
        for k, i in enumerate(self.order):
            desc = self.r.images.descriptions[i]
            text = desc.texts.get(self.r.level) or next(iter(desc.texts.values()), "")
            flag = " (outlier)" if i in self.outliers else ""
            rows.append(
                f"<tr><td>{k + 1}</td><td>{_name(self.paths[i])}</td><td>{int(labels[i]) + 1}{flag}</td>"
                f"<td>{_e(text)}</td>"
                f"<td>{_e(', '.join(self.r.distinct[i][:8]))}</td></tr>"
            )
        return '<h2 id="images">Images</h2><table>' + "".join(rows) + "</table>"


def render_report(result: SetComparison, title: str = "multicap compare") -> str:
    """The report as an HTML string."""
    return _Page(result).render(title)


def write_report(result: SetComparison, path: str | Path, title: str = "multicap compare") -> Path:
    """Write the report to `path` (its folder is created); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    # backslashreplace: a name not valid UTF-8 that reached a caption or a fact still cannot stop the write
    out.write_text(render_report(result, title), encoding="utf-8", errors="backslashreplace")
    return out


def _n(count: int, noun: str) -> str:
    """ "1 cluster", "3 clusters"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
