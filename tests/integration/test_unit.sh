#!/usr/bin/env bash
# The systemd unit passes systemd-analyze verify, with the binaries it
# names pointed at this build, and keeps the properties the brief asks for.
. "$(dirname "$0")/lib.sh"

T=$FUPIN_BUILD/t/unit; rm -rf "$T"; mkdir -p "$T"
unit=$T/fupind.service
sed -e "s|/usr/sbin/fupind|$FUPIND|g" "$FUPIN_SRC/systemd/fupind.service" >"$unit"
if out=$(systemd-analyze verify --man=no "$unit" 2>&1); then
	t_ok "systemd-analyze verify accepts the unit"
else
	t_fail "systemd-analyze verify: $out"
fi
[ -z "$out" ] && t_ok "no warnings" || t_fail "verify printed: $out"
for want in 'Type=notify' 'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' \
	'User=fupin' 'RuntimeDirectory=fupin' 'NoNewPrivileges=yes' \
	'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes'; do
	grep -qxF "$want" "$FUPIN_SRC/systemd/fupind.service" && t_ok "$want" ||
		t_fail "unit lacks $want"
done
t_done
