#!/usr/bin/env bash
# mixed.sh -- every kind of instance on one interface at once. Each node has, on eth0:
#   M4  VRRPv2, IPv4, multicast (224.0.0.18), PASS authentication   VIP 198.51.100.51
#   U4  VRRPv3, IPv4, unicast (unicast_src_ip, the other node as peer) VIP 198.51.100.52
#   M6  VRRPv3, IPv6, multicast (ff02::12)                           VIPs fe80::53, 2001:db8::53
#   U6  VRRPv3, IPv6, unicast (native_ipv6, peer = the other node's link-local) VIP 2001:db8::54
# n1 has priority 100 for M4 and M6 and 90 for U4 and U6; n2 the other way round. Every
# instance tracks a file of its own (weight -20), so one instance's priority can be lowered
# without touching the others.
# Per pair (VRIDs 51..54, then all four on VRID 51, a sharing keepalived 2.2.7 accepts since
# families and modes are separate VRID spaces):
#   converge: n1 holds M4 and M6, n2 U4 and U6 (sampled);
#   n1's M6 file at 1 (100 -> 80): only M6 moves to n2; back to 0: n1 takes it back;
#   n2's U4 file at 1: only U4 moves to n1; back: n2 takes it back;
#   SIGKILL n1: n2 takes M4 and M6 and keeps U4 and U6; n1 restarted: back as at first;
#   SIGKILL n2: n1 takes U4 and U6 and keeps M4 and M6; n2 restarted: back as at first;
#   SIGTERM both: no VIP left.
# tcpdump on the bridge: M4's adverts are VRRPv2 to 224.0.0.18 from both nodes, U4's VRRPv3
# from one node's address to the other's, M6's VRRPv3 from the link-locals to ff02::12, U6's
# VRRPv3 from one link-local to the other; IPv4 ones with TTL 255, IPv6 multicast ones hop
# limit 255 (unicast: the kernel's default, as keepalived without unicast_ttl); nothing else
# is VRRP. No daemon complains about its peer's packets.
# Pairs: ours/ours, then ours with real keepalived (REF_BIN) both ways round.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_require killall ps tcpdump
[ -x "$KA_BIN" ] || fail "KA_BIN=$KA_BIN is not an executable"

lab_init mixed
lab_host n1 1
lab_host n2 2

# Instances, their VIPs (the first is the one checked) and which node is master at rest.
INSTANCES=(M4 U4 M6 U6)
declare -A VIPS=([M4]="198.51.100.51" [U4]="198.51.100.52" [M6]="2001:db8::53 fe80::53" [U6]="2001:db8::54")
declare -A HOME_NODE=([M4]=n1 [U4]=n2 [M6]=n1 [U6]=n2)

link_local() {
	ip -n "${LAB_NS}$1" -6 -o addr show dev eth0 scope link -tentative |
		awk '{ sub("/.*", "", $4); print $4; exit }'
}
ll_ready() { [ -n "$(link_local "$1")" ]; }
for n in n1 n2; do
	wait_until 10 ll_ready "$n" || fail "$n: no usable link-local address on eth0 after 10 s"
done
declare -A LL=([n1]=$(link_local n1) [n2]=$(link_local n2))
say "link-local addresses: n1 ${LL[n1]}, n2 ${LL[n2]}"

other() { if [ "$1" = n1 ]; then echo n2; else echo n1; fi; }

# has_addr NAME ADDR -- ADDR is on NAME's eth0 (listing read whole: see ipv6.sh).
has_addr() {
	local list
	list=$(ip -n "${LAB_NS}$1" -o addr show dev eth0)
	[[ $list == *" $2/"* ]]
}

# holders INST -- the nodes holding every VIP of INST ("n1", "n2", "n1 n2" or ""), or "split"
# when a node holds only some of them.
holders() {
	local n v all some out=()
	for n in n1 n2; do
		all=1 some=0
		for v in ${VIPS[$1]}; do
			if has_addr "$n" "$v"; then some=1; else all=0; fi
		done
		[ "$some" = 1 ] && [ "$all" = 0 ] && {
			echo split
			return
		}
		[ "$all" = 1 ] && out+=("$n")
	done
	echo "${out[*]:-}"
}

