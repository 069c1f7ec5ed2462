#!/bin/sh
# Benchmark (not a test): callproof's memory while a 200 MB recording is uploaded and then
# downloaded through a signed link. Reads the server's VmRSS (now) and VmHWM (peak since start)
# from /proc. Run with `make bench` (or directly: bench/recording_rss.sh [MB]).
set -eu
cd "$(dirname "$0")/.."
MB=${1:-200}
. bench/lib.sh
bench_init
server_start "$work/data"

# A WAV header for a 16-bit mono 8 kHz file, then random samples.
bytes=$((MB * 1024 * 1024))
python3 - "$work/a.wav" "$bytes" <<'PY'
import os, struct, sys
path, total = sys.argv[1], int(sys.argv[2])
data = total - 44
with open(path, "wb") as f:
    f.write(b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE" + b"fmt " +
            struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", data))
    left = data
    while left:
        n = min(left, 1 << 20)
        f.write(os.urandom(n))
        left -= n
PY
curl -sf "$base/api/v1/calls" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"call_id":"bench","user_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","agent_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","type":"phone_call","from_number":"+15551234567","to_number":"+15557654321","phone_number_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a"}' >/dev/null
idle=$(kb "$pid" VmRSS)
t0=$(date +%s.%N)
curl -sf -X PUT "$base/v1/calls/bench/recordings/r1/audio" -H "Authorization: Bearer $token" \
  -H 'Content-Type: audio/wav' --data-binary @"$work/a.wav" -o /dev/null
t1=$(date +%s.%N)
peak_up=$(kb "$pid" VmHWM)
url=$(curl -sf "$base/api/v1/voice-calls/bench/recording-url" -H "Authorization: Bearer $token" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["recordingUrl"])')
curl -sf "$url" -o "$work/b.wav"
t2=$(date +%s.%N)
peak_all=$(kb "$pid" VmHWM)
after=$(kb "$pid" VmRSS)
same=no
cmp -s "$work/a.wav" "$work/b.wav" && same=yes
echo "recording RSS benchmark: ${MB} MB WAV, $(nproc) cores, $(uname -r)"
echo "  idle RSS before upload:        ${idle} kB"
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
echo "  peak RSS after upload:         ${peak_up} kB   (upload $(secs "$t0" "$t1") s)"
echo "  peak RSS after download:       ${peak_all} kB   (download $(secs "$t1" "$t2") s)"
echo "  RSS after both:                ${after} kB"
echo "  peak above idle:               $((peak_all - idle)) kB"
echo "  downloaded bytes identical:    ${same}"
