#!/usr/bin/env bash
# Issue 10 (c): two "hosts" on this machine, each a network namespace of its own, joined by a veth
# pair, and an MPI job with one process on each, talking TCP over that link only. Measures a raw
# Allreduce and DDP's gradient averaging of the W2 MLP across the link, then trains with
# `memograd train` across the two "hosts". Needs root (ip netns) and `pip install -e ".[distributed]"`.
#
#     sudo benchmarks/netns_two_hosts.sh
#
# How it works: mpiexec runs inside host A's namespace and starts one proxy per host through a
# launcher script standing in for ssh (`ip netns exec` into the host's namespace). UCX_TLS=tcp,self
# makes MPICH's UCX use TCP: left alone it finds that both processes share a kernel and uses shared
# memory, which no two real machines could. All traffic stays inside the two namespaces (the veth
# counters are printed at the end); they are removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
A=mg-host-a B=mg-host-b IP_A=10.77.0.1 IP_B=10.77.0.2
work=$(mktemp -d)
cleanup() { ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

ip netns add "$A"
ip netns add "$B"
ip link add mg-veth-a type veth peer name mg-veth-b
ip link set mg-veth-a netns "$A"
ip link set mg-veth-b netns "$B"
ip -n "$A" addr add "$IP_A/24" dev mg-veth-a
ip -n "$B" addr add "$IP_B/24" dev mg-veth-b
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set mg-veth-a up
ip -n "$B" link set mg-veth-b up

# The "ssh" Hydra calls: launcher [options] HOST COMMAND... -> run COMMAND in HOST's namespace.
cat > "$work/netns-ssh" <<LAUNCHER
#!/bin/sh
while [ \$# -gt 0 ]; do case "\$1" in -*) shift ;; *) break ;; esac; done
host="\$1"; shift
case "\$host" in $IP_A) ns=$A ;; $IP_B) ns=$B ;; *) echo "unknown host \$host" >&2; exit 1 ;; esac
exec ip netns exec "\$ns" sh -c "\$*"
LAUNCHER
chmod +x "$work/netns-ssh"

job() {  # job ARGS...: one process per "host", over TCP
    ip netns exec "$A" mpiexec -hosts "$IP_A,$IP_B" -ppn 1 -n 2 -launcher ssh -launcher-exec "$work/netns-ssh" \
        -genv UCX_TLS tcp,self -genv OMP_NUM_THREADS 1 -genv MPIR_CVAR_POLLS_BEFORE_YIELD 10 "$@"
}

echo "== raw Allreduce and DDP's averaging of the W2 MLP (23.3 MB), one process per host, TCP over veth"
job python -m mpi4py benchmarks/distributed.py --worker allreduce --repeats "${REPEATS:-9}"
echo "== memograd train across the two hosts (run folder on host A, rank 0)"
job python -m mpi4py -m memograd train --epochs 2 --batch-size 32 --out "$work/run"
echo "== traffic through the link (host A's end)"
ip -n "$A" -s link show mg-veth-a | sed -n '3,6p'
