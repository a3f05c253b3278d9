#!/bin/sh
# Builds and runs the tests of the hvt guest's C support (Sources/CMirageHVTGuest):
# - on the host: the allocator, the red-black tree functions (also against libstdc++'s own tree
#   code when a C++ compiler is present), the printf engine, the math and the string
#   functions, the 128-bit division helpers, the time-stamp counter clock's arithmetic. These files are freestanding C that runs the same on the host; math.c and
#   string.c get their public names prefixed (-Dceil=mirage_ceil, ...) so they do not replace
#   the host's C library;
# - in a VM, when the mirage-hvt tender and /dev/kvm are available: guest_smoke.c with
#   guest_crypto.c and Debian's libbearssl.a, booted (BearSSL, the stack protector's canary and
#   the fortified copies, inside the guest).
#
# Usage: Tests/hvt-guest-c/run.sh [TEST-NAME-SUBSTRING]   (a name runs only the matching host tests)
# CC, CXX, MIRAGE_TEST_SEED and MIRAGE_HVT (the tender) are honoured.
# Prints each test, then "N passed, N failed"; exits non-zero when a test failed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source_dir="$root/Sources/CMirageHVTGuest"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT INT TERM

CC=${CC:-cc}
CXX=${CXX:-c++}
# The guest support's folders by role, as Package.swift lists them for its header search path.
roles="boot devices libc allocator runtime"
includes="-I$source_dir/include -I$root/Sources/CMirageHVTABI/include"
for role in $roles; do includes="$includes -I$source_dir/$role"; done
warnings="-Wall -Wextra -Werror"
# Sanitizers when the toolchain has them: AddressSanitizer and UBSan over the tests and the code.
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
if ! echo 'int main(void){return 0;}' | "$CC" $sanitize -x c - -o "$build/probe" 2>/dev/null; then
    sanitize=""
fi

renames=""
for name in ceil ceilf floor floorf trunc truncf round roundf fmod fmodf \
            memcpy memmove memset memcmp strlen strcmp strncpy; do
    renames="$renames -D$name=mirage_$name"
done

compile() {  # compile OUTPUT SOURCE [FLAGS...]
    output=$1 source=$2
    shift 2
    "$CC" -std=c17 -O2 -g $warnings $sanitize $includes "$@" -c "$source" -o "$build/$output"
}

compile heap.o "$source_dir/allocator/heap.c"
compile rbtree.o "$source_dir/runtime/rbtree.c"
compile format.o "$source_dir/libc/format.c"
compile tsc.o "$source_dir/devices/tsc.c"
# -fno-builtin: the host compiler must not turn the implementations into calls to themselves.
compile math.o "$source_dir/libc/math.c" -fno-builtin $renames
compile string.o "$source_dir/libc/string.c" -fno-builtin -ffreestanding $renames
compile int128.o "$source_dir/runtime/int128.c" -D__udivti3=mirage___udivti3 -D__umodti3=mirage___umodti3 \
    -D__divti3=mirage___divti3 -D__modti3=mirage___modti3
for test in main test_heap test_rbtree test_libc test_int128 test_tsc; do
    compile "$test.o" "$here/$test.c"
done
# The format tests hand deliberately odd formats to the host's snprintf to compare with it.
compile test_format.o "$here/test_format.c" -Wno-format -Wno-format-overflow -Wno-format-truncation

