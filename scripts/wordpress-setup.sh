#!/usr/bin/env bash
# Serve the real Debian `wordpress` package on loopback, fully offline, for the software-check tests.
#
#   scripts/wordpress-setup.sh start [DIR]   set up in DIR (default: a new temp dir), start MariaDB and
#                                            Apache (mod_php) on free 127.0.0.1 ports, install WordPress;
#                                            prints KEY=VALUE lines (URL, DIR, HTTP_PORT, DB_PORT, ...)
#   scripts/wordpress-setup.sh stop DIR      stop both servers (pid files in DIR) and remove DIR
#   env: EXPOSE_PHP=1 (send X-Powered-By), WAIT_S (start-up limit, default 30), WP_SRC, PHP_MOD
#
# Both servers run as non-daemon processes (mariadbd; apache2 -DFOREGROUND) started in the background
# in their own sessions with pid files in DIR, so `stop` (or killing the pids) is the whole teardown. Nothing under /etc or
# /var is touched: the docroot copies WordPress's few top-level PHP files and symlinks the rest, so
# that our own wp-config.php is the one loaded instead of Debian's /etc/wordpress lookup.
set -euo pipefail

WP_SRC="${WP_SRC:-/usr/share/wordpress}"
PHP_MOD="${PHP_MOD:-}"
APACHE_MODS=/usr/lib/apache2/modules
WAIT_S="${WAIT_S:-30}"

die() { echo "wordpress-setup: $*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
  echo "wordpress-setup: $what ready" >&2
}

stop() {
  local dir="$1"
  [ -n "$dir" ] && [ -d "$dir" ] || die "stop: no such directory: $dir"
  for pidfile in "$dir/run/httpd.pid" "$dir/run/mysqld.pid"; do
    [ -f "$pidfile" ] || continue
    local pid; pid="$(cat "$pidfile" 2>/dev/null || true)"
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  # Only remove directories this script created (marker file), never an arbitrary path.
  if [ -f "$dir/.wordpress-setup" ]; then rm -rf "$dir"; fi
}

