#!/bin/sh
# The image's entrypoint (after tini): gives Node a heap limit derived from the memory the
# container may use, then runs the command (exec: the command becomes tini's child and
# receives SIGTERM directly).
#
# The limit read, first found:
#   cgroup v2  $ENTRYPOINT_CGROUP_ROOT/memory.max                    (Docker, Kubernetes, Render)
#   cgroup v1  $ENTRYPOINT_CGROUP_ROOT/memory/memory.limit_in_bytes  (older hosts)
#   the machine's memory, MemTotal in $ENTRYPOINT_MEMINFO            (Fly machines: a VM, no cgroup limit)
# NODE_OPTIONS gets --max-old-space-size=<NODE_HEAP_PERCENT (75) % of it, in MiB>, but at
# most the memory less NODE_HEAP_RESERVE_MB (112: what Node needs besides the old space,
# measured in docs/memory.md; it decides on small machines: 144 of 256 MiB), and at most
# NODE_HEAP_MAX_MB (4096). A NODE_OPTIONS that already sets --max-old-space-size wins;
# NODE_HEAP_PERCENT=0 turns this off. See docs/memory.md. (Not named OPSKIT_*: opskit
# refuses to boot with an undeclared variable under its own prefix.)
set -eu

cgroup_root="${ENTRYPOINT_CGROUP_ROOT:-/sys/fs/cgroup}"
meminfo="${ENTRYPOINT_MEMINFO:-/proc/meminfo}"
percent="${NODE_HEAP_PERCENT:-75}"
max_mb="${NODE_HEAP_MAX_MB:-4096}"
reserve_mb="${NODE_HEAP_RESERVE_MB:-112}"

say() { printf 'docker-entrypoint: %s\n' "$*" >&2; }

is_count() { case "$1" in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }

limit_bytes() {
  if [ -r "$cgroup_root/memory.max" ]; then
    value=$(cat "$cgroup_root/memory.max")
    # "max" is no limit: fall through to the machine's memory.
    if is_count "$value"; then
      printf '%s cgroup-v2\n' "$value"
      return
    fi
  elif [ -r "$cgroup_root/memory/memory.limit_in_bytes" ]; then
    value=$(cat "$cgroup_root/memory/memory.limit_in_bytes")
    # v1 says "no limit" with a number near 2^63 (16+ digits): fall through.
    if is_count "$value" && [ "${#value}" -le 15 ]; then
      printf '%s cgroup-v1\n' "$value"
      return
    fi
  fi
  if [ -r "$meminfo" ]; then
    kib=$(awk '$1 == "MemTotal:" { print $2; exit }' "$meminfo")
    if is_count "$kib"; then
      printf '%s meminfo\n' "$((kib * 1024))"
      return
    fi
  fi
}

case " ${NODE_OPTIONS:-} " in
  *" --max-old-space-size="* | *" --max_old_space_size="*)
    say "NODE_OPTIONS already sets the heap limit; left as is"
    ;;
  *)
    if ! is_count "$percent" || ! is_count "$max_mb" || ! is_count "$reserve_mb" || [ "$percent" -gt 100 ]; then
      say "NODE_HEAP_PERCENT ($percent) must be 0-100, NODE_HEAP_MAX_MB ($max_mb) and NODE_HEAP_RESERVE_MB ($reserve_mb) numbers; heap limit left to Node"
    elif [ "$percent" -gt 0 ]; then
      found=$(limit_bytes)
      if [ -n "$found" ]; then
        bytes=${found% *}
        source=${found#* }
        memory_mb=$((bytes / 1048576))
        heap_mb=$((memory_mb * percent / 100))
        [ "$heap_mb" -gt "$((memory_mb - reserve_mb))" ] && heap_mb=$((memory_mb - reserve_mb))
        [ "$heap_mb" -gt "$max_mb" ] && heap_mb=$max_mb
        if [ "$heap_mb" -ge 32 ]; then
          export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--max-old-space-size=$heap_mb"
          say "memory $memory_mb MiB ($source): --max-old-space-size=$heap_mb"
        else
          say "memory $memory_mb MiB ($source) is too small for a heap limit; left to Node"
        fi
      else
        say "no memory limit found; heap limit left to Node"
      fi
    fi
    ;;
esac

if [ "$#" -eq 0 ]; then
  say "no command given"
  exit 2
fi
exec "$@"