# layout -- "M4=n1 U4=n2 M6=n1 U6=n2": who holds each instance's VIPs now.
layout() {
	local i out=()
	for i in "${INSTANCES[@]}"; do out+=("$i=$(holders "$i")"); done
	echo "${out[*]}"
}

# want [INST=NODE...] -- the layout at rest, with the given instances moved.
want() {
	local i a out=() moved=" $* "
	for i in "${INSTANCES[@]}"; do
		a=${HOME_NODE[$i]}
		[[ $moved =~ \ $i=(n[12])\  ]] && a=${BASH_REMATCH[1]}
		out+=("$i=$a")
	done
	echo "${out[*]}"
}

is_layout() { [ "$(layout)" = "$1" ]; }

# holds_all NAME -- NAME holds every VIP of every instance.
holds_all() {
	local i v
	for i in "${INSTANCES[@]}"; do
		for v in ${VIPS[$i]}; do has_addr "$1" "$v" || return 1; done
	done
}

# expect LAYOUT SECONDS WHAT -- wait for LAYOUT, then check it holds over 2 s of samples.
expect() {
	wait_until "$2" is_layout "$1" || fail "$3: expected '$1' within $2 s, have '$(layout)'"
	local k
	for ((k = 0; k < 5; k++)); do
		sleep 0.4
		is_layout "$1" || fail "$3: '$1' reached, then '$(layout)'"
	done
	ok "$3: $1"
}

# conf NODE VRIDS -- NODE's config; VRIDS is "distinct" (51..54) or "shared" (all 51).
conf() {
	local me=$1 peer prio_m prio_u d="$LAB_DIR/$1"
	peer=$(other "$me")
	if [ "$me" = n1 ]; then prio_m=100 prio_u=90; else prio_m=90 prio_u=100; fi
	declare -A vrid=([M4]=51 [U4]=52 [M6]=53 [U6]=54)
	[ "$2" = shared ] && vrid=([M4]=51 [U4]=51 [M6]=51 [U6]=51)
	echo "global_defs {"
	echo "    router_id mixed_$me"
	echo "}"
	local i
	for i in "${INSTANCES[@]}"; do
		printf 'track_file trk_%s {\n    file "%s/%s.trk"\n    weight -20\n}\n' "$i" "$d" "$i"
	done
	cat <<-EOF
		vrrp_instance M4 {
		    state BACKUP
		    interface eth0
		    virtual_router_id ${vrid[M4]}
		    priority $prio_m
		    advert_int 1
		    version 2
		    authentication {
		        auth_type PASS
		        auth_pass mixed4
		    }
		    virtual_ipaddress {
		        198.51.100.51
		    }
		    track_file {
		        trk_M4
		    }
		}
		vrrp_instance U4 {
		    state BACKUP
		    interface eth0
		    virtual_router_id ${vrid[U4]}
		    priority $prio_u
		    advert_int 1
		    version 3
		    unicast_src_ip ${LAB_IP[$me]}
		    unicast_peer {
		        ${LAB_IP[$peer]}
		    }
		    virtual_ipaddress {
		        198.51.100.52
		    }
		    track_file {
		        trk_U4
		    }
		}
		vrrp_instance M6 {
		    state BACKUP
		    interface eth0
		    virtual_router_id ${vrid[M6]}
		    priority $prio_m
		    advert_int 1
		    virtual_ipaddress {
		        fe80::53
		        2001:db8::53
		    }
		    track_file {
		        trk_M6
		    }
		}
		vrrp_instance U6 {
		    native_ipv6
		    state BACKUP
		    interface eth0
		    virtual_router_id ${vrid[U6]}
		    priority $prio_u
		    advert_int 1
		    unicast_peer {
		        ${LL[$peer]}
		    }
		    virtual_ipaddress {
		        2001:db8::54
		    }
		    track_file {
		        trk_U6
		    }
		}
	EOF
}