start() {
  local dir="${1:-}"
  for cmd in mariadbd mariadb-install-db mariadb apache2 php python3; do
    command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || die "missing $cmd (run scripts/install-system-deps.sh)"
  done
  [ -f "$WP_SRC/wp-includes/version.php" ] || die "no WordPress in $WP_SRC (Debian package 'wordpress')"
  if [ -z "$PHP_MOD" ]; then
    PHP_MOD="$(ls "$APACHE_MODS"/libphp*.so 2>/dev/null | head -n1 || true)"
  fi
  [ -n "$PHP_MOD" ] && [ -f "$PHP_MOD" ] || die "no mod_php in $APACHE_MODS (Debian package libapache2-mod-php)"

  if [ -z "$dir" ]; then dir="$(mktemp -d /tmp/ppid-wp.XXXXXX)"; fi
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  touch "$dir/.wordpress-setup"
  # Apache's children run as www-data when started by root: they must be able to read the docroot.
  chmod 755 "$dir"
  mkdir -p "$dir/run" "$dir/log" "$dir/db" "$dir/docroot" "$dir/tmp"
  local me; me="$(id -un)"
  local http_port db_port; http_port="$(free_port)"; db_port="$(free_port)"
  while [ "$db_port" = "$http_port" ]; do db_port="$(free_port)"; done
  local sock="$dir/run/mysqld.sock"
  local db_pass="wp-$RANDOM$RANDOM"

  # --- MariaDB: private datadir, loopback TCP + private socket, no daemonising --------------------
  mariadb-install-db --no-defaults --datadir="$dir/db" --user="$me" --skip-test-db \
    --auth-root-authentication-method=socket >"$dir/log/mariadb-install.log" 2>&1 \
    || die "mariadb-install-db failed (see $dir/log/mariadb-install.log)"
  setsid mariadbd --no-defaults --datadir="$dir/db" --socket="$sock" --port="$db_port" \
    --bind-address=127.0.0.1 --pid-file="$dir/run/mysqld.pid" --log-error="$dir/log/mysqld.err" \
    --user="$me" --skip-log-bin --innodb-buffer-pool-size=16M --skip-name-resolve \
    --tmpdir="$dir/tmp" >/dev/null 2>&1 &
  wait_for "$WAIT_S" mariadb mariadb --no-defaults -S "$sock" -u "$me" -e "SELECT 1" \
    || { stop "$dir" 2>/dev/null; die "mariadbd did not start (see $dir/log/mysqld.err)"; }
  mariadb --no-defaults -S "$sock" -u "$me" <<SQL
CREATE DATABASE wordpress;
CREATE USER 'wordpress'@'127.0.0.1' IDENTIFIED BY '$db_pass';
GRANT ALL PRIVILEGES ON wordpress.* TO 'wordpress'@'127.0.0.1';
SQL

  # --- WordPress docroot -------------------------------------------------------------------------
  local f
  for f in "$WP_SRC"/*; do
    local base; base="$(basename "$f")"
    case "$base" in
      wp-config.php) ;;
      wp-admin|wp-includes|wp-content) ln -s "$f" "$dir/docroot/$base" ;;
      *) cp "$f" "$dir/docroot/$base" ;;
    esac
  done
  cat >"$dir/docroot/wp-config.php" <<PHP
<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'wordpress');
define('DB_PASSWORD', '$db_pass');
define('DB_HOST', '127.0.0.1:$db_port');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('WP_HOME', 'http://127.0.0.1:$http_port');
define('WP_SITEURL', 'http://127.0.0.1:$http_port');
define('WP_CONTENT_DIR', '$WP_SRC/wp-content');
define('WP_DEFAULT_THEME', 'twentytwentyone');
// Fully offline: no update checks, no cron loopback calls, no outgoing HTTP at all.
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('AUTH_KEY', '$RANDOM$RANDOM'); define('SECURE_AUTH_KEY', '$RANDOM$RANDOM');
define('LOGGED_IN_KEY', '$RANDOM$RANDOM'); define('NONCE_KEY', '$RANDOM$RANDOM');
define('AUTH_SALT', '$RANDOM$RANDOM'); define('SECURE_AUTH_SALT', '$RANDOM$RANDOM');
define('LOGGED_IN_SALT', '$RANDOM$RANDOM'); define('NONCE_SALT', '$RANDOM$RANDOM');
\$table_prefix = 'wp_';
if (!defined('ABSPATH')) { define('ABSPATH', __DIR__ . '/'); }
require_once ABSPATH . 'wp-settings.php';
PHP

  # --- install (tables, admin user, one post) through WordPress's own installer, from the CLI ---------
  cat >"$dir/install.php" <<PHP
<?php
\$_SERVER['HTTP_HOST'] = '127.0.0.1:$http_port';
\$_SERVER['REQUEST_URI'] = '/';
define('WP_INSTALLING', true);
// Pluggable: the installer would otherwise try to send an e-mail.
function wp_new_blog_notification(\$blog_title, \$blog_url, \$user_id, \$password) {}
require '$dir/docroot/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
\$r = wp_install('Desa Contoh', 'admin', 'admin@example.invalid', true, '', 'pw-' . wp_generate_password(16, false));
switch_theme('twentytwentyone');
echo "installed\n";
PHP
  php -d display_errors=stderr "$dir/install.php" >"$dir/log/install.log" 2>&1 \
    || { cat "$dir/log/install.log" >&2; stop "$dir" 2>/dev/null; die "WordPress install failed"; }

  # --- Apache (prefork + mod_php), foreground process with a pid file -----------------------------
  local user_lines="" php_lines=""
  # EXPOSE_PHP=1: send X-Powered-By: PHP/x.y.z like many shared hosts do (Debian's php.ini turns it off).
  if [ "${EXPOSE_PHP:-0}" = 1 ]; then php_lines="php_admin_flag expose_php On"; fi
  if [ "$(id -u)" = 0 ]; then user_lines=$'User www-data\nGroup www-data'; fi
  cat >"$dir/httpd.conf" <<CONF
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$http_port
PidFile "$dir/run/httpd.pid"
ErrorLog "$dir/log/error.log"
LogLevel warn
$user_lines
LoadModule mpm_prefork_module $APACHE_MODS/mod_mpm_prefork.so
LoadModule authz_core_module $APACHE_MODS/mod_authz_core.so
LoadModule dir_module $APACHE_MODS/mod_dir.so
LoadModule mime_module $APACHE_MODS/mod_mime.so
LoadModule alias_module $APACHE_MODS/mod_alias.so
LoadModule php_module $PHP_MOD
StartServers 2
MinSpareServers 1
MaxSpareServers 3
MaxRequestWorkers 8
TypesConfig /etc/mime.types
DocumentRoot "$dir/docroot"
DirectoryIndex index.php index.html
Mutex file:$dir/run
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory "$dir/docroot">
  Options FollowSymLinks
  Require all granted
</Directory>
<Directory "$WP_SRC">
  Options FollowSymLinks
  Require all granted
</Directory>
<FilesMatch "\.php\$">
  SetHandler application/x-httpd-php
</FilesMatch>
$php_lines
CONF
  # Own session: on shutdown a foreground prefork Apache signals its whole process group, which would
  # otherwise include whoever started this script (a test runner, CI).
  setsid apache2 -f "$dir/httpd.conf" -DFOREGROUND >"$dir/log/apache.out" 2>&1 &
  wait_for "$WAIT_S" apache python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$http_port/', timeout=5).read()" \
    || { cat "$dir/log/error.log" "$dir/log/apache.out" >&2 2>/dev/null; stop "$dir" 2>/dev/null; die "apache did not start"; }

  echo "DIR=$dir"
  echo "URL=http://127.0.0.1:$http_port/"
  echo "HTTP_PORT=$http_port"
  echo "DB_PORT=$db_port"
  echo "HTTPD_PID_FILE=$dir/run/httpd.pid"
  echo "MYSQLD_PID_FILE=$dir/run/mysqld.pid"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) [ -n "${2:-}" ] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) echo "usage: $0 start [DIR] | stop DIR" >&2; exit 2 ;;
esac
