# shellcheck shell=bash
# A throwaway nginx serving static files on loopback, for scripts/bench-http.sh and the
# integration tests. Source this file; it defines functions only.

# shellcheck source=stop-pid.sh
source "$(dirname "${BASH_SOURCE[0]}")/stop-pid.sh"

# cw_nginx_start DIR ROOT: runs nginx in the foreground of a background job with DIR as its
# prefix (config, pid, logs, temp files) serving ROOT on a random free 127.0.0.1 port in
# 20000-45000, keep-alive on, no access log. Sets CW_NGINX_PORT and CW_NGINX_PID and returns 0
# once it answers; returns 1 (after stopping it) otherwise.
cw_nginx_start() {
  local dir=$1 root=$2 port attempt i
  CW_NGINX_PORT= CW_NGINX_PID=
  # nginx's workers may run as another user when we are root: let them read the files.
  chmod 755 "$dir" "$root"
  mkdir -p "$dir/logs" "$dir/temp"
  for attempt in 1 2 3 4 5; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 25001))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      continue
    fi
    cat >"$dir/nginx.conf" <<EOF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  types { application/json json; application/xml xml; text/plain txt; }
  default_type application/octet-stream;
  sendfile on;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path $dir/temp/body;
  proxy_temp_path $dir/temp/proxy;
  fastcgi_temp_path $dir/temp/fastcgi;
  uwsgi_temp_path $dir/temp/uwsgi;
  scgi_temp_path $dir/temp/scgi;
  server {
    listen 127.0.0.1:$port;
    root $root;
  }
}
EOF
    nginx -p "$dir/" -c "$dir/nginx.conf" -g 'daemon off;' 2>"$dir/logs/stderr.log" &
    CW_NGINX_PID=$!
    for ((i = 0; i < 100; i++)); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        CW_NGINX_PORT=$port
        return 0
      fi
      kill -0 "$CW_NGINX_PID" 2>/dev/null || break
      sleep 0.1
    done
    cw_stop_pid "$CW_NGINX_PID"
    echo "cw_nginx_start: port $port failed (attempt $attempt):" >&2
    cat "$dir/logs/stderr.log" "$dir/logs/error.log" >&2 2>/dev/null || true
  done
  CW_NGINX_PID=
  return 1
}
