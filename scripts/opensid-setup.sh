#!/usr/bin/env bash
# Serve a real OpenSID release on loopback, offline, for the software/content-check tests and recordings.
#
#   scripts/opensid-setup.sh SOURCE_TARBALL [PORT]   (same as `start SOURCE_TARBALL [PORT]`)
#       unpack the tarball (`git archive` of an OpenSID tag: it ships vendor/, so it is a whole web
#       root), start a private MariaDB (own datadir, socket and 127.0.0.1 port) and `php -S
#       127.0.0.1:PORT router.php`, write desa/config/database.php + desa/app_key, and request `/` so
#       that OpenSID's own seeder creates desa/, seeds the database and runs every migration.
#       Prints KEY=VALUE lines: DIR, URL, WEB, HTTP_PORT, DB_PORT, DB_SOCKET, PHP_PID_FILE, MYSQLD_PID_FILE,
#       VERSION (OpenSID's define('VERSION')).
#   MODE=nginx scripts/opensid-setup.sh serve DIR [PORT]
#       one more `php -S` front end (pid file in DIR/run) on the same instance, e.g. the nginx-style one
#   scripts/opensid-setup.sh stop DIR                 stop every server by its pid file, remove DIR
#   env: OPENSID_DIR (default: new temp dir), MODE=apache|nginx (default apache), WAIT_S (seeding limit,
#        default 240), PHP_BIN (default php)
#
# MODE=apache: router.php applies the deny rules of OpenSID's htaccess.txt (copied to .htaccess, so
# OpenSID emits pretty links) and of the .htaccess files its seeder writes under desa/ and storage/,
# like Apache with AllowOverride All. The https redirect in htaccess.txt is not applied (loopback is
# plain HTTP). MODE=nginx: no .htaccess rule applies and files under desa/ are served as they are
# (PHP source included), as on an nginx server whose PHP location covers only the front controller:
# desa/app_key and desa/config/database.php become readable, the exposure the software check reports.
#
# The /install wizard refuses PHP 8.2.x (donjo-app/config/installer.php), hence the hand-written config.
# OpenSID calls out (geoplugin, pantau, layanan.opendesa.id): PHP runs with allow_url_fopen=0 and every
# proxy variable pointing at a closed loopback port, so nothing leaves 127.0.0.1.
set -euo pipefail

WAIT_S="${WAIT_S:-240}"
MODE="${MODE:-apache}"
PHP_BIN="${PHP_BIN:-php}"

die() { echo "opensid-setup: $*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
  echo "opensid-setup: $what ready" >&2
}

stop() {
  local dir="$1"
  [ -n "$dir" ] && [ -d "$dir" ] || die "stop: no such directory: $dir"
  for pidfile in "$dir"/run/php*.pid "$dir/run/mysqld.pid"; do
    [ -f "$pidfile" ] || continue
    local pid; pid="$(cat "$pidfile" 2>/dev/null || true)"
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  # Only remove directories this script created (marker file), never an arbitrary path.
  if [ -f "$dir/.opensid-setup" ]; then rm -rf "$dir"; fi
}

