/// `dns.*`: MX, SPF, DKIM and DMARC of every domain the aliases use.
extension Doctor {
    func dnsChecks() -> [DoctorCheck] {
        []
    }
}
