# Twinscape: `make run` (set-up, then the GUI on the demo) and `make test` (set-up, then the suite headless).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
XVFB := xvfb-run -a -s "-screen 0 1600x1000x24"
APT_PACKAGES := xvfb xauth libgl1 libegl1 libgl1-mesa-dri libglx-mesa0 libxkbcommon-x11-0 libxcb-cursor0 \
	libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-xinerama0 \
	libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libdbus-1-3 libfontconfig1 fonts-dejavu-core libxrender1 \
	libxi6 libxtst6 libxrandr2 libxcomposite1 libxdamage1 libnss3 libasound2 \
	mosquitto mosquitto-clients ffmpeg fonts-noto-cjk

.PHONY: setup system-deps run test bench lint-imports clean demo-data screenshot i18n

QM := build/i18n/twinscape_zh_CN.qm

setup: system-deps $(STAMP) $(QM)

# The interface's translations: Qt Linguist .ts (committed) compiled to .qm (built, never committed).
$(QM): assets/i18n/twinscape_zh_CN.ts $(STAMP)
	$(PY) -m app.ui.i18n

# After changing user-visible strings: collect them into the .ts (translations kept), then translate the new ones.
i18n: $(STAMP)
	$(VENV)/bin/pyside6-lupdate -no-obsolete -locations none $$(git ls-files 'app/*.py' 'viewers/*.py') -ts assets/i18n/twinscape_zh_CN.ts

# System libraries Qt and VTK need, installed only when missing (root on Debian, as in CI).
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing system packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

run: setup
	@if [ -n "$$DISPLAY" ] || [ -n "$$WAYLAND_DISPLAY" ]; then $(VENV)/bin/twinscape; \
	else echo "no display: running under Xvfb"; $(XVFB) $(VENV)/bin/twinscape; fi

test: setup
	QT_QPA_PLATFORM=xcb $(PY) -m pytest -q -n 2 --ignore=tests/benchmarks

# CloudCompare (Debian package) is the reference the C2M benchmark measures against; chromium and
# the cesium npm package (build/cesium) render the CesiumJS side of tests/benchmarks/test_cesium_side_by_side.py.
bench: setup
	@command -v CloudCompare >/dev/null 2>&1 || { \
		echo "installing CloudCompare for the C2M comparison"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends cloudcompare >/dev/null; }
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium for the CesiumJS side-by-side"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	@[ -f build/cesium/node_modules/cesium/Build/Cesium/Cesium.js ] || { \
		echo "installing CesiumJS 1.145.0 into build/cesium (npm; never committed)"; \
		npm install --prefix build/cesium --no-audit --no-fund --loglevel=error cesium@1.145.0 >/dev/null; }
	$(PY) -m pytest -q tests/benchmarks -s

lint-imports: setup
	$(VENV)/bin/lint-imports

demo-data: setup
	$(PY) -m assets.demo.generate

screenshot: setup
	$(VENV)/bin/twinscape render --demo -o docs/demo.png --size 1280x720

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
