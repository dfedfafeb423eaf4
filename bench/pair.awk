#!/usr/bin/awk -f
# The pairing script a user would otherwise write: pair each kvm_exit with the next kvm_entry of the same thread
# and sum durations per exit reason. Works on trace-cmd report, raw ftrace and perf script text (it finds the
# timestamp as the field ending in ':' before the event name, and the thread as the field before "[cpu]").
#   awk -f bench/pair.awk trace.txt
{
  ev = ""; ts = ""; thr = ""
  for (i = 2; i <= NF; i++) {
    if ($i ~ /(^|:)kvm_(exit|entry):$/) { ev = $i; ts = $(i - 1); break }
  }
  if (ev == "") next
  for (j = 1; j < i; j++) if ($j ~ /^\[[0-9]+\]$/) { thr = $(j - 1); break }
  sub(/:$/, "", ts)
  if (ev ~ /kvm_exit:$/) {
    r = ""
    for (k = i + 1; k < NF; k++) if ($k == "reason") { r = $(k + 1); break }
    open_ts[thr] = ts; open_r[thr] = r
  } else if (thr in open_ts) {
    d = ts - open_ts[thr]
    n[open_r[thr]]++; sum[open_r[thr]] += d
    delete open_ts[thr]
  }
}
END {
  for (r in n) printf "%-24s %10d %14.3f us\n", r, n[r], sum[r] * 1e6
}
