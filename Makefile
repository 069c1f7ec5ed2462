# callproof build. `make run` and `make test` are the two commands a new user needs (README).
#
#   make            build build/callproof
#   make run        install missing Debian packages, build, serve on 127.0.0.1:8080 (./data)
#   make test       unit + black-box tests, then the same suite under ASan+UBSan; ends with
#                   "N passed, M failed"
#   make bench      benchmarks against nginx (not tests, ~12 min): see docs/BENCHMARKS.md
#   make crashtest  kill -9 under load, 20 cycles (make test runs a 3-cycle form)
#   make asan       build build/asan/callproof (and its unit tests)
#   make fuzz       build the libFuzzer targets (fuzz/) into build/fuzz/ and run each for
#                   FUZZ_SECONDS (default 60) from its corpus; non-zero on any crash
#   make docs       regenerate docs/ERRORS.md from src/core/errors.def
#   make format     clang-format every C file;  make lint: check the formatting
#   make clean

CC      ?= cc
PKGS    := libmicrohttpd libcjson sqlite3 libsodium libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

VERSION := 0.1.0
WARN    := -std=c17 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Werror
CPPFLAGS_ALL := -D_GNU_SOURCE -DCP_VERSION='"$(VERSION)"' -Isrc $(PKG_CFLAGS)
OPT     ?= -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
SAN     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

SRCS     := $(shell find src -name '*.c' ! -name main.c | sort)
MAIN_SRC := src/main.c
HDRS     := $(shell find src -name '*.h' -o -name '*.def' -o -name '*.sql' -o -name '*.html' | sort)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))

# Two flavours built side by side: build/ (release) and build/asan/ (sanitizers).
define flavour
$(1)OBJS := $$(patsubst src/%.c,$(2)/obj/%.o,$$(SRCS))
$(2)/obj/%.o: src/%.c $$(HDRS) Makefile
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$@"
	@$$(CC) $$(CPPFLAGS_ALL) $$(WARN) $(3) -c $$< -o $$@
$(2)/callproof: $$($(1)OBJS) $(2)/obj/main.o
	@echo "  LINK    $$@"
	@$$(CC) $(3) -o $$@ $$^ $$(PKG_LIBS) -lpthread -lm
$(2)/unit/%: tests/unit/%.c $$($(1)OBJS) tests/unit/unit.h tests/unit/sqlite_file.h
	@mkdir -p $$(dir $$@)
	@echo "  LINK    $$@"
	@$$(CC) $$(CPPFLAGS_ALL) -Itests/unit $$(WARN) $(3) -o $$@ $$< $$($(1)OBJS) $$(PKG_LIBS) -lcmocka -lpthread -lm
$(1)UNITS := $$(patsubst tests/unit/%.c,$(2)/unit/%,$$(UNIT_SRCS))
endef

$(eval $(call flavour,REL,build,$(OPT)))
$(eval $(call flavour,ASAN,build/asan,$(SAN)))

# Fuzz targets: clang's libFuzzer with ASan+UBSan. Sources are instrumented with
# fuzzer-no-link (coverage only); each fuzz/fuzz_<name>.c brings LLVMFuzzerTestOneInput and is
# linked with libFuzzer's main. WARN applies as everywhere (clang accepts the same flags).
FUZZ_CC   ?= clang
FUZZ_SAN  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRCS := $(sort $(wildcard fuzz/fuzz_*.c))
# The transport (http/server.c, and cli/serve.c which starts it) is left out: fuzzing drives the
# request path below it, and nothing else may need libmicrohttpd.
FUZZ_OBJS := $(patsubst src/%.c,build/fuzz/obj/%.o,$(filter-out src/http/server.c src/cli/serve.c,$(SRCS))) \
             build/fuzz/obj/harness.o
FUZZ_BINS := $(patsubst fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 60
build/fuzz/obj/%.o: src/%.c $(HDRS) Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(FUZZ_CC) $(CPPFLAGS_ALL) $(WARN) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@
.SECONDARY: $(FUZZ_OBJS)
build/fuzz/obj/harness.o: fuzz/harness.c fuzz/fuzz.h $(HDRS) Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(FUZZ_CC) $(CPPFLAGS_ALL) $(WARN) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@
build/fuzz/%: fuzz/%.c fuzz/fuzz.h $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(FUZZ_CC) $(CPPFLAGS_ALL) -Ifuzz $(WARN) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(PKG_LIBS) -lpthread -lm

build/tools/errors_md: tools/errors_md.c src/core/errors.def src/core/error.c src/core/error.h src/core/util.c src/core/log.c src/core/time.c
	@mkdir -p $(dir $@)
	@$(CC) $(CPPFLAGS_ALL) $(WARN) -O1 -o $@ tools/errors_md.c src/core/error.c src/core/util.c src/core/log.c src/core/time.c

# Fills a store with realistic calls through the server's own input parsing and store ops
# (bench/run.sh; see tools/bench_fill.c). Linked against the release objects.
build/tools/bench_fill: tools/bench_fill.c $(RELOBJS) $(HDRS) Makefile
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(CPPFLAGS_ALL) $(WARN) $(OPT) -o $@ tools/bench_fill.c $(RELOBJS) $(PKG_LIBS) -lpthread -lm

.PHONY: all build run test bench crashtest asan units fuzz fuzz-build docs deps deps-test format lint clean
all build: build/callproof
asan: build/asan/callproof $(ASANUNITS)
units: $(RELUNITS)

deps:
	@scripts/deps.sh
deps-test:
	@scripts/deps.sh test

run: deps
	@$(MAKE) --no-print-directory build/callproof
	./build/callproof serve

test: deps-test
	@$(MAKE) --no-print-directory build/callproof $(RELUNITS) build/asan/callproof $(ASANUNITS) build/tools/errors_md $(FUZZ_BINS)
	@tests/run.sh

# Benchmarks against nginx on this machine (bench/run.sh; about 12 minutes): the report goes to
# build/bench/report.md and replaces the generated block of docs/BENCHMARKS.md.
bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory build/callproof build/tools/bench_fill
	@BENCH_CFLAGS='$(OPT)' bench/run.sh

crashtest: deps-test
	@$(MAKE) --no-print-directory build/callproof
	@node tests/crash/crashtest.mjs 20

fuzz-build: $(FUZZ_BINS)

# Each target runs FUZZ_SECONDS from a copy of its committed corpus (new inputs land in
# build/fuzz/corpus/<target>/, crashes in build/fuzz/artifacts/); see fuzz/README.md.
fuzz:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/fuzz.sh $(FUZZ_SECONDS)

docs: build/tools/errors_md
	build/tools/errors_md > docs/ERRORS.md

format:
	clang-format -i $$(find src tests tools fuzz -name '*.c' -o -name '*.h')

lint:
	clang-format --dry-run --Werror $$(find src tests tools fuzz -name '*.c' -o -name '*.h')

clean:
	rm -rf build
