import MirageDNS

/// The zone the zone-file and answer tests share: a delegation with glue, a wildcard, empty
/// non-terminals, CNAME chains (one leaving the zone, one looping), MX, SRV and TXT data.
let exampleZoneText = """
$ORIGIN example.org.
$TTL 3600
@   IN SOA ns1 hostmaster (
        2024010101 ; serial
        7200       ; refresh
        3600       ; retry
        1209600    ; expire
        300 )      ; minimum
    NS ns1
    NS ns2.example.net.
    MX 10 mail
ns1     A 192.0.2.53
        AAAA 2001:db8::53
mail    A 192.0.2.25
www     A 192.0.2.80
        A 192.0.2.81
alias   CNAME www
chain1  CNAME chain2
chain2  CNAME WWW
outside CNAME www.example.net.
dangling CNAME nothing
loop1   CNAME loop2
loop2   CNAME loop1
*.wild  A 192.0.2.99
*.wild  TXT "wildcard"
*.cwild CNAME www
a.b.deep A 192.0.2.7
*.deep  A 192.0.2.8
sub     NS ns1.sub
        NS ns.elsewhere.net.
ns1.sub A 192.0.2.100
_sip._tcp SRV 0 5 5060 www
txt     TXT "hello world" "second"
"""

/// The example zone, parsed.
func exampleZone() -> DNSZone {
    try! DNSZone(parsing: exampleZoneText, origin: name("example.org"))
}
