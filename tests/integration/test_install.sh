#!/usr/bin/env bash
# cmake --install puts binaries, configuration, workflows, migrations, the
# unit, man pages, completion and example notify commands in the usual
# places, and the installed fupind accepts the installed files.
. "$(dirname "$0")/lib.sh"
T=$FUPIN_BUILD/t/install
rm -rf "$T"; mkdir -p "$T"
DESTDIR=$T/root cmake --install "$FUPIN_BUILD" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; t_fail "cmake --install failed"; t_done; }
R=$T/root
for f in /usr/sbin/fupind /usr/bin/fupinctl /etc/fupin/fupind.conf \
	/etc/fupin/workflows/2019/calendar.conf /etc/fupin/workflows/2019/exit.wf \
	/usr/share/fupin/sql/001_schema.sql /usr/lib/systemd/system/fupind.service \
	/usr/share/man/man8/fupind.8 /usr/share/man/man5/fupind.conf.5 \
	/usr/share/man/man1/fupinctl.1 /usr/share/bash-completion/completions/fupinctl \
	/usr/share/fupin/notify-wecom.sh /usr/share/fupin/notify-mail.sh; do
	[ -e "$R$f" ] && t_ok "installed $f" || t_fail "missing $f"
done
expect_eq "fupind.conf is 0640 (its conninfo may hold a secret)" \
	"$(stat -c %a "$R/etc/fupin/fupind.conf")" 640
[ -x "$R/usr/share/fupin/notify-wecom.sh" ] && t_ok "notify scripts are executable" ||
	t_fail "notify-wecom.sh not executable"
# The installed configuration, pointed at the installed tree.
sed -e "s|\"/etc/fupin/workflows\"|\"$R/etc/fupin/workflows\"|" \
    -e "s|\"/usr/share/fupin/sql\"|\"$R/usr/share/fupin/sql\"|" \
    "$R/etc/fupin/fupind.conf" >"$T/fupind.conf"
out=$("$R/usr/sbin/fupind" -t -c "$T/fupind.conf" 2>&1) || true
expect_eq "installed fupind -t on the installed files" "$out" "configuration OK"
t_done