# trk NODE INST VALUE -- write INST's track file on NODE (weight -20 per unit).
trk() { echo "$3" >"$LAB_DIR/$1/$2.trk"; }

# pair BIN1 BIN2 TAG VRIDS
pair() {
	local bin1=$1 bin2=$2 tag=$3 vrids=$4 cap="$LAB_DIR/lan-$3.txt" n i
	local -A bin=([n1]=$bin1 [n2]=$bin2)
	say "=== $tag: VRIDs $vrids; n1 $(basename "$(dirname "$bin1")")/$(basename "$bin1"), n2 $(basename "$(dirname "$bin2")")/$(basename "$bin2")"
	for n in n1 n2; do
		: >"$LAB_DIR/$n/ka.log"
		for i in "${INSTANCES[@]}"; do trk "$n" "$i" 0; done
		conf "$n" "$vrids" >"$LAB_DIR/$n/keepalived.conf"
	done
	ip netns exec "${LAB_NS}br" timeout 200 tcpdump -l -n -v -i br0 '(ip proto 112) or (ip6 proto 112)' \
		>"$cap" 2>/dev/null &
	local dump=$!
	sleep 0.5
	for n in n1 n2; do ka_start "$n" "${bin[$n]}" "$LAB_DIR/$n/keepalived.conf"; done
	expect "$(want)" 20 "$tag election"

	say "n1: M6's tracked file at 1 (100 -> 80)"
	trk n1 M6 1
	expect "$(want M6=n2)" 10 "$tag n1's M6 lowered: only M6 moves"
	trk n1 M6 0
	expect "$(want)" 10 "$tag n1's M6 restored"
	say "n2: U4's tracked file at 1 (100 -> 80)"
	trk n2 U4 1
	expect "$(want U4=n1)" 10 "$tag n2's U4 lowered: only U4 moves"
	trk n2 U4 0
	expect "$(want)" 10 "$tag n2's U4 restored"

	for n in n1 n2; do
		local o moved=()
		o=$(other "$n")
		for i in "${INSTANCES[@]}"; do [ "${HOME_NODE[$i]}" = "$n" ] && moved+=("$i=$o"); done
		say "SIGKILL the daemon on $n"
		ka_kill9 "$n"
		ka_wait_exit "$n" 5 || fail "$tag: daemon on $n survived SIGKILL"
		# The killed daemon's VIPs stay until it restarts: check the survivor only.
		wait_until 10 holds_all "$o" ||
			fail "$tag: $o did not hold every VIP within 10 s of $n's SIGKILL: '$(layout)'"
		ok "$tag: $o holds all four instances after $n's SIGKILL (${moved[*]})"
		ka_start "$n" "${bin[$n]}" "$LAB_DIR/$n/keepalived.conf"
		expect "$(want)" 20 "$tag $n restarted: its instances back"
	done

	ka_signal n1 TERM
	ka_signal n2 TERM
	for n in n1 n2; do
		ka_wait_exit "$n" 8 || fail "$tag: daemon on $n still running 8 s after SIGTERM"
	done
	wait_until 3 is_layout "M4= U4= M6= U6=" || fail "$tag: VIPs left after both stopped: '$(layout)'"
	ok "$tag: both stopped, no VIP left"
	sleep 0.3
	kill "$dump" 2>/dev/null
	wait "$dump" 2>/dev/null
	check_wire "$tag" "$cap" "$vrids"
	if grep -E 'wrong VRRP version|interval mismatch|not present in|invalid TTL|checksum|received an invalid|Invalid|Discarding|bad VRRP packet|unexpected ip number|Expected (mult|un)icast|not a unicast peer|MUST|conflict|Unknown VRID|error' \
		"$LAB_DIR"/n*/ka.log; then
		fail "$tag: a daemon complained (lines above)"
	fi
	ok "$tag: no complaint in either daemon's log"
}

