# bidwire: `make run` serves the demo bidder on 127.0.0.1:8080, `make test` checks everything.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8080

LOCK_VENV := .venv-lock
UV_VERSION := 0.13.9

.PHONY: install lock tools run test lint typecheck pytest coverage fuzz bench h2spec proto clean

install: $(STAMP)

# Exactly what CI tested: every package pinned with its hashes in requirements.lock (pip
# refuses anything else), then bidwire itself, editable, with no dependency resolution.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Re-resolve requirements.lock from pyproject's ranges (newest releases that fit), with uv
# (pinned, in its own venv), for every platform, on the Python that CI runs.
lock:
	[ -x $(LOCK_VENV)/bin/uv ] || { $(PYTHON) -m venv $(LOCK_VENV) && \
	  $(LOCK_VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION); }
	$(LOCK_VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	  --extra test --extra bench --extra fuzz --no-emit-package bidwire \
	  --output-file requirements.lock pyproject.toml lock-extra.in

run: install
	$(VENV)/bin/bidwire serve --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

# The end-to-end tests drive the server with independent clients: curl, and nghttp/h2load
# from Debian's nghttp2-client; the fleet-state tests start their own redis-server; the gRPC
# tests run @grpc/grpc-js under node (tests/test_grpc_clients.py installs it with npm).
# Installed here when missing (root, or sudo without a password).
tools:
	@command -v curl >/dev/null && command -v nghttp >/dev/null && command -v h2load >/dev/null \
	  && command -v redis-server >/dev/null && command -v node >/dev/null \
	  && command -v npm >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo -n); \
	  PKGS="curl nghttp2-client redis-server"; \
	  command -v node >/dev/null || PKGS="$$PKGS nodejs"; \
	  command -v npm >/dev/null || PKGS="$$PKGS npm"; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$PKGS >/dev/null; }

# Under coverage (branch, subprocesses included); the table by package is printed at the end.
pytest: install tools
	rm -f .coverage .coverage.*
	HYPOTHESIS_PROFILE=ci $(PY) -m coverage run -m pytest
	$(PY) -m coverage combine --quiet
	$(PY) scripts/coverage_by_package.py

test: lint typecheck pytest

# The property tests on hypothesis's long profile (20,000 examples each), and `bidwire fuzz`
# against a fresh `bidwire serve` for FUZZ_SECONDS. Takes a while: not part of `make test`.
FUZZ_SECONDS ?= 120
FUZZ_TESTS := tests/test_properties.py tests/test_pipeline_properties.py \
	tests/test_h2_frame_properties.py tests/test_fuzz_cli.py
fuzz: install
	HYPOTHESIS_PROFILE=long FUZZ_SECONDS=$(FUZZ_SECONDS) $(PY) -m pytest $(FUZZ_TESTS)

# HTTP/2 conformance (h2spec, normal and strict) on both engines; h2spec is built by hand (README).
h2spec: install
	bench/h2spec.sh

bench: install
	$(VENV)/bin/bidwire bench decode --corpus ../shared/corpus/openrtb/requests

# Regenerate the protobuf module from schemas/openrtb.proto (tests check it is current).
proto: install
	$(PY) -m grpc_tools.protoc -I schemas --python_out=openrtb --pyi_out=openrtb schemas/openrtb.proto

clean:
	rm -rf $(VENV) $(LOCK_VENV) build *.egg-info .mypy_cache .ruff_cache .hypothesis .coverage .coverage.*