write_router() {  # the php -S router: front controller + htaccess deny rules (apache) or none (nginx)
  cat >"$1" <<'PHP'
<?php
// php -S router for OpenSID, written by scripts/opensid-setup.sh (ppid-auditor). Not part of OpenSID.
$mode = getenv('OPENSID_MODE') ?: 'apache';
$root = __DIR__;
$path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');
if (strpos($path, "\0") !== false || preg_match('#(^|/)\.\.(/|$)#', $path)) {
    http_response_code(400);
    return true;
}
$file = $root . $path;

function deny(): bool {
    http_response_code(403);
    header('Content-Type: text/html; charset=iso-8859-1');
    echo "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>403 Forbidden</title>\n"
        . "</head><body>\n<h1>Forbidden</h1>\n<p>You don't have permission to access this resource.</p>\n</body></html>\n";
    return true;
}

// <FilesMatch "re"> ... Deny from all </FilesMatch> blocks of one .htaccess file.
function deny_patterns(string $htaccess): array {
    static $cache = [];
    if (! isset($cache[$htaccess])) {
        $out = [];
        if (is_file($htaccess)) {
            preg_match_all('#<FilesMatch\s+"([^"]+)"\s*>(.*?)</FilesMatch>#is', file_get_contents($htaccess), $m, PREG_SET_ORDER);
            foreach ($m as $block) {
                if (preg_match('#deny\s+from\s+all#i', $block[2])) {
                    $re = $block[1];
                    $flags = '';
                    if (strncmp($re, '(?i)', 4) === 0) { $re = substr($re, 4); $flags = 'i'; }
                    $out[] = '#' . str_replace('#', '\#', $re) . '#' . $flags;
                }
            }
        }
        $cache[$htaccess] = $out;
    }
    return $cache[$htaccess];
}

function apache_denies(string $root, string $path): bool {
    $parts = array_values(array_filter(explode('/', $path), 'strlen'));
    if (! $parts) {
        return false;
    }
    $base = end($parts);
    $dir = $root;
    foreach ($parts as $i => $part) {
        // .htaccess files apply to their directory and everything below it.
        foreach (deny_patterns($dir . '/.htaccess') as $re) {
            if (preg_match($re, $base)) {
                return true;
            }
        }
        $dir .= '/' . $part;
    }
    return false;
}

$mime = ['css' => 'text/css', 'js' => 'application/javascript', 'json' => 'application/json', 'svg' => 'image/svg+xml',
    'png' => 'image/png', 'jpg' => 'image/jpeg', 'jpeg' => 'image/jpeg', 'gif' => 'image/gif', 'ico' => 'image/x-icon',
    'webp' => 'image/webp', 'woff' => 'font/woff', 'woff2' => 'font/woff2', 'ttf' => 'font/ttf', 'txt' => 'text/plain',
    'md' => 'text/markdown', 'html' => 'text/html', 'pdf' => 'application/pdf', 'xml' => 'text/xml', 'map' => 'application/json'];

if ($path !== '/' && is_file($file)) {
    $ext = strtolower(pathinfo($file, PATHINFO_EXTENSION));
    if ($mode === 'apache') {
        if (apache_denies($root, $path)) {
            return deny();
        }
        return false;  // php -S serves the file (or runs it, for .php), as Apache with mod_php would
    }
    // nginx-style: PHP runs only for the front controller and files outside desa/; everything else,
    // desa/*.php included, is sent as it is stored.
    if ($ext === 'php' && strncmp($path, '/desa/', 6) !== 0) {
        return false;
    }
    header('Content-Type: ' . ($mime[$ext] ?? 'application/octet-stream'));
    header('Content-Length: ' . filesize($file));
    readfile($file);
    return true;
}
if ($path !== '/' && is_dir($file)) {
    if ($mode === 'apache' && apache_denies($root, rtrim($path, '/') . '/index.html')) {
        return deny();
    }
    if (is_file($file . '/index.html') || is_file($file . '/index.php')) {
        return false;
    }
    if ($mode === 'apache') {
        return deny();  // Options -Indexes
    }
}
// Everything else goes to the front controller, as htaccess.txt's RewriteRule ^(.*)$ index.php/$1.
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['PHP_SELF'] = '/index.php' . ($path === '/' ? '' : $path);
$_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
chdir($root);
require $root . '/index.php';
PHP
}

start_php() {  # start_php DIR PORT MODE PIDFILE: php -S on the web root, own session, offline
  local dir="$1" port="$2" mode="$3" pidfile="$4" dead="http://127.0.0.1:9"
  ( cd "$dir/web" && exec env OPENSID_MODE="$mode" http_proxy="$dead" https_proxy="$dead" HTTP_PROXY="$dead" \
      HTTPS_PROXY="$dead" ALL_PROXY="$dead" all_proxy="$dead" no_proxy="127.0.0.1,localhost" \
      NO_PROXY="127.0.0.1,localhost" PHP_CLI_SERVER_WORKERS="${PHP_WORKERS:-1}" \
      setsid "$PHP_BIN" -d allow_url_fopen=0 -d memory_limit=512M -d max_execution_time=0 \
        -d session.save_path="$dir/sessions" -d upload_tmp_dir="$dir/tmp" -d display_errors=0 \
        -d log_errors=1 -d error_log="$dir/log/php-error.log" -d date.timezone=Asia/Jakarta \
        -S "127.0.0.1:$port" router.php >>"$dir/log/php-$mode.out" 2>&1 ) &
  echo $! >"$pidfile"
  wait_for 30 "php -S ($mode)" python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 2).close()" \
    || { cat "$dir/log/php-$mode.out" >&2; return 1; }
}

