# A throwaway certificate authority for the tests and the rig, and nginx
# serving a fake over HTTPS with it.  Sourced.
#
# atlorg_make_ca DIR SAN: in DIR, ca.pem (the CA to trust), server.pem and
# server.key (a certificate for SAN, e.g. "IP:127.0.0.1,DNS:fake.test",
# signed by that CA) and wrong-ca.pem (another CA, which signed nothing
# here).  The keys are made afresh each time and never leave DIR.
atlorg_make_ca() {
  local dir=$1 san=$2
  mkdir -p "$dir"
  (
    cd "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj "/CN=atlorg test CA $$" -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj "/CN=atlorg wrong CA $$" -keyout wrong-ca.key -out wrong-ca.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj "/CN=atlorg fake" -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
      "$san" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile server.ext -out server.pem 2>/dev/null
    rm -f server.csr server.ext ca.srl ca.key wrong-ca.key
    chmod 644 ca.pem wrong-ca.pem server.pem
  )
}

# atlorg_nginx_conf DIR LISTEN UPSTREAM: DIR/nginx.conf, for nginx serving
# HTTPS (HTTP/2 and HTTP/1.1, by ALPN) on LISTEN (addr:port) with DIR's
# server.pem, proxying to the plain fake at UPSTREAM (host:port) over kept
# connections.  Its pid file, logs and temporary files stay in DIR; the
# access log (nginx-access.log) gives each request's protocol, status,
# method, path and time.  A POST is never re-sent to the fake.
atlorg_nginx_conf() {
  local d=$1 listen=$2 upstream=$3
  mkdir -p "$d/nginx-tmp"
  cat >"$d/nginx.conf" <<CONF
daemon off;
user root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/nginx-error.log warn;
events { worker_connections 4096; }
http {
  log_format atlorg '\$server_protocol \$status \$request_method \$uri \$request_time';
  access_log $d/nginx-access.log atlorg;
  client_body_temp_path $d/nginx-tmp/body;
  proxy_temp_path $d/nginx-tmp/proxy;
  fastcgi_temp_path $d/nginx-tmp/fastcgi;
  uwsgi_temp_path $d/nginx-tmp/uwsgi;
  scgi_temp_path $d/nginx-tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  upstream fake {
    server $upstream;
    keepalive 256;
  }
  server {
    listen $listen ssl http2;
    ssl_certificate $d/server.pem;
    ssl_certificate_key $d/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    http2_max_concurrent_streams 256;
    location / {
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_read_timeout 300s;
      proxy_next_upstream off;
    }
  }
}
CONF
}
