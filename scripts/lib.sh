# Shared by scripts/test, scripts/demo and scripts/bench (sourced, not run).
# Installs what is missing, builds, and runs a private PostgreSQL cluster.

FUPIN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Libraries are checked by package; tools by the command they provide, so
# a PostgreSQL or Python installed another way is not installed again.
PKGS="build-essential cmake pkg-config libevent-dev libconfig-dev libjansson-dev
      libsystemd-dev libcmocka-dev libpq-dev libcrypt-dev libxlsxwriter-dev
      libzip-dev libexpat1-dev libfreexl-dev"
TOOLS="python3:python3 psql:postgresql-client-15 systemd-analyze:systemd
       iconv:libc-bin runuser:util-linux realpath:coreutils"
PKGS_OPTIONAL="clang libclang-rt-14-dev"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else die "need root (or sudo) to run: $*"; fi
}

# Install the Debian packages that are not there yet; touch nothing else.
ensure_packages() {
	local missing=() p t
	for p in $PKGS "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	for t in $TOOLS; do
		command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}")
	done
	( pg_bindir ) >/dev/null 2>&1 || missing+=(postgresql-15)
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing missing packages: ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
}

pg_bindir() {
	local d
	for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return; }
	done
	command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return; }
	die "PostgreSQL server binaries (initdb) not found"
}

# build DIR [cmake options...]
build() {
	local dir=$1; shift
	cmake -S "$FUPIN_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null ||
		die "cmake configure failed for $dir"
	cmake --build "$dir" -j "$(nproc)" >/dev/null 2>"$dir.log" || {
		cat "$dir.log" >&2; die "build failed in $dir"; }
}

# The cluster runs as the invoking user, or as postgres when we are root
# (initdb refuses root). It listens on a private Unix socket only.
pg_run() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start DIR: start (creating if needed) a cluster in DIR; exports PG*.
pg_start() {
	local dir bin; dir=$(realpath -m "$1"); bin=$(pg_bindir)
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; chmod 700 "$dir"; fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		pg_run "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
			--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; die "initdb failed"; }
	fi
	mkdir -p "$dir/sock"; [ "$(id -u)" = 0 ] && chown postgres: "$dir/sock"
	pg_run "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-k $dir/sock -c listen_addresses='' -c max_connections=200 ${PG_EXTRA_OPTS:-}" \
		start >/dev/null || { tail -20 "$dir/server.log" >&2; die "PostgreSQL did not start"; }
	export PGHOST=$dir/sock PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
	export FUPIN_PGDIR=$dir
}

pg_stop() {
	local dir=$1
	[ -f "$dir/data/postmaster.pid" ] || return 0
	pg_run "$(pg_bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}