serve() {  # a second front end on the same instance, e.g. MODE=nginx next to the apache-style one
  local dir="$1" port="${2:-}"
  [ -f "$dir/.opensid-setup" ] && [ -f "$dir/web/router.php" ] || die "serve: $dir is not an opensid-setup directory"
  case "$MODE" in apache|nginx) ;; *) die "MODE must be apache or nginx, not $MODE" ;; esac
  [ -n "$port" ] || port="$(free_port)"
  start_php "$dir" "$port" "$MODE" "$dir/run/php-$MODE-$port.pid" || die "php -S did not start"
  echo "URL=http://127.0.0.1:$port/"
  echo "MODE=$MODE"
  echo "PHP_PID_FILE=$dir/run/php-$MODE-$port.pid"
}

start() {
  local src="${1:-}" http_port="${2:-}"
  [ -n "$src" ] || die "usage: $0 SOURCE_TARBALL [PORT]"
  [ -f "$src" ] || die "no such tarball: $src (make one with: git -C OPENSID_REPO archive --format=tar.gz -o FILE TAG)"
  case "$MODE" in apache|nginx) ;; *) die "MODE must be apache or nginx, not $MODE" ;; esac
  for cmd in mariadbd mariadb-install-db mariadb "$PHP_BIN" python3 tar; do
    command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || die "missing $cmd (run scripts/install-system-deps.sh)"
  done
  local ext mods
  mods="$("$PHP_BIN" -m)"
  for ext in mysqli gd curl mbstring xml zip intl tidy bcmath; do
    grep -qix "$ext" <<<"$mods" || die "PHP extension $ext missing (run scripts/install-system-deps.sh)"
  done

  local dir="${OPENSID_DIR:-}"
  if [ -z "$dir" ]; then dir="$(mktemp -d /tmp/ppid-opensid.XXXXXX)"; fi
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  touch "$dir/.opensid-setup"
  mkdir -p "$dir/run" "$dir/log" "$dir/db" "$dir/web" "$dir/tmp" "$dir/sessions"
  local web="$dir/web"
  [ -n "$http_port" ] || http_port="$(free_port)"
  local db_port; db_port="$(free_port)"
  while [ "$db_port" = "$http_port" ]; do db_port="$(free_port)"; done
  local sock="$dir/run/mysqld.sock"
  local db_pass="sid-$RANDOM$RANDOM$RANDOM"

  tar -xzf "$src" -C "$web" || die "cannot unpack $src"
  [ -f "$web/donjo-app/helpers/opensid_helper.php" ] && [ -f "$web/index.php" ] \
    || die "$src is not an OpenSID web root (no donjo-app/helpers/opensid_helper.php)"
  local version
  version="$(sed -n "s/.*define('VERSION', *'\([^']*\)').*/\1/p" "$web/donjo-app/helpers/opensid_helper.php" | head -n1)"

  # --- MariaDB: private datadir, loopback TCP + private socket, no daemonising --------------------
  mariadb-install-db --no-defaults --datadir="$dir/db" --user=root --skip-test-db \
    --auth-root-authentication-method=socket >"$dir/log/mariadb-install.log" 2>&1 \
    || die "mariadb-install-db failed (see $dir/log/mariadb-install.log)"
  setsid mariadbd --no-defaults --datadir="$dir/db" --socket="$sock" --port="$db_port" \
    --bind-address=127.0.0.1 --pid-file="$dir/run/mysqld.pid" --log-error="$dir/log/mysqld.err" \
    --user=root --skip-log-bin --innodb-buffer-pool-size=64M --skip-name-resolve \
    --tmpdir="$dir/tmp" >/dev/null 2>&1 &
  wait_for 60 mariadb mariadb --no-defaults -S "$sock" -u root -e "SELECT 1" \
    || { stop "$dir" 2>/dev/null; die "mariadbd did not start (see $dir/log/mysqld.err)"; }
  mariadb --no-defaults -S "$sock" -u root <<SQL