"$CC" $sanitize "$build"/*.o -lm -o "$build/hvt-c-tests"

# Runs a test program with a time limit, echoing its output into LOG; a program that ends
# without its "N passed, N failed" line (a crash, a sanitizer report, the time limit) counts as
# one failed test.
run_tests() {  # run_tests LOG PROGRAM [ARGUMENTS...]
    log=$1
    shift
    { timeout 600 "$@"; echo $? > "$log.status"; } | tee "$log"
    if ! grep -q ' passed, .* failed$' "$log"; then
        echo "FAIL $(basename "$1") did not finish (exit status $(cat "$log.status"))"
        echo "0 passed, 1 failed" >> "$log"
    fi
    [ "$(cat "$log.status")" = 0 ]
}

status=0
run_tests "$build/c.log" "$build/hvt-c-tests" "$@" || status=1

: > "$build/cxx.log"
if [ $# -eq 0 ] && ! command -v "$CXX" >/dev/null 2>&1; then
    echo "SKIP: red-black tree against libstdc++: $CXX is not installed"
fi
if [ $# -eq 0 ] && command -v "$CXX" >/dev/null 2>&1; then
    "$CXX" -std=c++17 -O2 -g $warnings $sanitize $includes "$here/rbtree_libstdcxx.cpp" \
        "$build/rbtree.o" -o "$build/rbtree-libstdcxx"
    run_tests "$build/cxx.log" "$build/rbtree-libstdcxx" || status=1
fi

# The guest smoke test, when a guest can boot here: the mirage-hvt tender (MIRAGE_HVT, else the
# hosted build's), /dev/kvm, and clang and ld.lld (the Swift toolchain's). The guest is built the
# way SwiftPM builds CMirageHVTGuest (Package.swift's flags) and linked by link.ld.
tender=${MIRAGE_HVT:-$root/.build/debug/mirage-hvt}
bearssl=/usr/lib/x86_64-linux-gnu/libbearssl.a
: > "$build/guest.log"
if [ $# -eq 0 ] && [ ! -f "$bearssl" ]; then
    echo "FAIL hvt guest: $bearssl is missing (install libbearssl-dev; scripts/test does)"
    echo "0 passed, 1 failed" > "$build/guest.log"
    status=1
elif [ $# -eq 0 ] && [ -x "$tender" ] && [ -w /dev/kvm ] && command -v clang >/dev/null 2>&1 &&
    command -v ld.lld >/dev/null 2>&1; then
    mkdir "$build/guest"
    for source in "$source_dir"/*/*.c "$here/guest_smoke.c"; do
        clang -target x86_64-unknown-linux-gnu -std=c17 $includes -ffreestanding -fno-builtin \
            -mno-red-zone -fno-stack-protector -ffunction-sections -fdata-sections -O2 $warnings \
            -c "$source" -o "$build/guest/$(basename "$source" .c).o"
    done
    # The checks of BearSSL in the guest, built with the stack protector as Debian builds BearSSL,
    # and linked with Debian's libbearssl.a (scripts/test installs libbearssl-dev).
    clang -target x86_64-unknown-linux-gnu -std=c17 $includes -ffreestanding -fno-builtin \
        -fstack-protector-all -ffunction-sections -fdata-sections -O2 $warnings \
        -c "$here/guest_crypto.c" -o "$build/guest/guest_crypto.o"
    ld.lld -static -nostdlib -T "$source_dir/boot/link.ld" -z max-page-size=4096 --gc-sections \
        -o "$build/guest.elf" "$build"/guest/*.o "$bearssl"

    guest_passed=0 guest_failed=0
    verdict() {  # verdict NAME CONDITION-STATUS
        if [ "$2" -eq 0 ]; then
            echo "ok   guest: $1"; guest_passed=$((guest_passed + 1))
        else
            echo "FAIL guest: $1"; guest_failed=$((guest_failed + 1)); sed 's/^/    | /' "$build/boot.out"
        fi
    }
    boot() {  # boot ARGUMENTS...: the console in boot.out, the tender's exit status in $booted
        booted=0
        timeout 60 "$tender" --mem=64 "$build/guest.elf" "$@" > "$build/boot.out" 2>&1 || booted=$?
    }

    boot check A B
    sed -n 's/^guest-check ok /ok   guest: /p; s/^guest-check FAIL /FAIL guest: /p' "$build/boot.out"
    guest_passed=$((guest_passed + $(grep -c '^guest-check ok' "$build/boot.out" || true)))
    guest_failed=$((guest_failed + $(grep -c '^guest-check FAIL' "$build/boot.out" || true)))
    [ "$booted" -eq 0 ]; verdict "the checks guest halts with main's status 0" $?
    printf 'p\nfputs-line\nputs-line\nguest: 0 failed\n!' > "$build/console.expected"
    tail -c "$(wc -c < "$build/console.expected")" "$build/boot.out" | cmp -s - "$build/console.expected"
    verdict "putchar's line buffer, fputs and puts keep their order; the halt writes out the rest" $?
    boot oom
    [ "$booted" -eq 66 ] &&
        grep -Eq '^mirage-hvt guest: out of memory \([0-9]+ bytes requested, [0-9]+ free\)$' "$build/boot.out"
    verdict "out of memory prints the sizes and halts with 66" $?
    boot abort
    [ "$booted" -eq 134 ] && grep -q '^abort$' "$build/boot.out"
    verdict "abort prints abort and halts with 134" $?
    boot exit 7
    [ "$booted" -eq 7 ]; verdict "exit(7) halts with 7" $?
    boot smash 16
    [ "$booted" -eq 0 ] && grep -q '^returned$' "$build/boot.out"
    verdict "16 bytes into a 16-byte stack buffer leave the canary whole" $?
    boot smash 64
    [ "$booted" -eq 134 ] && grep -q '^mirage-hvt guest: stack smashing detected$' "$build/boot.out" &&
        ! grep -q '^returned$' "$build/boot.out"
    verdict "64 bytes into a 16-byte stack buffer: the canary catches it and the guest halts with 134" $?
    boot fortify 16
    [ "$booted" -eq 0 ] && grep -q '^returned$' "$build/boot.out"
    verdict "__memcpy_chk copies what fits" $?
    boot fortify 17
    [ "$booted" -eq 134 ] && grep -q '^mirage-hvt guest: buffer overflow detected in memcpy (17 bytes into 16)$' "$build/boot.out"
    verdict "__memcpy_chk refuses a byte past the destination and halts with 134" $?
    echo "$guest_passed passed, $guest_failed failed" | tee "$build/guest.log"
    [ "$guest_failed" -eq 0 ] || status=1
elif [ $# -eq 0 ]; then
    echo "SKIP: hvt guest smoke test: needs $tender, a writable /dev/kvm, clang and ld.lld"
fi

# The total over all programs.
cat "$build/c.log" "$build/cxx.log" "$build/guest.log" | awk '
    / passed, .* failed$/ { passed += $1; failed += $3 }
    END { printf "%d passed, %d failed\n", passed, failed }'
exit $status