# check_wire TAG CAPTURE VRIDS -- every VRRP packet went where its instance's mode says.
check_wire() {
	local tag=$1 joined="$2.joined" v4m v4u v6m v6u
	if [ "$3" = shared ]; then v4m=51 v4u=51 v6m=51 v6u=51; else v4m=51 v4u=52 v6m=53 v6u=54; fi
	# tcpdump -v puts the IP header on one line and the addresses on the next: join them.
	awk '/^[0-9]/ { if (l != "") print l; l = $0; next } { l = l " " $0 } END { if (l != "") print l }' \
		"$2" >"$joined"
	local ip1=${LAB_IP[n1]} ip2=${LAB_IP[n2]} ll1=${LL[n1]} ll2=${LL[n2]} want
	# IPv6 unicast adverts leave with the kernel's default hop limit: keepalived sets one only
	# with unicast_ttl.
	local hl
	hl=$(ip netns exec "${LAB_NS}n1" sysctl -n net.ipv6.conf.eth0.hop_limit)
	for want in \
		"ttl 255,.* $ip1 > 224.0.0.18: VRRPv2, Advertisement, vrid $v4m, .*authtype simple" \
		"ttl 255,.* $ip2 > 224.0.0.18: VRRPv2, Advertisement, vrid $v4m, .*authtype simple" \
		"ttl 255,.* $ip1 > $ip2: VRRPv3, Advertisement, vrid $v4u," \
		"ttl 255,.* $ip2 > $ip1: VRRPv3, Advertisement, vrid $v4u," \
		"hlim 255,.* $ll1 > ff02::12: VRRPv3, Advertisement, vrid $v6m," \
		"hlim 255,.* $ll2 > ff02::12: VRRPv3, Advertisement, vrid $v6m," \
		"hlim $hl,.* $ll1 > $ll2: VRRPv3, Advertisement, .*vrid $v6u," \
		"hlim $hl,.* $ll2 > $ll1: VRRPv3, Advertisement, .*vrid $v6u,"; do
		grep -q -- "$want" "$joined" || fail "$tag: no VRRP packet matching '$want' captured"
	done
	# Everything else is wrong: a mode's adverts at another mode's destination, a VRID or version
	# where it does not belong, another TTL.
	local allowed="ttl 255,.* ($ip1 > $ip2|$ip2 > $ip1): VRRPv3, Advertisement, vrid $v4u,|ttl 255,.* ($ip1|$ip2) > 224.0.0.18: VRRPv2, Advertisement, vrid $v4m,|hlim 255,.* ($ll1|$ll2) > ff02::12: VRRPv3, Advertisement, vrid $v6m,|hlim $hl,.* ($ll1 > $ll2|$ll2 > $ll1): VRRPv3, Advertisement, .*vrid $v6u,"
	if grep -E 'VRRP' "$joined" | grep -v -E -- "$allowed"; then
		fail "$tag: VRRP packets outside their instance's mode (lines above)"
	fi
	ok "$tag: $(grep -c 'VRRPv2' "$joined") v2 multicast adverts, $(grep -c 'VRRPv3' "$joined") v3 ones, each where its mode says"
}

pair "$KA_BIN" "$KA_BIN" ours-ours distinct
pair "$KA_BIN" "$KA_BIN" ours-ours-shared shared
if [ -x "$REF_BIN" ] && [ "$(readlink -f "$KA_BIN")" != "$(readlink -f "$REF_BIN")" ]; then
	pair "$KA_BIN" "$REF_BIN" ours-n1-ref-n2 distinct
	pair "$REF_BIN" "$KA_BIN" ref-n1-ours-n2 distinct
	pair "$KA_BIN" "$REF_BIN" ours-n1-ref-n2-shared shared
	pair "$REF_BIN" "$KA_BIN" ref-n1-ours-n2-shared shared
else
	say "REF_BIN=$REF_BIN not installed or the same as KA_BIN: pairs with it not run"
fi
say "PASS mixed"
