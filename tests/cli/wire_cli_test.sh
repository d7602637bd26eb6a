#!/usr/bin/env bash
# Runs the built `lp2p` binary as a user would: golden decodes, decode | encode round trips,
# --binary both ways, help texts, and the exit status and stderr of bad input.
# Usage: wire_cli_test.sh PATH_TO_LP2P
set -euo pipefail

LP2P=${1:?usage: wire_cli_test.sh PATH_TO_LP2P}
[[ -x "$LP2P" ]] || { echo "FAIL: $LP2P is not an executable" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failures=0
checks=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
expect_eq() {  # NAME EXPECTED ACTUAL
  checks=$((checks + 1))
  [[ "$2" == "$3" ]] || fail "$1: expected [$2], got [$3]"
}
expect_contains() {  # NAME HAYSTACK NEEDLE
  checks=$((checks + 1))
  [[ "$2" == *"$3"* ]] || fail "$1: [$3] not found in [$2]"
}
# Runs a command, capturing its status in $status, stdout in $tmp/out and stderr in $tmp/err.
run() {
  set +e
  "$@" >"$tmp/out" 2>"$tmp/err"
  status=$?
  set -e
}
hex_of_file() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# Wire examples of osp-brief.md §3.2.
agent_info_request=0aa10001
agent_status_request=0ca10002
auth_capabilities=43e9a30018320181000214
auth_status=43eca10000
open_request=444da4000301000264636861740360
open_response=444ea200030101
data_frame=18a20001044568656c6c6f
examples=("$agent_info_request" "$agent_status_request" "$auth_capabilities" "$auth_status"
          "$open_request" "$open_response" "$data_frame")
all=$(printf '%s' "${examples[@]}")

# --- Golden decodes ---
expect_eq "decode agent-info-request" \
  '{"type":"agent-info-request","type-key":10,"fields":{"request-id":1}}' \
  "$("$LP2P" wire decode "$agent_info_request")"
expect_eq "decode auth-capabilities (spaced hex)" \
  '{"type":"auth-capabilities","type-key":1001,"fields":{"psk-ease-of-input":50,"psk-input-methods":["numeric"],"psk-min-bits-of-entropy":20}}' \
  "$("$LP2P" wire decode 43e9 a3 00 18 32 01 81 00 02 14)"
expect_eq "decode data-frame" \
  '{"type":"data-frame","type-key":24,"fields":{"encoding-id":"string","payload-text":"hello"}}' \
  "$("$LP2P" wire decode "$data_frame")"
expect_eq "decode from stdin" \
  '{"type":"auth-status","type-key":1004,"fields":{"result":"authenticated"}}' \
  "$(echo "$auth_status" | "$LP2P" wire decode -)"

# --- decode | encode round trips ---
for hex in "${examples[@]}"; do
  expect_eq "round trip $hex" "$hex" "$("$LP2P" wire decode "$hex" | "$LP2P" wire encode)"
done
# An unknown type key (go-lp2p's private need-psk message): shown raw, with a note on stderr.
run "$LP2P" wire decode 800182b9a100a0
expect_eq "unknown type key status" 0 "$status"
expect_eq "unknown type key JSON" '{"type":null,"type-key":99001,"cbor":"a100a0"}' "$(cat "$tmp/out")"
expect_contains "unknown type key note" "$(cat "$tmp/err")" "type key 99001 is not known"
expect_eq "unknown type key round trip" 800182b9a100a0 "$("$LP2P" wire encode <"$tmp/out")"
expect_eq "concatenated: one line per message" "${#examples[@]}" \
  "$("$LP2P" wire decode "$all" | wc -l | tr -d ' ')"
expect_eq "concatenated round trip" "$all" "$("$LP2P" wire decode "$all" | "$LP2P" wire encode)"
expect_eq "concatenated --pretty round trip" "$all" \
  "$(echo "$all" | "$LP2P" wire decode --pretty | "$LP2P" wire encode -)"
expect_eq "encode JSON argument" "$open_response" \
  "$("$LP2P" wire encode '{"type":"data-channel-open-response","fields":{"request-id":3,"result":"success"}}')"

# --- --binary both ways ---
"$LP2P" wire decode "$all" | "$LP2P" wire encode --binary >"$tmp/stream.bin"
expect_eq "encode --binary writes raw bytes" "$all" "$(hex_of_file "$tmp/stream.bin")"
expect_eq "decode --binary FILE" "$("$LP2P" wire decode "$all")" \
  "$("$LP2P" wire decode --binary "$tmp/stream.bin")"
expect_eq "decode --binary stdin" "$("$LP2P" wire decode "$all")" \
  "$("$LP2P" wire decode --binary <"$tmp/stream.bin")"

# --- Help and version ---
run "$LP2P" --help
expect_eq "--help status" 0 "$status"
expect_contains "--help lists wire" "$(cat "$tmp/out")" "wire"
run "$LP2P" wire --help
expect_eq "wire --help status" 0 "$status"
expect_contains "wire --help mentions decode" "$(cat "$tmp/out")" "decode"
expect_contains "wire --help mentions encode" "$(cat "$tmp/out")" "encode"
expect_contains "wire --help explains the framing" "$(cat "$tmp/out")" "CBOR"
run "$LP2P" --version
expect_eq "--version status" 0 "$status"
expect_contains "--version" "$(cat "$tmp/out")" "lp2p 0."

# --- Errors ---
run "$LP2P" wire decode 0aa1zz01
expect_eq "bad hex status" 1 "$status"
expect_contains "bad hex message" "$(cat "$tmp/err")" "bad hex"
expect_eq "bad hex stdout" "" "$(cat "$tmp/out")"

run "$LP2P" wire decode 0aa10001 0aa100
expect_eq "truncated status" 1 "$status"
expect_contains "truncated message" "$(cat "$tmp/err")" "ends inside message 2"
expect_eq "truncated: complete messages still printed" 1 "$(wc -l <"$tmp/out" | tr -d ' ')"

head -c 3 "$tmp/stream.bin" >"$tmp/short.bin"
run "$LP2P" wire decode --binary "$tmp/short.bin"
expect_eq "truncated --binary status" 1 "$status"
expect_contains "truncated --binary message" "$(cat "$tmp/err")" "ends inside message 1"

run "$LP2P" wire decode 0aa1006178
expect_eq "bad field status" 1 "$status"
expect_contains "bad field message" "$(cat "$tmp/err")" "message 1 (byte offset 0)"

run "$LP2P" wire decode 0aa1001801
expect_eq "non-canonical status" 0 "$status"
expect_contains "non-canonical note" "$(cat "$tmp/err")" "not in canonical form"

run "$LP2P" wire encode '{"type":"auth-status","fields":{"reslt":0}}'
expect_eq "unknown field status" 1 "$status"
expect_contains "unknown field message" "$(cat "$tmp/err")" 'unknown field "reslt"'

run "$LP2P" wire encode '{"type":'
expect_eq "bad JSON status" 1 "$status"
expect_contains "bad JSON message" "$(cat "$tmp/err")" "invalid JSON"

run "$LP2P" wire decode --no-such-option
expect_eq "usage error status" 2 "$status"
run "$LP2P" wire
expect_eq "missing subcommand status" 2 "$status"

if ((failures > 0)); then
  echo "$failures of $checks checks failed" >&2
  exit 1
fi
echo "all $checks checks passed"
