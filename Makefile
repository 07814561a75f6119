# lakestream - GNU Makefile. See README.md for the two commands that matter:
#   make demo    install what is missing, build, run the demo
#   make test    install what is missing, build, run every test
CC      ?= cc
BUILD   ?= build
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Isrc
LDLIBS  := -lzstd -lsnappy -lz -llz4 -lbrotlienc -lbrotlidec -lxxhash -lroaring -lcrypto -lpthread -lm

LIB_SRC  := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/*/test_*.c))
BENCH_SRC:= $(sort $(wildcard bench/*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BENCH_BIN:= $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: all deps test unit demo bench fuzz asan clean format
all: $(BUILD)/lakestream $(BUILD)/liblakestream.a $(TEST_BIN) $(BENCH_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/liblakestream.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/lakestream: $(CLI_OBJ) $(BUILD)/liblakestream.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/liblakestream.a $(LDLIBS)

$(BUILD)/tests/%: tests/%.c tests/test.h $(BUILD)/liblakestream.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(WARN) $(CFLAGS) $< -o $@ $(BUILD)/liblakestream.a $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/liblakestream.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $< -o $@ $(BUILD)/liblakestream.a $(LDLIBS)

deps:
	@bash scripts/install-deps.sh

# Unit + corpus + interop tests; prints "N passed, N failed" last.
test: deps
	@$(MAKE) --no-print-directory all
	@bash tests/run.sh $(BUILD)

unit: all
	@bash tests/run.sh $(BUILD) --unit-only

# Same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan:
	@$(MAKE) --no-print-directory all BUILD=build-asan OPT=-O1 \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  bash tests/run.sh build-asan --unit-only

demo: deps
	@$(MAKE) --no-print-directory all
	@bash scripts/demo_ingest.sh $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory all
	@bash bench/run.sh $(BUILD)

FUZZ_SECONDS ?= 60
fuzz: deps
	@bash fuzz/run.sh $(FUZZ_SECONDS)

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(TEST_SRC) include/*.h src/*/*.h

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
