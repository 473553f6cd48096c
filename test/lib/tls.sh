# A throwaway certificate authority for the tests and the rig.  Sourced.
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
