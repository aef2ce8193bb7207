# The one encoding of a list the plan hands a script (plan/steps.ts, `records`): one item a line,
# `key=value` fields separated by spaces, a list's items joined with commas, an optional field left
# out. In a value, %, backslash and whitespace travel percent-encoded (%25, %5C, %20...), so paths
# and messages with spaces fit. Sourced through common.sh.
# shellcheck shell=bash

# record LINE: the fields of one line into the associative array `field`.
declare -gA field=()
record() {
  local pair value pairs
  field=()
  read -r -a pairs <<< "$1"
  for pair in "${pairs[@]}"; do
    value=${pair#*=}
    # No backslash survives the encoding, so %b decodes exactly the \xHH this makes.
    printf -v value '%b' "${value//%/\\x}"
    # shellcheck disable=SC2034 # read by the scripts that source this file
    field[${pair%%=*}]=$value
  done
}

# records VAR_TEXT: the non-empty lines of a list, for `while read -r line; do record "$line"`.
records() { printf '%s\n' "$1" | grep -v '^[[:space:]]*$' || true; }
