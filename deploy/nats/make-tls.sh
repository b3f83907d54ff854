#!/bin/sh
# Makes the certificates of the helpdesk's NATS cluster: a private CA, and one certificate per
# node name or address, good for both sides of TLS (nodes serve clients with it, and present it
# to each other: the cluster port requires it, so only holders of a CA-signed certificate can
# join as a route).
#
#   deploy/nats/make-tls.sh /etc/lpse-helpdesk/nats/tls node 127.0.0.1 localhost
#     -> ca.pem (give it to every service: HELPDESK_NATS_CA), ca-key.pem (keep offline),
#        node.pem and node-key.pem, valid for every name and address given after the first
#        word (the file name). On three machines run it once per machine's name:
#   deploy/nats/make-tls.sh DIR nats1 10.0.0.11 nats1.lpse.internal   (and nats2, nats3)
# An existing ca.pem in DIR is reused, so all nodes share one CA.
set -eu
[ $# -ge 3 ] || { echo "usage: $0 DIR FILE-NAME NAME-OR-ADDRESS..." >&2; exit 2; }
out=$1 base=$2
shift 2
umask 077
mkdir -p "$out"
if [ ! -f "$out/ca.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=LPSE Helpdesk NATS CA" -keyout "$out/ca-key.pem" -out "$out/ca.pem" 2>/dev/null
fi
names=""
for name in "$@"; do
  case $name in
    *[!0-9.]*) names="$names,DNS:$name" ;;
    *) names="$names,IP:$name" ;;
  esac
done
ext="$out/$base.ext"
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "${names#,}" > "$ext"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
  -keyout "$out/$base-key.pem" -out "$out/$base.csr" 2>/dev/null
openssl x509 -req -in "$out/$base.csr" -CA "$out/ca.pem" -CAkey "$out/ca-key.pem" \
  -CAcreateserial -days 825 -extfile "$ext" -out "$out/$base.pem" 2>/dev/null
rm -f "$out/$base.csr" "$ext"
echo "$out/$base.pem ($*), CA $out/ca.pem"
