# Thin front door over CMake and setup.py. The README's two commands (scripts/run-default.sh,
# scripts/test.sh) also install missing Debian packages; these targets assume they are there.
BUILD ?= build/dev
PY ?= /usr/bin/python3
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all test test-c test-python asan python bench default clean
all:
	cmake -S . -B $(BUILD) -DCZ_PYTHON=$(PY) >/dev/null
	cmake --build $(BUILD) -j$(JOBS)
test: all
	cd $(BUILD) && ctest -j$(JOBS) --output-on-failure
test-c: all
	cd $(BUILD) && ctest -j$(JOBS) -L c --output-on-failure
test-python: all
	cd $(BUILD) && ctest -L python --output-on-failure
asan:
	cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DCZ_SANITIZE=address,undefined -DCZ_WITH_PYTHON=OFF >/dev/null
	cmake --build build/asan -j$(JOBS)
	cd build/asan && ctest -j$(JOBS) -L 'c|cli' --output-on-failure
python:
	$(PY) setup.py build_ext --inplace --build-temp $(BUILD)/pyext
bench:
	bash bench/run_bench.sh
default: all
	mkdir -p out && $(BUILD)/cz build --default -o out/default.xyz --preview out/default.png
clean:
	rm -rf build out ase_ext/cz/*.so
