# shellcheck shell=bash
# lib.sh -- shared helpers for the network-namespace labs. Sourced by compat-tests/lab/*.sh,
# packaging/demo.sh and bench/failover.sh; never run on its own.
#
# A lab is a LAN of its own: one namespace holds a bridge (br0), every host is a network
# namespace whose `eth0` is a veth plugged into that bridge. Every host also runs in its own
# PID, mount and UTS namespace (PID 1 = init.py), so that `ps -C nginx`, `killall keepalived`
# and `hostname` inside a node see only that node, as on real machines.
# Rules kept here: the root namespace is never configured; only 198.51.100.0/24 is used;
# every wait is bounded; everything is torn down on every exit path (trap EXIT).
#
# Parameters (environment): KA_BIN = our daemon, REF_BIN = real keepalived 2.2.7.
# Exit status convention of the scenarios: 0 pass, 1 fail, 77 skipped (missing prerequisite).

LAB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_REPO=$(cd "$LAB_HERE/../.." && pwd)
KA_BIN=${KA_BIN:-$LAB_REPO/target/debug/keepalived}
REF_BIN=${REF_BIN:-/usr/sbin/keepalived}
LAB_PY=/usr/bin/python3
VIP=198.51.100.50
LAB_PREFIX=198.51.100

LAB_NS=""          # namespace name prefix, unique per run
LAB_DIR=""         # temp dir of this run
LAB_NODES=()       # host names in creation order
declare -A LAB_INIT=()   # host -> root-view pid of its PID 1
declare -A LAB_IP=()     # host -> address

# now_ms -- wall clock in milliseconds (integer arithmetic only).
now_ms() { echo $(($(date +%s%N) / 1000000)); }
LAB_T0=$(now_ms)

say() {
	local t=$(($(now_ms) - LAB_T0))
	printf '[%4d.%03ds] %s\n' $((t / 1000)) $((t % 1000)) "$*"
}
ok() { say "ok: $*"; }
skip() {
	echo "skipped: $*"
	exit 77
}
fail() {
	echo "FAIL: $*"
	lab_dump_logs
	exit 1
}

