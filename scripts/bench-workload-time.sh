# Sourced by the benchmarks that time tests/targets/churn and esbuild by their own measurement
# (bench-overhead.sh, bench-sampling-cost.sh), so a tracer's attach and detach never count.

# workload_ms NAME OUTPUT: the workload's own time in ms, from its output (churn prints
# elapsed_ms=, esbuild "Done in Nms").
workload_ms() {
  case $1 in
    churn) sed -n 's/.*elapsed_ms=\([0-9.]*\).*/\1/p' "$2" | tail -1 ;;
    esbuild) sed -n 's/.*Done in \([0-9.]*\)ms.*/\1/p' "$2" | tail -1 ;;
  esac
}

# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