CREATE DATABASE opensid CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE USER 'opensid'@'127.0.0.1' IDENTIFIED BY '$db_pass';
GRANT ALL PRIVILEGES ON opensid.* TO 'opensid'@'127.0.0.1';
SQL

  # --- desa/: the two files the installer would write (same shape as its templates) ----------------
  mkdir -p "$web/desa/config"
  cat >"$web/desa/config/database.php" <<PHP
<?php
// -------------------------------------------------------------------------
//
// Letakkan username, password dan database sebetulnya di file ini.
// File ini JANGAN di-commit ke GIT. TAMBAHKAN di .gitignore
// -------------------------------------------------------------------------

// Data Konfigurasi MySQL yang disesuaikan

\$db['default']['hostname'] = '127.0.0.1';
\$db['default']['username'] = 'opensid';
\$db['default']['password'] = '$db_pass';
\$db['default']['port']     = $db_port;
\$db['default']['database'] = 'opensid';
\$db['default']['dbcollat'] = 'utf8_general_ci';

/*
| Untuk setting koneksi database 'Strict Mode'
| Sesuaikan dengan ketentuan hosting
*/
\$db['default']['stricton'] = TRUE;
PHP
  printf 'base64:%s' "$("$PHP_BIN" -r 'echo base64_encode(random_bytes(32));')" >"$web/desa/app_key"
  [ -f "$web/htaccess.txt" ] && cp "$web/htaccess.txt" "$web/.htaccess"
  write_router "$web/router.php"

  start_php "$dir" "$http_port" "$MODE" "$dir/run/php.pid" || { stop "$dir" 2>/dev/null; die "php -S did not start"; }

  # --- first request: OpenSID's seeder builds desa/ and the database ----------------------------------
  local url="http://127.0.0.1:$http_port/"
  python3 - "$url" "$WAIT_S" <<'PY' || { tail -n 20 "$dir/log/php-error.log" "$dir/log/php-$MODE.out" >&2 2>/dev/null; stop "$dir" 2>/dev/null; die "OpenSID did not come up"; }
import sys, time, urllib.error, urllib.request
url, limit = sys.argv[1], float(sys.argv[2])
deadline = time.monotonic() + limit
last = ""
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=limit) as r:
            body = r.read().decode("utf-8", "replace")
            if r.status == 200 and "OpenSID" in body:
                sys.exit(0)
            last = f"status {r.status}"
    except urllib.error.HTTPError as e:
        last = f"status {e.code}"
    except OSError as e:
        last = str(e)
    time.sleep(1)
print(f"opensid-setup: home page not ready: {last}", file=sys.stderr)
sys.exit(1)
PY
  echo "opensid-setup: OpenSID $version seeded" >&2

  echo "DIR=$dir"
  echo "WEB=$web"
  echo "URL=$url"
  echo "MODE=$MODE"
  echo "VERSION=$version"
  echo "HTTP_PORT=$http_port"
  echo "DB_PORT=$db_port"
  echo "DB_SOCKET=$sock"
  echo "PHP_PID_FILE=$dir/run/php.pid"
  echo "MYSQLD_PID_FILE=$dir/run/mysqld.pid"
}

case "${1:-}" in
  stop) [ -n "${2:-}" ] || die "usage: $0 stop DIR"; stop "$2" ;;
  serve) [ -n "${2:-}" ] || die "usage: $0 serve DIR [PORT]"; serve "$2" "${3:-}" ;;
  start) shift; start "$@" ;;
  ""|-h|--help) echo "usage: $0 SOURCE_TARBALL [PORT] | stop DIR   (env MODE=apache|nginx, OPENSID_DIR)" >&2; exit 2 ;;
  *) start "$@" ;;
esac