# lab_require TOOL... -- skip (exit 77) unless root, `ip netns` and the tools are available.
lab_require() {
	[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
	local t
	for t in ip unshare nsenter ss "$LAB_PY" "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "missing tool: $t"
	done
	ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"
}

# lab_init NAME -- temp dir, cleanup trap and the bridge namespace.
lab_init() {
	LAB_NS="ka$$${1:0:3}"
	LAB_DIR=$(mktemp -d "/tmp/kalab-$1.XXXXXX")
	chmod 755 "$LAB_DIR" # nginx workers (www-data) read the pages below it
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	ip netns add "${LAB_NS}br" || fail "cannot create namespace ${LAB_NS}br"
	ip -n "${LAB_NS}br" link add br0 type bridge mcast_snooping 0 || fail "cannot create bridge"
	ip -n "${LAB_NS}br" link set br0 up
	say "lab $1: namespaces ${LAB_NS}*, files in $LAB_DIR"
	if [ "${KA_LAB_PCAP:-0}" = 1 ]; then
		# Everything on the LAN (VRRP, ARP, SMTP, HTTP) for wire-level diagnosis; implies keep.
		KA_LAB_KEEP=1
		ip netns exec "${LAB_NS}br" tcpdump -q -i br0 -U -w "$LAB_DIR/lan.pcap" >/dev/null 2>&1 &
		say "capturing the LAN to $LAB_DIR/lan.pcap"
	fi
}

# lab_host NAME OCTET -- host NAME with eth0 = 198.51.100.OCTET/24 on the bridge, own PID ns.
lab_host() {
	local name=$1 ns="${LAB_NS}$1" ip="$LAB_PREFIX.$2"
	ip netns add "$ns" || fail "cannot create namespace $ns"
	ip link add eth0 netns "$ns" type veth peer name "v$name" netns "${LAB_NS}br" ||
		fail "cannot create veth for $name"
	ip -n "${LAB_NS}br" link set "v$name" master br0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$ip/24" dev eth0
	ip -n "$ns" link set eth0 up
	mkdir -p "$LAB_DIR/$name"
	ip netns exec "$ns" unshare --pid --mount-proc --uts --kill-child \
		"$LAB_PY" "$LAB_HERE/init.py" "$name" </dev/null >/dev/null 2>&1 &
	local upid=$! child="" i
	for ((i = 0; i < 50; i++)); do
		child=$(cat "/proc/$upid/task/$upid/children" 2>/dev/null | tr -d ' ')
		[ -n "$child" ] && [ "$(cat "/proc/$child/comm" 2>/dev/null)" != unshare ] && break
		sleep 0.1
	done
	[ -n "$child" ] || fail "PID namespace of $name did not start"
	LAB_INIT[$name]=$child
	LAB_IP[$name]=$ip
	LAB_NODES+=("$name")
}

# node_exec NAME CMD... -- run CMD inside host NAME (its net, PID, mount and UTS namespaces).
node_exec() {
	local name=$1
	shift
	nsenter -t "${LAB_INIT[$name]}" -n -p -m -u --wd="$LAB_DIR/$name" -- "$@"
}

# ka_start NAME BIN CONF [ARG...] -- start a daemon on NAME in the foreground with console
# logging, extra ARGs last; stderr goes to $LAB_DIR/NAME/ka.log. Pid files are per node (they
# share one filesystem).
ka_start() {
	local name=$1 bin=$2 conf=$3 d="$LAB_DIR/$1"
	shift 3
	# The labs, like the tutorial's check script, find the daemon by its process name.
	[ "$(basename "$bin")" = keepalived ] || fail "$bin: the daemon binary must be named keepalived"
	rm -f "$d/ka.pid" "$d/vrrp.pid" "$d/checkers.pid"
	echo "=== $(date +%T.%N) start $bin -f $conf" >>"$d/ka.log"
	node_exec "$name" "$bin" -n -l -D --vrrp -f "$conf" \
		-p "$d/ka.pid" -r "$d/vrrp.pid" -c "$d/checkers.pid" "$@" </dev/null >>"$d/ka.log" 2>&1 &
	wait_until 10 test -s "$d/ka.pid" || fail "$name: $bin wrote no pid file $d/ka.pid in 10 s"
	say "$name: started $(basename "$bin") (pid $(cat "$d/ka.pid") in node) with $(basename "$conf")"
}

# ka_signal NAME SIG -- signal the daemon's main process (from its pid file), like systemd does.
ka_signal() {
	local pid
	pid=$(cat "$LAB_DIR/$1/ka.pid" 2>/dev/null) || fail "$1: no pid file to send SIG$2"
	node_exec "$1" kill "-$2" "$pid" || fail "$1: kill -$2 $pid failed"
}

# ka_kill9 NAME -- crash the whole daemon: SIGKILL every `keepalived` process of the node.
# The VRRP child (vrrp.pid) goes first, in the same shell as the rest: real keepalived's child
# has PR_SET_PDEATHSIG=SIGTERM and, if its parent died first, would often shut down cleanly
# (priority-0 advert). SIGSTOP is not an option: nsenter stops itself when its child stops and
# would then never reap it. A second sweep catches a child respawned in between.
ka_kill9() {
	local vpid
	vpid=$(cat "$LAB_DIR/$1/vrrp.pid" 2>/dev/null)
	node_exec "$1" sh -c "${vpid:+kill -9 $vpid 2>/dev/null;} killall -q -9 keepalived"
	sleep 0.1
	node_exec "$1" killall -q -9 keepalived
	return 0
}

# ka_running NAME -- true while any process named keepalived runs on the node.
ka_running() { [ "$(node_exec "$1" ps -C keepalived --no-header | wc -l)" -gt 0 ]; }

ka_stopped() { ! ka_running "$1"; }

# ka_wait_exit NAME SECONDS -- wait until no keepalived process is left on the node.
ka_wait_exit() { wait_until "$2" ka_stopped "$1"; }

# wait_until SECONDS CMD... -- poll CMD (a command or a function) every 20 ms until it
# succeeds; status 1 once SECONDS (may be fractional, e.g. 2.5) have passed.
wait_until() {
	local deadline
	deadline=$(($(now_ms) + $(awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }')))
	shift
	while :; do
		"$@" && return 0
		[ "$(now_ms)" -gt "$deadline" ] && return 1
		sleep 0.02
	done
}

# has_vip NAME [ADDR] -- true if ADDR (default the VIP) is on NAME's eth0.
has_vip() { ip -n "${LAB_NS}$1" -4 -o addr show dev eth0 | grep -q " ${2:-$VIP}/"; }

# who_has_vip [ADDR] -- the hosts holding ADDR, space separated ("" if none).
who_has_vip() {
	local n out=()
	for n in "${LAB_NODES[@]}"; do has_vip "$n" "${1:-$VIP}" && out+=("$n"); done
	echo "${out[*]:-}"
}

# vip_none -- true if no host holds the VIP.
vip_none() { [ -z "$(who_has_vip)" ]; }

# vip_only NAME -- true if NAME and nobody else holds the VIP.
vip_only() { [ "$(who_has_vip)" = "$1" ]; }

# expect_vip_only NAME SECONDS WHAT -- wait until only NAME holds the VIP, or fail.
expect_vip_only() {
	wait_until "$2" vip_only "$1" || fail "$3: expected only $1 to hold $VIP within $2 s, holders: '$(who_has_vip)'"
	ok "$3: $1 holds $VIP"
}

# sample_vip_only NAME COUNT -- sample COUNT times, 0.5 s apart: exactly NAME holds the VIP.
sample_vip_only() {
	local i h
	for ((i = 0; i < $2; i++)); do
		h=$(who_has_vip)
		[ "$h" = "$1" ] || fail "sample $i: expected exactly $1 to hold $VIP, holders: '$h'"
		sleep 0.5
	done
	ok "$2 samples over $(($2 / 2)) s: exactly $1 holds $VIP"
}

# web_start NAME -- a web server on NAME whose page names the node. nginx when installed
# (started through $LAB_DIR/NAME/sbin/nginx, the path the tutorial's check script calls),
# else python's http.server (demo only).
web_start() {
	local name=$1 d="$LAB_DIR/$1"
	mkdir -p "$d/www" "$d/sbin" "$d/nginx"
	echo "served by $name" >"$d/www/index.html"
	chmod -R a+rX "$d/www"
	if command -v nginx >/dev/null 2>&1; then
		cat >"$d/nginx/nginx.conf" <<-EOF
			user www-data;
			worker_processes 1;
			pid $d/nginx/nginx.pid;
			error_log $d/nginx/error.log;
			events { worker_connections 64; }
			http {
			    access_log off;
			    client_body_temp_path $d/nginx/body;
			    proxy_temp_path $d/nginx/proxy;
			    fastcgi_temp_path $d/nginx/fastcgi;
			    uwsgi_temp_path $d/nginx/uwsgi;
			    scgi_temp_path $d/nginx/scgi;
			    server { listen 80; root $d/www; }
			}
		EOF
		printf '#!/bin/sh\nexec %s -c %s\n' "$(command -v nginx)" "$d/nginx/nginx.conf" >"$d/sbin/nginx"
	else
		printf '#!/bin/sh\ncd %s && exec setsid %s -m http.server -b 0.0.0.0 80 >/dev/null 2>&1 &\n' \
			"$d/www" "$LAB_PY" >"$d/sbin/nginx"
	fi
	chmod 755 "$d/sbin/nginx"
	node_exec "$name" "$d/sbin/nginx" || fail "$name: web server failed to start"
	wait_until 5 node_exec "$name" curl -s -o /dev/null --max-time 1 "http://${LAB_IP[$name]}/" ||
		fail "$name: web server does not answer"
}

# nginx_count NAME -- the tutorial's own probe, run inside the node.
nginx_count() { node_exec "$1" bash -c 'ps -C nginx --no-header | wc -l'; }
nginx_up() { [ "$(nginx_count "$1")" -gt 0 ]; }
nginx_down() { [ "$(nginx_count "$1")" -eq 0 ]; }

# client_get [HOST] -- fetch http://VIP/ from the client namespace (1 s timeout).
client_get() { ip netns exec "${LAB_NS}${1:-client}" curl -s --max-time 1 "http://$VIP/"; }

client_page_has() { client_get | grep -q "$1"; }

# client_expect TEXT SECONDS WHAT -- poll the VIP from the client until the page says TEXT.
client_expect() {
	local page=""
	wait_until "$2" client_page_has "$1" ||
		fail "$3: client did not get '$1' from http://$VIP/ within $2 s (last: '$(client_get)')"
	page=$(client_get)
	ok "$3: client got '$page' from http://$VIP/"
}

# lab_dump_logs -- tails of every daemon log, for failure reports.
lab_dump_logs() {
	[ -n "$LAB_DIR" ] || return 0
	local f
	for f in "$LAB_DIR"/*/ka.log; do
		[ -f "$f" ] || continue
		echo "----- last lines of $f"
		tail -n 40 "$f"
	done
}

# lab_cleanup -- kill every node (SIGKILL to a PID 1 kills its whole PID namespace), stop
# background helpers, delete the namespaces and the temp dir (kept if KA_LAB_KEEP=1).
lab_cleanup() {
	local n pid
	trap - EXIT INT TERM HUP
	for n in "${LAB_NODES[@]}"; do
		pid=${LAB_INIT[$n]:-}
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	done
	# Background helpers (monitors, probes, daemon wrappers) get 5 s to go; never wait blindly.
	local left i alive
	left=$(jobs -p)
	for pid in $left; do kill "$pid" 2>/dev/null; done
	for ((i = 0; i < 50; i++)); do
		alive=0
		for pid in $left; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for n in "${LAB_NODES[@]}"; do ip netns del "${LAB_NS}$n" 2>/dev/null; done
	[ -n "$LAB_NS" ] && ip netns del "${LAB_NS}br" 2>/dev/null
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
		if [ "${KA_LAB_KEEP:-0}" = 1 ]; then echo "kept $LAB_DIR"; else rm -rf "$LAB_DIR"; fi
	fi
}

# conf_simple PRIO VERSION [EXTRA_INSTANCE_LINES] -- a plain pair config (interface eth0,
# VRID 51, advert_int 1, VIP 198.51.100.50). v2 uses PASS authentication, v3 has none.
conf_simple() {
	local prio=$1 ver=$2 extra=${3:-}
	echo "global_defs {"
	echo "    router_id lab_node"
	[ "$ver" = 3 ] && echo "    vrrp_version 3"
	echo "}"
	echo "vrrp_instance VI_1 {"
	echo "    state BACKUP"
	echo "    interface eth0"
	echo "    virtual_router_id 51"
	echo "    priority $prio"
	echo "    advert_int ${LAB_ADVERT_INT:-1}"
	if [ "$ver" = 2 ]; then
		echo "    authentication {"
		echo "        auth_type PASS"
		echo "        auth_pass 1111"
		echo "    }"
	fi
	echo "    virtual_ipaddress {"
	echo "        $VIP"
	echo "    }"
	[ -n "$extra" ] && echo "$extra"
	echo "}"
}

# conf_issue STATE PRIO CHECK_SCRIPT WITH_TRACK -- the issue's config, verbatim (comments and
# all) except the check script path and, for the backup, state/priority. WITH_TRACK=0 drops
# the vrrp_script / track_script / smtp_alert parts (the plain variant).
conf_issue() {
	local state=$1 prio=$2 script=$3 track=$4
	cat <<-EOF
		global_defs {
		notification_email {
		acassen@firewall.loc
		failover@firewall.loc
		sysadmin@firewall.loc
		}
		notification_email_from Alexandre.Cassen@firewall.loc
		smtp_server 198.51.100.129   # 当前主机ip
		smtp_connect_timeout 30
		router_id LVS_DEVEL
		}
	EOF
	[ "$track" = 1 ] && cat <<-EOF
		vrrp_script chk_http_port {
		script "$script" # 执行脚本所在的位置
		interval 2 #检测脚本执行的间隔
		weight 2
		}
	EOF
	cat <<-EOF
		vrrp_instance VI_1 {
		state $state # 备份服务器上将 MASTER 改为 BACKUP
		interface eth0
		virtual_router_id 51
		priority $prio
		advert_int 1
		authentication { # 心跳检测需要的密码
		auth_type PASS
		auth_pass 1111
		}
		virtual_ipaddress {
		198.51.100.50 # 虚拟ip
		}
	EOF
	[ "$track" = 1 ] && cat <<-EOF
		track_script {
		chk_http_port
		}
		smtp_alert
	EOF
	echo "}"
}

# check_script NAME -- the tutorial's nginx_check.sh for NAME, changed only in its paths:
# the nginx start command is the node's launcher. Prints the script's path.
check_script() {
	local d="$LAB_DIR/$1"
	cat >"$d/nginx_check.sh" <<-EOF
		#!/bin/bash
		A=\`ps -C nginx --no-header |wc -l\`
		if [ \$A -eq 0 ];then
		$d/sbin/nginx
		sleep 2
		if [ \`ps -C nginx --no-header |wc -l\` -eq 0 ];then
		killall keepalived
		fi
		fi
	EOF
	chmod 755 "$d/nginx_check.sh"
	echo "$d/nginx_check.sh"
}

smtp_listening() { [ -n "$(ip netns exec "${LAB_NS}$1" ss -Hltn 'sport = :25')" ]; }

# smtp_start HOST -- the SMTP sink on HOST:25; mails land in $LAB_DIR/HOST/mail-N.txt.
smtp_start() {
	node_exec "$1" "$LAB_PY" "$LAB_HERE/smtp_sink.py" "${LAB_IP[$1]}" 25 "$LAB_DIR/$1" \
		</dev/null >"$LAB_DIR/$1/smtp.log" 2>&1 &
	wait_until 5 smtp_listening "$1" ||
		fail "SMTP sink on $1 did not start: $(cat "$LAB_DIR/$1/smtp.log")"
}
