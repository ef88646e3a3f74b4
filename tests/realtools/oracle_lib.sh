# The oracle guest's case helpers (../shared/oracle/tools/guest/lib.sh), for running its case
# scripts unchanged under `dmemu exec`: the same begin_case / run / note / q / end_case and the
# same output format, with the kernel log read from the daemon (`dmemu-setup dmesg`) instead of
# dmesg(1). Sourced by bash or busybox sh; needs OUTDIR (where CASE.txt goes), DMEMU_SETUP (the
# dmemu-setup program) and DMEMU_DIR (set by dmemu exec).
KSEEN=$OUTDIR/.kseen
# The kernel lines logged since the last call, as `dmesg -c` prints them without timestamps.
kmsg() {
  local all seen
  # dmemu-setup talks to the daemon itself: without the preload library (an instrumented
  # dmemu-setup of a sanitized build cannot even start with it).
  all=$(env -u LD_PRELOAD "$DMEMU_SETUP" dmesg 2>/dev/null; echo x)
  all=${all%x}
  seen=$(cat "$KSEEN" 2>/dev/null || echo 0)
  printf '%s' "$all" | tail -n +$((seen + 1))
  printf '%s' "$all" | wc -l > "$KSEEN"
}
begin_case() {
  q dmsetup remove_all --force
  CASE=$1; N=0
  CMDS=$OUTDIR/$CASE.cmds; BODY=$OUTDIR/$CASE.body; : > "$CMDS"; : > "$BODY"
  kmsg > /dev/null
}
note() {
  N=$((N+1))
  printf '[%d] %s   (run directly in the test shell, not captured)\n' $N "$*" >> "$CMDS"
  printf '=== [%d] $ %s\n(not captured)\n\n' $N "$*" >> "$BODY"
}
run() {
  N=$((N+1))
  printf '[%d] %s\n' $N "$*" >> "$CMDS"
  kmsg > "$OUTDIR/pre.kmsg"
  eval "$*" > "$OUTDIR/o" 2> "$OUTDIR/e"
  rc=$?
  sleep ${RUN_SETTLE:-0}
  kmsg > "$OUTDIR/k"
  {
    printf '=== [%d] $ %s\n' $N "$*"
    if [ -s "$OUTDIR/pre.kmsg" ]; then echo '--- dmesg (late, from before this command) ---'; cat "$OUTDIR/pre.kmsg"; fi
    echo '--- stdout ---'; cat "$OUTDIR/o"
    echo '--- stderr ---'; cat "$OUTDIR/e"
    echo "--- exit: $rc ---"
    echo '--- dmesg ---'; cat "$OUTDIR/k"
    echo
  } >> "$BODY"
  return $rc
}
q() { eval "$*" > /dev/null 2>&1; }
end_case() {
  {
    echo "# case: $CASE"
    echo "# dmemu exec: $(dmsetup --version 2>/dev/null | tr '\n' ' ')"
    echo "# commands:"
    sed 's/^/#   /' "$CMDS"
    echo "#"
    cat "$BODY"
  } > "$OUTDIR/$CASE.txt"
  q dmsetup remove_all --force
  kmsg > /dev/null
}
