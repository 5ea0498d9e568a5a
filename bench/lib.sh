# Shared helpers for bench/*.bench scripts. Each .bench script prints exactly one line per
# benchmark on stdout, tab-separated:
#   name  attest_figure  reference_figure  ratio  target  peak_memory
# and anything else on stderr. bench/run collects the lines into one table.
set -euo pipefail
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ATTEST=${ATTEST:-$BENCH_ROOT/.build/release/attest}

# measure OUTVAR_SECONDS OUTVAR_KIB -- command...: wall seconds (to the millisecond, from the
# clock around the run; /usr/bin/time's own figure has only two decimals) and peak RSS (KiB).
measure() {
  local __s=$1 __k=$2; shift 3
  local tf t0 t1; tf=$(mktemp)
  t0=$(date +%s%N)
  /usr/bin/time -f '%M' -o "$tf" "$@" >/dev/null 2>/dev/null || { echo "bench: command failed: $*" >&2; rm -f "$tf"; return 1; }
  t1=$(date +%s%N)
  read -r "$__k" < <(tail -n 1 "$tf")
  printf -v "$__s" '%s' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
  rm -f "$tf"
}

# best_of N OUTVAR_SECONDS OUTVAR_KIB -- command...: the fastest of N runs (and its peak RSS).
best_of() {
  local n=$1 __s=$2 __k=$3; shift 4
  local best="" bestk=0 s k
  for _ in $(seq "$n"); do
    measure s k -- "$@"
    if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; fi
    [ "$k" -gt "$bestk" ] && bestk=$k
  done
  printf -v "$__s" '%s' "$best"; printf -v "$__k" '%s' "$bestk"
}

# ratio A B: A / B to two decimals; "n/a" when B rounds to zero (a reference that took no
# measurable CPU time has no ratio).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b <= 0) { printf "n/a"; exit } printf "%.2f", a / b }'; }

# row NAME ATTEST REFERENCE RATIO TARGET PEAK
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@"; }

# measure_full OUT_S OUT_CPU OUT_KIB -- command...: wall seconds, CPU seconds (user + system)
# and peak RSS (KiB, mapped-and-touched file pages included) of one run.
measure_full() {
  local __s=$1 __c=$2 __k=$3; shift 4
  local tf t0 t1; tf=$(mktemp)
  t0=$(date +%s%N)
  /usr/bin/time -f '%U %S %M' -o "$tf" "$@" >/dev/null 2>/dev/null || true
  t1=$(date +%s%N)
  local __u __y __m; read -r __u __y __m < <(tail -n 1 "$tf")
  rm -f "$tf"
  printf -v "$__s" '%s' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
  printf -v "$__c" '%s' "$(awk -v u="$__u" -v s="$__y" 'BEGIN { printf "%.2f", u + s }')"
  printf -v "$__k" '%s' "$__m"
}

# side_by_side N NAME TARGET "attest command" "reference command": N interleaved runs of both
# (attest, reference, attest, ...), the best wall and the best CPU of each, the peak RSS of
# each; prints one row with both ratios and both peaks.
side_by_side() {
  local n=$1 name=$2 target=$3 a=$4 g=$5
  local aw="" ac="" ak=0 gw="" gc="" gk=0 s c k
  for _ in $(seq "$n"); do
    measure_full s c k -- bash -c "$a"
    if [ -z "$aw" ] || awk "BEGIN{exit !($s < $aw)}"; then aw=$s; fi
    if [ -z "$ac" ] || awk "BEGIN{exit !($c < $ac)}"; then ac=$c; fi
    [ "$k" -gt "$ak" ] && ak=$k
    measure_full s c k -- bash -c "$g"
    if [ -z "$gw" ] || awk "BEGIN{exit !($s < $gw)}"; then gw=$s; fi
    if [ -z "$gc" ] || awk "BEGIN{exit !($c < $gc)}"; then gc=$c; fi
    [ "$k" -gt "$gk" ] && gk=$k
  done
  row "$name" "${aw}s ${ac}s cpu" "${gw}s ${gc}s cpu" "$(ratio "$aw" "$gw") wall, $(ratio "$ac" "$gc") cpu" "$target" \
      "$((ak / 1024)) MiB vs $((gk / 1024)) MiB ($(ratio "$ak" "$gk"))"
}
